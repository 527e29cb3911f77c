// A/B of `tufpm-npm ci` on the real tree (bench/real-tree: 531 real tarballs, the real tufpm-registry on
// loopback) between two checkouts, beside plain `npm ci`, in one world: rounds rotate the order of the three
// sides (plain, A, B) and flip it every other round, so the load of a shared machine weighs on all three.
// Usage: node bench/ab/real-tree-npm.mjs <checkout A> <checkout B> [rounds=3]   (each checkout built)
//   AB_KINDS=cold,warm   which installs (cold: the machine's npm cache and tufpm state removed first)
//   AB_PERF_DIR=d        after the rounds, one `perf record -g` run per side and kind, node --perf-basic-prof:
//                        <d>/<side>-<kind>.data (read them with bench/ab/perf-threads.mjs)
//   AB_TRACE_OPT_DIR=d   likewise one run with node --trace-opt per side and kind: <d>/<side>-<kind>.opt
//   AB_TIMEV_DIR=d       likewise one run under GNU `time -v` (page faults, context switches): <d>/<side>-<kind>.timev
//   AB_STRACE_DIR=d      likewise one `strace -f -c` run per side and kind: <d>/<side>-<kind>.strace (syscall counts)
// Prints per side and kind the CPU (GNU time, user + sys), user CPU and wall medians, the CPU ratios of the
// medians (side / plain, B / A) and the paired ratios (median over rounds of the same round's ratio), as
// JSON on stdout; every run on stderr.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [A, B, roundsArg] = process.argv.slice(2).map((x, i) => (i < 2 ? resolve(x) : x));
if (A === undefined || B === undefined) throw new Error('usage: real-tree-npm.mjs <checkout A> <checkout B> [rounds]');
const rounds = Number(roundsArg ?? 3);
const kinds = (process.env.AB_KINDS ?? 'cold,warm').split(',');
const perfDir = process.env.AB_PERF_DIR;
const straceDir = process.env.AB_STRACE_DIR;
const { createRealTreeWorld } = await import(join(B, 'bench/real-tree/world.mjs'));
const { timedRun } = await import(join(B, 'bench/lib/proc.mjs'));
const NPM_CLI = join(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
const median = (v) => { const s = [...v].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const log = (m) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

const base = await mkdtemp(join(tmpdir(), 'tb-rt-npm-'));
const world = await createRealTreeWorld();

async function side(name, checkout) {
  const dir = await mkdtemp(join(base, `${name}-`));
  const machine = join(base, `machine-${name}`);
  await mkdir(join(machine, 'tmp'), { recursive: true });
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'bench-app', version: '1.0.0', private: true, dependencies: world.rootDependencies }, null, 2)}\n`);
  await writeFile(join(dir, '.npmrc'), `registry=${world.registry.url}\n`);
  if (checkout) await world.registry.writeTrustedRoot(dir);
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|YARN_|XDG_STATE_HOME$|TUFPM_STATE_DIR$|AB_)/i.test(k)) env[k] = v;
  Object.assign(env, { HOME: machine, TMPDIR: join(machine, 'tmp'), NO_COLOR: '1', npm_config_cache: join(machine, '.npm'), npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' });
  const cli = checkout ? join(checkout, 'packages/npm/dist/src/cli.js') : NPM_CLI;
  const prepare = async (kind) => {
    await rm(join(self.dir, 'node_modules'), { recursive: true, force: true });
    if (kind === 'cold') for (const f of ['.npm', '.local']) await rm(join(machine, f), { recursive: true, force: true });
    await mkdir(join(machine, 'tmp'), { recursive: true });
  };
  const self = {
    name, dir, prepare,
    run: (cmd) => timedRun(name, process.execPath, [cli, cmd], { cwd: self.dir, env }),
    wrapped: (cmd, wrapper, nodeArgs = []) => new Promise((ok, fail) => execFile(wrapper[0], [...wrapper.slice(1), process.execPath, ...nodeArgs, cli, cmd], { cwd: self.dir, env, maxBuffer: 256 << 20 }, (e, so, se) => (e ? fail(new Error(`${name} ${wrapper[0]}: ${se.slice(-2000)}`)) : ok()))),
  };
  return self;
}

try {
  const sides = [await side('plain', undefined), await side('A', A), await side('B', B)];
  // AB_PLAIN2=1: a second plain npm project, created after the others (is a difference the client's or the place's?)
  if (process.env.AB_PLAIN2 === '1') sides.push(await side('plain2', undefined));
  const [plain, a, b] = sides;
  log('setup: npm install (plain), tufpm-npm install (B), lockfiles copied to A');
  await plain.run('install');
  if (sides[3]) await copyFile(join(plain.dir, 'package-lock.json'), join(sides[3].dir, 'package-lock.json'));
  for (const s of [a, b]) await copyFile(join(plain.dir, 'package-lock.json'), join(s.dir, 'package-lock.json'));
  await b.run('install');
  await copyFile(join(b.dir, 'tufpm-lock.json'), join(a.dir, 'tufpm-lock.json'));
  // The project directories rotate among the sides every round (AB_ROTATE_DIRS=0: each side keeps its own).
  // On this ext4 disk, writing node_modules cost one directory up to 1 s less system time than another,
  // round after round: a fixed directory per side measured the place, not the client. Every directory holds
  // every side's files (npm ignores tufpm-root.json and tufpm-lock.json).
  const rotate = process.env.AB_ROTATE_DIRS !== '0';
  const dirs = sides.map((s) => s.dir);
  if (rotate) for (const d of dirs) for (const f of ['tufpm-root.json', 'tufpm-lock.json']) if (d !== b.dir) await copyFile(join(b.dir, f), join(d, f));
  const place = (round) => { if (rotate) sides.forEach((s, i) => (s.dir = dirs[(i + round) % dirs.length])); };
  const runs = {};
  for (const kind of kinds) {
    runs[kind] = Object.fromEntries(sides.map((s) => [s.name, []]));
    // a warm round needs a machine one install old: one unmeasured install per side first
    place(0);
    if (kind === 'warm') for (const s of sides) { await s.prepare('cold'); await s.run('ci'); }
    for (let round = 0; round < rounds; round++) {
      place(round);
      const rotated = [...sides.slice(round % sides.length), ...sides.slice(0, round % sides.length)];
      const order = round % 2 === 0 ? rotated : rotated.reverse();
      for (const s of order) {
        await s.prepare(kind);
        const r = await s.run('ci');
        runs[kind][s.name].push(r);
        log(`${kind} #${round + 1} ${s.name} (dir ${dirs.indexOf(s.dir)}): ${(r.cpuMs / 1000).toFixed(2)} s CPU (user ${(r.userMs / 1000).toFixed(2)}, sys ${(r.sysMs / 1000).toFixed(2)}), ${(r.ms / 1000).toFixed(2)} s wall`);
      }
    }
  }
  const summary = { A, B, rounds, load: (await import('node:os')).loadavg(), kinds: {} };
  for (const kind of kinds) {
    const r = runs[kind];
    const med = (n, k) => median(r[n].map((x) => x[k]));
    const paired = (n, m) => median(r[n].map((x, i) => x.cpuMs / r[m][i].cpuMs));
    summary.kinds[kind] = {
      sysS: Object.fromEntries(sides.map((s) => [s.name, +(med(s.name, 'sysMs') / 1000).toFixed(2)])),
      cpuS: Object.fromEntries(sides.map((s) => [s.name, +(med(s.name, 'cpuMs') / 1000).toFixed(2)])),
      userS: Object.fromEntries(sides.map((s) => [s.name, +(med(s.name, 'userMs') / 1000).toFixed(2)])),
      wallS: Object.fromEntries(sides.map((s) => [s.name, +(med(s.name, 'ms') / 1000).toFixed(2)])),
      cpuRatio: { A: +(med('A', 'cpuMs') / med('plain', 'cpuMs')).toFixed(3), B: +(med('B', 'cpuMs') / med('plain', 'cpuMs')).toFixed(3), BvsA: +(med('B', 'cpuMs') / med('A', 'cpuMs')).toFixed(3) },
      pairedCpuRatio: { A: +paired('A', 'plain').toFixed(3), B: +paired('B', 'plain').toFixed(3), BvsA: +paired('B', 'A').toFixed(3) },
      userRatio: { A: +(med('A', 'userMs') / med('plain', 'userMs')).toFixed(3), B: +(med('B', 'userMs') / med('plain', 'userMs')).toFixed(3) },
      runs: Object.fromEntries(sides.map((s) => [s.name, r[s.name].map((x) => [+(x.cpuMs / 1000).toFixed(2), +(x.userMs / 1000).toFixed(2), +(x.ms / 1000).toFixed(2)])])),
    };
  }
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  const extra = [
    [perfDir, 'data', (out) => ['perf', 'record', '-g', '-F', '499', '-o', out, '--'], ['--perf-basic-prof']],
    [process.env.AB_TIMEV_DIR, 'timev', (out) => ['/usr/bin/time', '-v', '-o', out], []],
    [straceDir, 'strace', (out) => ['strace', '-f', '-c', '-o', out, '--'], []],
    // --trace-opt's lines (what TurboFan/Maglev compiled, on V8's compiler threads) on stdout, into the file
    [process.env.AB_TRACE_OPT_DIR, 'opt', (out) => ['sh', '-c', `exec "$@" > '${out}'`, 'sh'], ['--trace-opt']],
  ];
  for (const [outDir, ext, wrapper, nodeArgs] of extra) {
    if (!outDir) continue;
    await mkdir(outDir, { recursive: true });
    for (const kind of kinds) {
      for (const s of sides) {
        await s.prepare(kind);
        if (kind === 'warm') await s.run('ci').then(() => s.prepare('warm'));
        await s.wrapped('ci', wrapper(join(outDir, `${s.name}-${kind}.${ext}`)), nodeArgs);
        log(`${wrapper('')[0]} ${kind} ${s.name} written`);
      }
    }
  }
} finally {
  await world.close();
  await rm(base, { recursive: true, force: true });
}
