// Reads a `perf record -g` file of one node process (run with --perf-basic-prof, as bench/ab/real-tree-npm.mjs
// AB_PERF_DIR writes them) and splits its CPU samples by thread kind and by what the thread ran:
//   thread kinds: main (tid = pid), libuv (the thread pool: fs, zlib, crypto jobs), v8 (the platform workers:
//   concurrent GC, compilers), worker (a node:worker_threads thread), other.
//   categories (first marker found from the leaf up): kernel (the sample's leaf is in the kernel: system
//   time), gc, compile, zlib, hash (sha*/HMAC), tar/JS packages (the innermost JS frame's package), ...
// Usage: node bench/ab/perf-threads.mjs <file.data> [<file.data> ...] [--top n] [--json]
import { execFileSync } from 'node:child_process';

const args = process.argv.slice(2);
const top = args.includes('--top') ? Number(args[args.indexOf('--top') + 1]) : 12;
const json = args.includes('--json');
// --incl name=regex (repeatable): the samples of each thread kind with a frame matching regex anywhere in the stack
const incl = args.flatMap((a, i) => (args[i - 1] === '--incl' ? [a] : [])).map((a) => [a.split('=')[0], new RegExp(a.slice(a.indexOf('=') + 1))]);
// --innermost regex: per thread kind, the samples by their innermost frame matching regex (who in our code ran)
const innermost = args.includes('--innermost') ? new RegExp(args[args.indexOf('--innermost') + 1]) : undefined;
const files = args.filter((a, i) => !a.startsWith('--') && !['--top', '--incl', '--innermost'].includes(args[i - 1]));

const GC = /v8::internal::(Heap|Scavenger|ScavengeJob|MarkCompact|MinorMarkCompact|MinorMS|Sweeper|ConcurrentMarking|IncrementalMarking|Evacuat|MarkingVisitor|ArrayBufferSweeper|MemoryAllocator|PagedSpace|NewSpace|SemiSpace|.*Marking|GCTracer|LocalHeap|ParallelMove|PointersUpdating|Page::)/;
const COMPILE = /v8::internal::(compiler::|maglev::|Compiler|Parser|PreParser|BytecodeGenerator|interpreter::Bytecode|Scanner|OptimizingCompileDispatcher|baseline::|ConcurrentBaseline|Deserializer|CodeSerializer|wasm::)|v8::internal::Turbofan|Maglev/;
const ZLIB = /^(inflate|deflate|inflate_fast|inflate_table|crc32|adler32|updatewindow|fill_window|longest_match|Cr_z_|zmemcpy|.*Zlib)|ZlibContext|node::.*Zlib/;
const HASH = /sha512|SHA512|sha256|SHA256|sha1_block|KECCAK|ossl_sha|EVP_Digest|Hmac|HMAC|node::crypto::Hash/;
const ED = /ed25519|ED25519|ossl_ed|x25519|fe51|ge_/;

function threadKind(frames, pid, tid) {
  if (pid === tid) return 'main';
  const bottom = frames.slice(-4).map((f) => f.sym).join(' | ');
  if (/node::worker::Worker/.test(frames.map((f) => f.sym).join(' '))) return 'worker';
  if (/PlatformWorkerThread|WorkerThreadsTaskRunner|DelayedTaskScheduler/.test(bottom)) return 'v8';
  if (/\bworker\b.*start_thread|\| worker \|/.test(bottom) || / worker$/.test(frames.at(-2)?.sym ?? '')) return 'libuv';
  return 'other';
}

