// A/B of warm installs between two checkouts (each built: npm ci && npm run build; for Yarn, a directory holding
// packages/yarn-plugin-tuf/bundles/@yarnpkg/plugin-tuf.js is enough, the tooling comes from this script's checkout): plain vs tufpm at checkout A vs
// tufpm at checkout B, one bench registry (520 packages, every package claimed), rounds rotating the order; wall and
// CPU (GNU time) medians as JSON on stdout. Usage: node bench/ab/warm-installs.mjs <checkout A> <checkout B> [rounds=7]
// AB_PMS=yarn,npm (which installers), AB_LINKER=pnp|node-modules (Yarn's linker), AB_COLD=1 (also remove the
// cache and the state directory before each run: Yarn's cache and global folder, npm's cache; a cold install
// against the loopback registry, with no TUF metadata and no sealed record),
// AB_PROF_DIR=dir (after the rounds, AB_PROF_RUNS=1 alternating --cpu-prof runs of each tufpm side:
// <dir>/<side>-<i>.cpuprofile; AB_PROF_PLAIN=1 profiles the plain side too), AB_TRAFFIC=1 (each run's
// requests and bytes by kind, from the registry's counters, on stderr).
// BENCH_PROFILE=realistic (the registry profile of bench/lib/world.mjs: with it, typescript and resolve through
// their builtin `patch:` locators), AB_SECTIONS=1 (each Yarn run's "TUF binding of Yarn checksums" section time,
// as Yarn prints it, on stderr, and its median in the JSON), AB_WORLD=real-tree (the real tree of bench/real-tree
// instead of the generated registry: the real `tufpm-repo import` of its 531 tarballs, hash bins; its tarball
// cache must be in bench/.cache/real-tree).
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const [A, B, runsArg] = process.argv.slice(2);
// the bench's own tooling (registry, timing, Yarn) comes from this script's checkout, so that A and B may be
// bare directories holding only what is compared (for Yarn: the plugin bundle)
const HERE = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runs = Number(runsArg ?? 7);
const { createBenchWorld } = await import(join(HERE, 'bench/lib/world.mjs'));
const { timedRun } = await import(join(HERE, 'bench/lib/proc.mjs'));
const { YARN_JS } = await import(join(HERE, 'bench/lib/yarn-project.mjs'));
const { yarnSections } = await import(join(HERE, 'bench/lib/yarn-output.mjs'));
const sectionsOn = process.env.AB_SECTIONS === '1';
/** The binding step's time as Yarn printed it (null: the section is missing, or too quick for Yarn to time). */
const bindingMs = (stdout) => yarnSections(stdout ?? '').find((s) => s.name === 'TUF binding of Yarn checksums')?.ms ?? null;
const NPM_CLI = join(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
const base = await mkdtemp(join(tmpdir(), 'tb-ab-'));
const realTree = process.env.AB_WORLD === 'real-tree';
const world = realTree
  ? await (await import(join(HERE, 'bench/real-tree/world.mjs'))).createRealTreeWorld()
  : await createBenchWorld({ packages: Number(process.env.AB_PACKAGES ?? 520), profile: process.env.BENCH_PROFILE ?? 'claimed' });
const pms = (process.env.AB_PMS ?? 'yarn,npm').split(',');
const linker = process.env.AB_LINKER ?? 'pnp';
const cold = process.env.AB_COLD === '1';
const profDir = process.env.AB_PROF_DIR;
const median = (v) => { const s = [...v].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

async function project(kind, checkout) {
  const dir = await mkdtemp(join(base, `${kind}-`));
  const machine = await mkdtemp(join(base, 'machine-'));
  await mkdir(join(machine, 'tmp'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'bench-app', version: '1.0.0', private: true, dependencies: world.rootDependencies }));
  if (checkout) await world.registry.writeTrustedRoot(dir);
  if (kind.startsWith('yarn')) {
    const rc = [`yarnPath: ${JSON.stringify(YARN_JS)}`, `npmRegistryServer: ${JSON.stringify(world.registry.url)}`, 'unsafeHttpWhitelist: ["127.0.0.1"]', 'npmMinimalAgeGate: 0',
      'enableGlobalCache: false', 'enableTelemetry: false', 'enableProgressBars: false', `nodeLinker: ${JSON.stringify(linker)}`,
      `cacheFolder: ${JSON.stringify(join(machine, 'cache'))}`, `globalFolder: ${JSON.stringify(join(machine, 'global'))}`];
    if (checkout) rc.push('plugins:', `  - path: ${JSON.stringify(join(checkout, 'packages/yarn-plugin-tuf/bundles/@yarnpkg/plugin-tuf.js'))}`, '    spec: "@yarnpkg/plugin-tuf"');
    await writeFile(join(dir, '.yarnrc.yml'), `${rc.join('\n')}\n`);
  } else {
    await writeFile(join(dir, '.npmrc'), `registry=${world.registry.url}\n`);
  }
  const env = () => {
    const e = {};
    if (!kind.startsWith('yarn')) for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|YARN_|XDG_STATE_HOME$|TUFPM_STATE_DIR$)/i.test(k)) e[k] = v;
    return { ...(kind.startsWith('yarn') ? { PATH: process.env.PATH } : e), HOME: machine, TMPDIR: join(machine, 'tmp'), NO_COLOR: '1',
      ...(kind.startsWith('yarn') ? {} : { npm_config_cache: join(machine, '.npm'), npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' }) };
  };
  const run = async (cmd, prof) => {
    const node = prof === undefined ? [] : [`--cpu-prof`, `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${kind}-${prof}.cpuprofile`, '--cpu-prof-interval=250'];
    if (kind.startsWith('yarn')) {
      for (const f of ['.pnp.cjs', '.pnp.loader.mjs', '.yarn', 'node_modules']) await rm(join(dir, f), { recursive: true, force: true });
      // cold: a fresh machine (Yarn cache, global folder and tufpm state), the registry on loopback
      if (cold && cmd === 'ci') for (const f of ['cache', 'global', '.local']) await rm(join(machine, f), { recursive: true, force: true });
      return timedRun(kind, process.execPath, [...node, YARN_JS, 'install'], { cwd: dir, env: env() });
    }
    // cold: a fresh machine (npm's cache and tufpm state), the registry on loopback
    if (cold && cmd === 'ci') for (const f of ['.npm', '.local']) await rm(join(machine, f), { recursive: true, force: true });
    const cli = checkout ? join(checkout, 'packages/npm/dist/src/cli.js') : NPM_CLI;
    return timedRun(kind, process.execPath, [...node, cli, cmd], { cwd: dir, env: env() });
  };
  return { kind, dir, run };
}

const out = {};
for (const pm of pms) {
  const sides = [await project(`${pm}-plain`), await project(`${pm}-A`, A), await project(`${pm}-B`, B)];
  // setup: the first side writes the lockfile, the others copy it, then each installs once (cold)
  const lock = pm === 'yarn' ? 'yarn.lock' : 'package-lock.json';
  await sides[0].run('install');
  for (const s of sides.slice(1)) await copyFile(join(sides[0].dir, lock), join(s.dir, lock));
  for (const s of sides.slice(1)) await s.run('install');
  const t = Object.fromEntries(sides.map((s) => [s.kind, { ms: [], cpu: [], user: [], binding: [] }]));
  if (process.env.AB_TRAFFIC === '1') world.takeTraffic();
  for (let r = 0; r < runs; r++) {
    const order = [0, 1, 2].map((i) => sides[(i + r) % 3]);
    for (const s of order) {
      const res = await s.run('ci');
      t[s.kind].ms.push(res.ms);
      if (process.env.AB_TRAFFIC === '1') process.stderr.write(`${s.kind} traffic ${JSON.stringify(world.takeTraffic())}\n`);
      if (res.cpuMs !== undefined) t[s.kind].cpu.push(res.cpuMs);
      if (res.userMs !== undefined) t[s.kind].user.push(res.userMs);
      if (sectionsOn && s.kind !== `${pm}-plain`) {
        t[s.kind].binding.push(bindingMs(res.stdout));
        process.stderr.write(`${s.kind} binding section ${t[s.kind].binding.at(-1)} ms\n`);
      }
    }
    process.stderr.write(`${pm} round ${r + 1}: ${order.map((s) => `${s.kind} ${t[s.kind].ms.at(-1).toFixed(0)} ms, CPU ${t[s.kind].cpu.at(-1)?.toFixed(0)} ms`).join('; ')}\n`);
  }
  if (profDir) for (let i = 0; i < Number(process.env.AB_PROF_RUNS ?? 1); i++) for (const s of process.env.AB_PROF_PLAIN === "1" ? sides : sides.slice(1)) await s.run("ci", i);
  out[pm] = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { wallMedian: median(v.ms), cpuMedian: median(v.cpu), userMedian: median(v.user), ms: v.ms.map(Math.round), cpu: v.cpu.map(Math.round), user: v.user.map(Math.round), ...(sectionsOn && v.binding.length > 0 ? { bindingMs: v.binding, bindingMedian: median(v.binding.map((x) => x ?? 0)) } : {}) }]));
  // paired: the median over rounds of the ratio of two sides measured in the same round
  const paired = (x, y) => (t[x].cpu.length === t[y].cpu.length && t[y].cpu.length > 0 ? median(t[x].cpu.map((c, i) => c / t[y].cpu[i])) : undefined);
  const ofMedians = (x, y) => (t[x].cpu.length > 0 && t[y].cpu.length > 0 ? median(t[x].cpu) / median(t[y].cpu) : undefined);
  out[pm].cpuRatios = Object.fromEntries([['A', 'plain'], ['B', 'plain'], ['B', 'A']].map(([x, y]) => [`${x}/${y}`, { medians: ofMedians(`${pm}-${x}`, `${pm}-${y}`), paired: paired(`${pm}-${x}`, `${pm}-${y}`) }]));
}
console.log(JSON.stringify(out, null, 1));
if (realTree) await world.close();
else await world.registry.close();
await rm(base, { recursive: true, force: true });
