// Install overhead of overlay mode (issue 17, ADR 0017) against the registry profile, in one run: the bench
// registry (bench/lib/world.mjs, every package signed) is at once the registry-profile registry and the
// overlay's upstream; a team's overlay repository approves the same lockfile and is served by
// tufpm-overlay's static server. Three sides per package manager, same lockfile, same upstream:
//   plain     npm ci / yarn install without tufpm
//   registry  tufpm-npm ci / yarn + plugin, verified against the registry's own TUF metadata
//   overlay   the same, verified against the team's approvals (tufpm-metadata-url / tufMetadataUrl)
// warm = machine kept (npm cache or Yarn cache, TUF state), node_modules / PnP files removed; cold = a new
// machine per run. Rounds rotate the order of the sides. The machine is shared: CPU time of the child
// (user+sys, GNU time) is the figure to read, wall is printed beside it.
// Usage: npm run build && node bench/ab/overlay-installs.mjs [warm rounds=7] [cold rounds=3] > result.json
//   AB_PACKAGES (default 520), AB_PROFILE claimed|bins (default claimed, as npm run bench), AB_MD=<file> markdown
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchWorld } from '../lib/world.mjs';
import { HAS_CPU_TIME, timedRun } from '../lib/proc.mjs';
import { YARN_JS, PLUGIN_BUNDLE } from '../lib/yarn-project.mjs';
import { NPM_CLI, TUFPM_NPM_CLI } from '../lib/npm-project.mjs';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OVERLAY_CLI = join(ROOT, 'packages', 'overlay', 'bin', 'tufpm-overlay.js');
const { generateEd25519KeyPair } = require(join(ROOT, 'packages', 'models', 'dist', 'src', 'index.js'));
const { initOverlay, serveMetadata } = await import(join(ROOT, 'packages', 'overlay', 'dist', 'src', 'index.js'));

const [warmArg, coldArg] = process.argv.slice(2);
const warmRounds = Number(warmArg ?? 7);
const coldRounds = Number(coldArg ?? 3);
const packages = Number(process.env.AB_PACKAGES ?? 520);
const profile = process.env.AB_PROFILE ?? 'claimed';
const log = (s) => process.stderr.write(`${s}\n`);
const median = (v) => { const s = [...v].sort((x, y) => x - y); return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const base = await mkdtemp(join(tmpdir(), 'tb-overlay-ab-'));
log(`overlay A/B: generating and signing a bench registry of ${packages} packages (profile ${profile})`);
const world = await createBenchWorld({ packages, profile });

// the team's overlay repository over the bench registry, one reviewer (threshold 1), online keys at hand
const reviewer = generateEd25519KeyPair();
const reviewerPem = join(base, 'reviewer.pem');
await writeFile(reviewerPem, reviewer.privateKeyPem, { mode: 0o600 });
const { paths } = await initOverlay({ repoDir: join(base, 'team-tuf'), upstream: world.registry.url, reviewers: [reviewer.key] });
const metadata = await serveMetadata(paths.metadataDir);
const overlayRoot = join(paths.metadataDir, '1.root.json');

function approve(lockfile) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [OVERLAY_CLI, 'approve', '--lockfile', lockfile, '--repo', paths.repoDir, '--key', reviewerPem, '--json'],
      { env: { PATH: process.env.PATH, HOME: join(base, 'reviewer-home'), TMPDIR: tmpdir() }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`approve ${lockfile} failed: ${stderr.slice(-3000)}`));
        else resolve(JSON.parse(stdout));
      });
  });
}