/** The innermost JS frame's place: a package under node_modules, a tufpm package, or node's own code. */
function jsPlace(sym) {
  const path = sym.replace(/^JS:[*~^+]?\S*\s*/, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    return `js ${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const pkg = /packages\/([^/]+)\//.exec(path);
  if (pkg) return `js @tufpm/${pkg[1]}`;
  if (path.startsWith('node:')) return `js node:${path.slice(5).split(':')[0]}`;
  return 'js other';
}

function category(frames) {
  if (frames.length === 0) return 'unknown';
  if (frames[0].dso === '[kernel.kallsyms]') return 'kernel';
  for (const f of frames) {
    if (GC.test(f.sym)) return 'gc';
    if (COMPILE.test(f.sym)) return 'compile';
    if (ZLIB.test(f.sym)) return 'zlib';
    if (HASH.test(f.sym)) return 'hash';
    if (ED.test(f.sym)) return 'ed25519';
    if (f.sym.startsWith('JS:')) return jsPlace(f.sym);
  }
  return 'native other';
}

function analyze(file) {
  const out = execFileSync('perf', ['script', '-i', file, '-F', 'pid,tid,period,ip,sym,dso'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const threads = new Map();
  const byKind = {};
  let totalNs = 0;
  for (const block of out.split('\n\n')) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    const head = /^\s*(\d+)\/(\d+)\s+(\d+)/.exec(lines[0]);
    if (!head) continue;
    const [pid, tid, period] = [Number(head[1]), Number(head[2]), Number(head[3])];
    const frames = lines.slice(1).map((l) => {
      const m = /^\s*[0-9a-f]+\s+(.*?)\s+\(([^)]*)\)\s*$/.exec(l);
      return m ? { sym: m[1], dso: m[2] } : { sym: l.trim(), dso: '' };
    });
    let t = threads.get(tid);
    if (t === undefined) threads.set(tid, (t = { pid, tid, ns: 0, kinds: {} }));
    const kind = threadKind(frames, pid, tid);
    t.kinds[kind] = (t.kinds[kind] ?? 0) + 1;
    t.ns += period;
    totalNs += period;
    t.samples ??= [];
    t.samples.push({ period, frames });
  }
  for (const t of threads.values()) {
    // a sample whose unwinding stopped early (libc's open has no frame pointer) names no thread kind: the kind
    // any sample of the thread shows wins
    const kind = ['main', 'worker', 'v8', 'libuv'].find((k) => t.kinds[k] !== undefined) ?? 'other';
    const k = (byKind[kind] ??= { ms: 0, threads: 0, categories: {}, leaves: {}, inclusive: {}, innermost: {} });
    k.threads++;
    k.ms += t.ns / 1e6;
    for (const s of t.samples) {
      const c = category(s.frames);
      k.categories[c] = (k.categories[c] ?? 0) + s.period / 1e6;
      for (const [name, re] of incl) if (s.frames.some((f) => re.test(f.sym))) k.inclusive[name] = (k.inclusive[name] ?? 0) + s.period / 1e6;
      const inner = innermost === undefined ? undefined : s.frames.find((f) => innermost.test(f.sym));
      if (inner !== undefined) k.innermost[inner.sym] = (k.innermost[inner.sym] ?? 0) + s.period / 1e6;
      const leaf = s.frames[0]?.sym ?? '?';
      k.leaves[leaf] = (k.leaves[leaf] ?? 0) + s.period / 1e6;
    }
  }
  const round = (o) => Object.fromEntries(Object.entries(o).sort((x, y) => y[1] - x[1]).slice(0, top).map(([k, v]) => [k, Math.round(v)]));
  return {
    file,
    totalMs: Math.round(totalNs / 1e6),
    kinds: Object.fromEntries(Object.entries(byKind).sort((x, y) => y[1].ms - x[1].ms).map(([k, v]) => [k, { ms: Math.round(v.ms), threads: v.threads, categories: round(v.categories), leaves: round(v.leaves), inclusive: round(v.inclusive), innermost: round(v.innermost) }])),
  };
}

const results = files.map(analyze);
if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
else {
  for (const r of results) {
    process.stdout.write(`== ${r.file}: ${r.totalMs} ms sampled\n`);
    for (const [kind, v] of Object.entries(r.kinds)) {
      process.stdout.write(`  ${kind} (${v.threads} thread(s)): ${v.ms} ms\n    by category: ${Object.entries(v.categories).map(([k, ms]) => `${k} ${ms}`).join(', ')}\n`);
      if (Object.keys(v.inclusive).length > 0) process.stdout.write(`    inclusive: ${Object.entries(v.inclusive).map(([k, ms]) => `${k} ${ms}`).join(', ')}\n`);
      if (Object.keys(v.innermost).length > 0) process.stdout.write(`    innermost:\n${Object.entries(v.innermost).map(([k, ms]) => `      ${ms} ${k.slice(0, 150)}`).join('\n')}\n`);
      process.stdout.write(`    top leaves: ${Object.entries(v.leaves).map(([k, ms]) => `${k.slice(0, 70)} ${ms}`).join('; ')}\n`);
    }
  }
}
