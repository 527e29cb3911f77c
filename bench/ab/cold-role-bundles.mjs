// Cold installs with and without role bundles (ADR 0024), in one run: the bench registry in its 'bins' profile
// (bench/lib/world.mjs: 4 claimed packages, the rest of the closure registry-signed in 256 hash bins, as
// `tufpm-repo import` signs a real tree) serves the bundles its snapshots were written with, or answers 404
// for them (a registry that writes none: the client then fetches every bin alone, as before ADR 0024 with
// one extra 404 per bundle it tried). Sides per package manager, same lockfile, same registry:
//   plain      npm ci / yarn install --immutable without tufpm
//   unbundled  tufpm-npm ci / yarn + plugin, bundle requests answered 404
//   bundled    the same, bundles served
// Every run is cold: a new machine (package-manager cache, TUF state), node_modules / PnP files removed.
// Rounds rotate the order of the sides. The registry counts TUF requests per run (bins, bundles, other).
// The machine may be shared: CPU time of the child (user+sys, GNU time) is the figure to read.
// Usage: npm run build && node bench/ab/cold-role-bundles.mjs [rounds=5] > result.json
//   AB_PACKAGES (default 520), AB_PMS=yarn,npm, AB_LINKER=pnp|node-modules (default pnp)
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchWorld } from '../lib/world.mjs';
import { timedRun } from '../lib/proc.mjs';
import { YARN_JS, PLUGIN_BUNDLE } from '../lib/yarn-project.mjs';
import { NPM_CLI, TUFPM_NPM_CLI } from '../lib/npm-project.mjs';

