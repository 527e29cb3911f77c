// Attributes the CPU of Yarn installs recorded with `perf record -g` (node --perf-basic-prof), side against side.
// perf samples only running threads, so unlike --cpu-prof's wall-clock sampling it is not inflated by other
// load on a shared machine, and it sees V8's and libuv's own threads. Usage:
//   perf record -g -F 1999 -o a1.data -- node --perf-basic-prof yarn.js install   (per run, per side)
//   perf script -F comm,pid,tid,ip,sym,dso -i a1.data > a1.txt
//   node bench/ab/perf-attribution.mjs a1.txt a2.txt -- b1.txt b2.txt   (PERF_HZ=1999, PERF_TOP=30)
// Prints, per run on average: CPU ms by thread (main / others) and kind (stacks under the plugin bundle,
// TurboFan, GC, kernel, other), then the plugin's main-thread time by its innermost bundle frame.
import { readFileSync } from 'node:fs';

const hz = Number(process.env.PERF_HZ ?? 1999);
const top = Number(process.env.PERF_TOP ?? 30);
const PLUGIN = 'plugin-tuf';

function* samples(file) {
  let cur;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') {
      if (cur) yield cur;
      cur = undefined;
    } else if (!line.startsWith('\t') && !line.startsWith(' ')) {
      if (cur) yield cur;
      const m = /^(.+?)\s+(\d+)\/(\d+)/.exec(line);
      cur = { main: m !== null && m[2] === m[3], frames: [] };
    } else if (cur) {
      cur.frames.push(line.trim().replace(/^\S+\s+/, ''));
    }
  }
  if (cur) yield cur;
}

function kind(frames) {
  if (frames.some((f) => f.includes(PLUGIN))) return 'plugin stack';
  const leaf = frames[0] ?? '';
  if (/compiler::|Turbofan|OptimizedCompilationJob/.test(leaf)) return 'turbofan';
  if (/Scaveng|Marking|Sweep|Heap::|MarkCompact|Evacuat/.test(leaf)) return 'gc';
  if (/kallsyms/.test(leaf)) return 'kernel';
  return 'other';
}

function side(files) {
  const kinds = new Map();
  const inner = new Map();
  for (const file of files) {
    for (const s of samples(file)) {
      const k = `${s.main ? 'main' : 'other threads'}: ${kind(s.frames)}`;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
      const p = s.main ? s.frames.find((f) => f.includes(PLUGIN)) : undefined;
      if (p !== undefined) {
        const name = p.replace(/ \(.*$/, '').replace(/\S*\//, '');
        inner.set(name, (inner.get(name) ?? 0) + 1);
      }
    }
  }
  const ms = (n) => (n / files.length) * (1000 / hz);
  return { kinds: new Map([...kinds].map(([k, v]) => [k, ms(v)])), inner: new Map([...inner].map(([k, v]) => [k, ms(v)])) };
}

const args = process.argv.slice(2);
const sep = args.indexOf('--');
const a = side(sep === -1 ? args : args.slice(0, sep));
const b = sep === -1 ? undefined : side(args.slice(sep + 1));
const f = (x) => (x ?? 0).toFixed(1).padStart(8);
console.log(`${'ms per run'.padEnd(32)}${'A'.padStart(8)}${b ? `${'B'.padStart(8)}${'B-A'.padStart(8)}` : ''}`);
const keys = [...new Set([...a.kinds.keys(), ...(b?.kinds.keys() ?? [])])].sort();
let ta = 0;
let tb = 0;
for (const k of keys) {
  ta += a.kinds.get(k) ?? 0;
  tb += b?.kinds.get(k) ?? 0;
  console.log(`${k.padEnd(32)}${f(a.kinds.get(k))}${b ? `${f(b.kinds.get(k))}${f((b.kinds.get(k) ?? 0) - (a.kinds.get(k) ?? 0))}` : ''}`);
}
console.log(`${'total'.padEnd(32)}${f(ta)}${b ? `${f(tb)}${f(tb - ta)}` : ''}`);
for (const [name, s] of [['A', a], ['B', b]]) {
  if (s === undefined || s.inner.size === 0) continue;
  console.log(`\n${name}: main-thread plugin time by innermost bundle frame`);
  for (const [k, v] of [...s.inner].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${f(v)}  ${k}`);
}