async function side(pm, kind) {
  const dir = await mkdtemp(join(base, `${pm}-${kind}-`));
  const s = { pm, kind, dir, machine: '' };
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'bench-app', version: '1.0.0', private: true, dependencies: world.rootDependencies }));
  if (kind === 'registry') await world.registry.writeTrustedRoot(dir);
  if (kind === 'overlay') await copyFile(overlayRoot, join(dir, 'tufpm-root.json'));
  s.newMachine = async () => {
    if (s.machine) await rm(s.machine, { recursive: true, force: true });
    s.machine = await mkdtemp(join(base, 'machine-'));
    await mkdir(join(s.machine, 'tmp'));
    if (pm === 'yarn') {
      const rc = [`yarnPath: ${JSON.stringify(YARN_JS)}`, `npmRegistryServer: ${JSON.stringify(world.registry.url.replace(/\/$/, ''))}`, 'unsafeHttpWhitelist: ["127.0.0.1"]', 'npmMinimalAgeGate: 0',
        'enableGlobalCache: false', 'enableTelemetry: false', 'enableProgressBars: false', 'nodeLinker: "pnp"',
        `cacheFolder: ${JSON.stringify(join(s.machine, 'cache'))}`, `globalFolder: ${JSON.stringify(join(s.machine, 'global'))}`];
      if (kind !== 'plain') rc.push('plugins:', `  - path: ${JSON.stringify(PLUGIN_BUNDLE)}`, '    spec: "@yarnpkg/plugin-tuf"');
      if (kind === 'overlay') rc.push(`tufMetadataUrl: ${JSON.stringify(metadata.url)}`);
      await writeFile(join(dir, '.yarnrc.yml'), `${rc.join('\n')}\n`);
    } else {
      await writeFile(join(dir, '.npmrc'), `registry=${world.registry.url}\n${kind === 'overlay' ? `tufpm-metadata-url=${metadata.url}\n` : ''}`);
    }
  };
  const env = () => {
    const e = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|YARN_|XDG_STATE_HOME$|TUFPM_STATE_DIR$)/i.test(k)) e[k] = v;
    return { ...(pm === 'yarn' ? { PATH: process.env.PATH } : e), HOME: s.machine, TMPDIR: join(s.machine, 'tmp'), NO_COLOR: '1',
      ...(pm === 'yarn' ? {} : { npm_config_cache: join(s.machine, '.npm'), npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' }) };
  };
  s.run = async (command) => {
    if (pm === 'yarn') {
      for (const f of ['.pnp.cjs', '.pnp.loader.mjs', '.yarn', 'node_modules']) await rm(join(dir, f), { recursive: true, force: true });
      return timedRun(`${pm} ${kind}`, process.execPath, [YARN_JS, 'install'], { cwd: dir, env: env() });
    }
    await rm(join(dir, 'node_modules'), { recursive: true, force: true });
    return timedRun(`${pm} ${kind}`, process.execPath, [kind === 'plain' ? NPM_CLI : TUFPM_NPM_CLI, command], { cwd: dir, env: env() });
  };
  await s.newMachine();
  return s;
}

const out = { packages, profile, closure: world.closure.length, cpuTime: HAS_CPU_TIME, loadavgStart: os.loadavg().map((l) => Math.round(l * 10) / 10), results: {} };
for (const pm of ['npm', 'yarn']) {
  const sides = [await side(pm, 'plain'), await side(pm, 'registry'), await side(pm, 'overlay')];
  const lock = pm === 'yarn' ? 'yarn.lock' : 'package-lock.json';
  log(`${pm}: setup (plain install writes ${lock}, the team approves it, each tufpm side installs once)`);
  await sides[0].run('install');
  const approval = await approve(join(sides[0].dir, lock));
  out.results[pm] = { approved: approval.new.length + approval.approved.length };
  for (const s of sides.slice(1)) {
    await copyFile(join(sides[0].dir, lock), join(s.dir, lock));
    await s.run('install');
  }
  const t = Object.fromEntries(['warm', 'cold'].map((phase) => [phase, Object.fromEntries(sides.map((s) => [s.kind, { ms: [], cpu: [] }]))]));
  for (const [phase, rounds] of [['warm', warmRounds], ['cold', coldRounds]]) {
    for (let r = 0; r < rounds; r++) {
      const order = [0, 1, 2].map((i) => sides[(i + r) % 3]);
      for (const s of order) {
        if (phase === 'cold') await s.newMachine();
        const res = await s.run('ci');
        t[phase][s.kind].ms.push(res.ms);
        if (res.cpuMs !== undefined) t[phase][s.kind].cpu.push(res.cpuMs);
      }
      log(`${pm} ${phase} round ${r + 1}: ${order.map((s) => `${s.kind} ${(t[phase][s.kind].ms.at(-1) / 1000).toFixed(2)} s wall, ${((t[phase][s.kind].cpu.at(-1) ?? NaN) / 1000).toFixed(2)} s cpu`).join('; ')} (load ${os.loadavg()[0].toFixed(1)})`);
    }
  }
  for (const phase of ['warm', 'cold']) {
    const m = Object.fromEntries(Object.entries(t[phase]).map(([k, v]) => [k, { wallMedian: median(v.ms), cpuMedian: median(v.cpu), ms: v.ms.map(Math.round), cpu: v.cpu.map(Math.round) }]));
    const ratio = (a, b, f) => (m[a][f] && m[b][f] ? Math.round((m[a][f] / m[b][f]) * 1000) / 1000 : null);
    m.ratios = {
      cpu: { overlayToPlain: ratio('overlay', 'plain', 'cpuMedian'), registryToPlain: ratio('registry', 'plain', 'cpuMedian'), overlayToRegistry: ratio('overlay', 'registry', 'cpuMedian') },
      wall: { overlayToPlain: ratio('overlay', 'plain', 'wallMedian'), registryToPlain: ratio('registry', 'plain', 'wallMedian'), overlayToRegistry: ratio('overlay', 'registry', 'wallMedian') },
    };
    out.results[pm][phase] = m;
  }
}
out.loadavgEnd = os.loadavg().map((l) => Math.round(l * 10) / 10);
console.log(JSON.stringify(out, null, 1));
if (process.env.AB_MD) {
  const s = (ms) => (ms === null ? '-' : (ms / 1000).toFixed(2));
  const rows = [];
  for (const pm of ['npm', 'yarn']) {
    for (const phase of ['warm', 'cold']) {
      const m = out.results[pm][phase];
      rows.push(`| ${pm} ${phase} | ${s(m.plain.cpuMedian)} / ${s(m.plain.wallMedian)} | ${s(m.registry.cpuMedian)} / ${s(m.registry.wallMedian)} | ${s(m.overlay.cpuMedian)} / ${s(m.overlay.wallMedian)} | ${m.ratios.cpu.registryToPlain} / ${m.ratios.wall.registryToPlain} | ${m.ratios.cpu.overlayToPlain} / ${m.ratios.wall.overlayToPlain} | ${m.ratios.cpu.overlayToRegistry} / ${m.ratios.wall.overlayToRegistry} |`);
    }
  }
  await writeFile(process.env.AB_MD, [
    `Overlay install A/B (bench/ab/overlay-installs.mjs): ${packages}-package bench registry (profile ${profile}, closure ${out.closure}), ${warmRounds} warm and ${coldRounds} cold rounds, order rotated; medians, CPU (user+sys of the child, GNU time) / wall, seconds. Load average ${out.loadavgStart.join(' ')} at start, ${out.loadavgEnd.join(' ')} at end.`,
    '',
    '| install | plain CPU / wall | registry profile | overlay | registry/plain CPU / wall | overlay/plain | overlay/registry |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'));
}
await metadata.close();
await world.registry.close();
await rm(base, { recursive: true, force: true });