const rounds = Number(process.argv[2] ?? 5);
const packages = Number(process.env.AB_PACKAGES ?? 520);
const pms = (process.env.AB_PMS ?? 'yarn,npm').split(',');
const linker = process.env.AB_LINKER ?? 'pnp';
const log = (s) => process.stderr.write(`${s}\n`);
const median = (v) => { const s = [...v].sort((x, y) => x - y); return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const base = await mkdtemp(join(tmpdir(), 'tb-bundles-ab-'));
log(`role bundles A/B: generating and signing a bench registry of ${packages} packages (profile bins)`);
const world = await createBenchWorld({ packages, profile: 'bins' });
let withholdBundles = false;
const tuf = { bins: 0, bundles: 0, bundle404: 0, other: 0 };
world.registry.addIntercept(async (_req, res, route) => {
  if (route?.kind !== 'tuf') return false;
  if (/\.bundle-\d+\.json$/.test(route.file)) {
    if (withholdBundles) {
      tuf.bundle404 += 1;
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return true;
    }
    tuf.bundles += 1;
  } else if (/\.unclaimed-[0-9a-f]+\.json$/.test(route.file)) tuf.bins += 1;
  else tuf.other += 1;
  return false;
});
const takeTuf = () => { const c = { ...tuf }; for (const k of Object.keys(tuf)) tuf[k] = 0; return c; };

async function project(kind, tufpm) {
  const dir = await mkdtemp(join(base, `${kind}-`));
  const machineBase = await mkdtemp(join(base, 'machine-'));
  let machine;
  const freshMachine = async () => {
    machine = await mkdtemp(join(machineBase, 'm-'));
    await mkdir(join(machine, 'tmp'));
  };
  await freshMachine();
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'bench-app', version: '1.0.0', private: true, dependencies: world.rootDependencies }));
  if (tufpm) await world.registry.writeTrustedRoot(dir);
  const yarn = kind.startsWith('yarn');
  const writeRc = async () => {
    if (!yarn) return writeFile(join(dir, '.npmrc'), `registry=${world.registry.url}\n`);
    const rc = [`yarnPath: ${JSON.stringify(YARN_JS)}`, `npmRegistryServer: ${JSON.stringify(world.registry.url)}`, 'unsafeHttpWhitelist: ["127.0.0.1"]', 'npmMinimalAgeGate: 0',
      'enableGlobalCache: false', 'enableTelemetry: false', 'enableProgressBars: false', `nodeLinker: ${JSON.stringify(linker)}`,
      `cacheFolder: ${JSON.stringify(join(machine, 'cache'))}`, `globalFolder: ${JSON.stringify(join(machine, 'global'))}`];
    if (tufpm) rc.push('plugins:', `  - path: ${JSON.stringify(PLUGIN_BUNDLE)}`, '    spec: "@yarnpkg/plugin-tuf"');
    return writeFile(join(dir, '.yarnrc.yml'), `${rc.join('\n')}\n`);
  };
  const env = () => {
    const e = {};
    if (!yarn) for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|YARN_|XDG_STATE_HOME$|TUFPM_STATE_DIR$)/i.test(k)) e[k] = v;
    return { ...(yarn ? { PATH: process.env.PATH } : e), HOME: machine, TMPDIR: join(machine, 'tmp'), NO_COLOR: '1',
      ...(yarn ? {} : { npm_config_cache: join(machine, '.npm'), npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' }) };
  };
  const run = async (cmd) => {
    // every run cold: a new machine (cache, global folder, tufpm state under HOME)
    await freshMachine();
    await writeRc();
    for (const f of ['.pnp.cjs', '.pnp.loader.mjs', '.yarn', 'node_modules']) await rm(join(dir, f), { recursive: true, force: true });
    if (yarn) return timedRun(kind, process.execPath, [YARN_JS, 'install', ...(cmd === 'ci' ? ['--immutable'] : [])], { cwd: dir, env: env() });
    return timedRun(kind, process.execPath, [tufpm ? TUFPM_NPM_CLI : NPM_CLI, cmd, '--ignore-scripts'], { cwd: dir, env: env() });
  };
  return { kind, dir, run, bundles: kind.endsWith('-bundled') };
}

const out = { packages, closure: world.closure.length, bins: world.bins, linker, rounds, machine: 'shared (other jobs running): read CPU time and ratios within this run' };
for (const pm of pms) {
  const sides = [await project(`${pm}-plain`, false), await project(`${pm}-unbundled`, true), await project(`${pm}-bundled`, true)];
  const lock = pm === 'yarn' ? 'yarn.lock' : 'package-lock.json';
  await sides[0].run('install');
  for (const s of sides.slice(1)) await copyFile(join(sides[0].dir, lock), join(s.dir, lock));
  // the tufpm sides pin the tree once (tufpm-lock.json), so the cold runs are frozen installs from pins
  for (const s of sides.slice(1)) await s.run('install');
  const t = Object.fromEntries(sides.map((s) => [s.kind, { ms: [], cpu: [], tuf: [] }]));
  for (let r = 0; r < rounds; r++) {
    const order = [0, 1, 2].map((i) => sides[(i + r) % 3]);
    for (const s of order) {
      withholdBundles = !s.bundles;
      takeTuf();
      const res = await s.run('ci');
      t[s.kind].ms.push(res.ms);
      if (res.cpuMs !== undefined) t[s.kind].cpu.push(res.cpuMs);
      t[s.kind].tuf.push(takeTuf());
    }
    log(`${pm} round ${r + 1}: ${order.map((s) => `${s.kind} ${t[s.kind].ms.at(-1).toFixed(0)} ms, cpu ${t[s.kind].cpu.at(-1)?.toFixed(0)} ms, tuf ${JSON.stringify(t[s.kind].tuf.at(-1))}`).join('; ')}`);
  }
  out[pm] = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, {
    wallMedian: median(v.ms), cpuMedian: median(v.cpu), ms: v.ms.map(Math.round), cpu: v.cpu.map(Math.round),
    tufRequests: v.tuf.at(-1),
  }]));
}
console.log(JSON.stringify(out, null, 1));
await world.registry.close();
await rm(base, { recursive: true, force: true });
