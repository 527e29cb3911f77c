#!/usr/bin/env node
// `npm run demo`: tufpm end to end on this machine, with nothing but loopback networking.
//  1. builds a signed npm registry (generated packages, TEST keys, a few packages claimed by maintainers)
//     and serves it on 127.0.0.1;
//  2. installs a sample project with real Yarn 4 + the tufpm plugin bundle, and
//  3. with tufpm-npm (npm's Arborist), each on a fresh simulated machine;
//  4. shows what was verified (per package, then a summary);
//  5. tampers one tarball on the registry and shows both installs refusing it, project untouched;
//  6. cleans up (server, child processes, temp dirs), also on failure and Ctrl-C.
// Usage: node scripts/demo.mjs [--json] [--registry tufpm|verdaccio]   (after `npm run build`; `npm run demo` does both)
//   --registry verdaccio: the registry is a real Verdaccio 6.8 with verdaccio-tufpm (docs/verdaccio.md), every
//   release published through its npm API (scripts/demo/verdaccio-registry.mjs); the rest is the same.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { NpmProject, YarnProject, repoPaths } from './demo/projects.mjs';
import { createVerdaccioRegistry } from './demo/verdaccio-registry.mjs';
import { DemoError, Session, removeTree } from './demo/session.mjs';
import { NO, OK, Ui, bold, dim, seconds } from './demo/ui.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = 40;
const SEED = 'tufpm-demo';

const { values: flags } = parseArgs({ options: { json: { type: 'boolean' }, registry: { type: 'string', default: 'tufpm' }, help: { type: 'boolean', short: 'h' } } });
if (flags.help) {
  process.stdout.write('Usage: node scripts/demo.mjs [--json] [--registry tufpm|verdaccio]\n  --json      print the result as JSON on stdout instead of the walkthrough\n  --registry  tufpm (the bundled tufpm-registry, default) or verdaccio (Verdaccio 6.8 with verdaccio-tufpm)\n');
  process.exit(0);
}
if (flags.registry !== 'tufpm' && flags.registry !== 'verdaccio') {
  process.stderr.write(`--registry must be tufpm or verdaccio, not ${JSON.stringify(flags.registry)}\n`);
  process.exit(2);
}
const VERDACCIO = flags.registry === 'verdaccio';
const ui = new Ui({ quiet: flags.json === true });
const session = new Session();
const started = Date.now();
const result = { ok: false, registry: null, yarn: null, npm: null, packages: [], attack: null, cleanup: null };
/** Expectations that did not hold: the demo then exits 1. */
const problems = [];
const expect = (ok, what) => {
  if (!ok) problems.push(what);
  return ok;
};

// `npm run demo | head`: the reader went away. Stop writing, but finish and clean up as usual.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  ui.quiet = true;
  flags.json = false;
});

session.onSignals(({ failed }) => {
  for (const f of failed) process.stderr.write(`cleanup failed: ${f}\n`);
});

function preflight() {
  const paths = repoPaths(ROOT);
  const missing = [
    ['integration-tests/dist (the test harness)', paths.harness],
    ['the Yarn plugin bundle', paths.pluginBundle],
    ['tufpm-npm', paths.tufpmNpm],
  ].filter(([, p]) => !existsSync(p));
  if (missing.length > 0) {
    throw new DemoError(`not built: ${missing.map(([what, p]) => `${what} (${p})`).join(', ')}. Run \`npm run build\` first (\`npm run demo\` does).`);
  }
  if (paths.yarnJs === undefined) throw new DemoError('@yarnpkg/cli-dist is not installed: run `npm ci` first.');
  return paths;
}

/** Yarn's coded refusal (`... TUF_X | package p | role r | attack: a | message | recovery`), one part a line. */
function yarnRefusal(stdout) {
  const line = stdout.split('\n').find((l) => /\bTUF_[A-Z_]+ \|/.test(l));
  if (line === undefined) return undefined;
  const text = line.slice(line.search(/\bTUF_[A-Z_]+ \|/));
  return { code: text.split(' | ')[0], lines: text.split(' | ') };
}

function npmRefusal(stderr) {
  const lines = stderr.split('\n').filter((l) => l.startsWith('tufpm-npm ERR!'));
  const code = /tufpm-npm ERR! (TUF_[A-Z_]+):/.exec(stderr)?.[1];
  return code === undefined ? undefined : { code, lines: lines.map((l) => l.replace(/^tufpm-npm ERR! ?/, '')) };
}

function failInstall(tool, res) {
  const tail = `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-25).join('\n');
  return new DemoError(`${tool} failed (exit ${res.code}) on a genuine registry`, tail);
}

const sameState = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function main() {
  const paths = preflight();
  // Every temp file of the demo, the harness's registry dir and the children's included, lives below one
  // directory: removing it is the whole cleanup, whatever step was interrupted.
  const base = await mkdtemp(join(tmpdir(), 'tufpm-demo-'));
  session.defer(`temp dir ${base} removed`, () => removeTree(base));
  process.env.TMPDIR = base;
  const harness = await import(pathToFileURL(paths.harness).href);

  ui.line(bold('tufpm demo: every tarball of a Yarn and an npm install checked against TUF'));

  // ---- 1. registry ----
  ui.header(VERDACCIO ? 'Verdaccio 6.8 with verdaccio-tufpm on 127.0.0.1' : 'A signed npm registry on 127.0.0.1');
  let t = Date.now();
  const reg = VERDACCIO
    ? await createVerdaccioRegistry(ROOT, {
        packages: PACKAGES,
        seed: SEED,
        onProgress: (done, total) => {
          if (done === total || done % 25 === 0) ui.line(dim(`  published through Verdaccio's npm API and signed by the plugin: ${done}/${total}`));
        },
      })
    : await harness.createSignedRegistry({ packages: PACKAGES, seed: SEED, claimed: 'default' });
  session.defer('registry stopped', () => reg.close());
  const registryMs = Date.now() - t;
  const bins = 2 ** reg.fixture.bitLength;
  const v = reg.fixture.versions;
  const rootSha256 = createHash('sha256').update(reg.rootBytes).digest('hex');
  const claimWords = (c) => `${c.maintainers.join('+')} (${c.threshold} of ${c.maintainers.length})`;
  ui.facts([
    ['registry', `${reg.url}  (${reg.universe.packages.length} packages, ${reg.universe.targets.length} versions; ${VERDACCIO ? 'each published through Verdaccio and signed' : 'built and signed'} in ${seconds(registryMs)})`],
    ['top-level roles', `root v${v.root}, targets v${v.targets} (offline keys); snapshot v${v.snapshot}, timestamp v${v.timestamp} (online keys)`],
    ['unclaimed', `${bins} hash bins signed by the registry's online key cover every package nobody claimed`],
    ['claimed', `${reg.claims.length} packages have their own role, signed by their maintainers:`],
  ]);
  for (const c of reg.claims) ui.line(`  ${' '.repeat(15)}    ${c.name.padEnd(30)} ${claimWords(c)}`);
  ui.facts([
    ['trust anchor', `tufpm-root.json = the registry's 1.root.json, sha256`],
    ['', rootSha256],
    ['', dim('(a real project gets this file from the registry operator and checks its sha256 out of band)')],
    ['keys', dim('fixtures/keys/*.test-only.pem: public TEST keys, never for a real registry')],
  ]);
  result.registry = { kind: flags.registry, url: reg.url, packages: reg.universe.packages.length, versions: reg.universe.targets.length, roles: v, bins, claims: reg.claims.map((c) => ({ name: c.name, maintainers: c.maintainers, threshold: c.threshold })), rootSha256 };

  const dependencies = reg.universe.rootDependencies;
  // Verdaccio's releases are minutes old: Yarn 4.18 would quarantine them (npmMinimalAgeGate).
  const common = { paths, registryUrl: reg.url, rootBytes: reg.rootBytes, dependencies, ...(VERDACCIO ? { yarnrc: ['npmMinimalAgeGate: 0'] } : {}) };
  ui.line();
  ui.line(`  sample project: ${Object.keys(dependencies).length} direct dependencies, ${reg.universe.closure.length} packages in the tree`);

  // ---- 2. Yarn ----
  ui.header('yarn install (Yarn 4 + plugin-tuf)');
  const yarnProject = await YarnProject.create(session, base, common);
  ui.line(dim(`  .yarnrc.yml: npmRegistryServer, unsafeHttpWhitelist [127.0.0.1], plugins: [plugin-tuf.js], tufMode: enforce`));
  const yarnRes = await yarnProject.yarn(['install']);
  if (yarnRes.code !== 0) throw failInstall('yarn install', yarnRes);
  ui.quote('yarn', yarnRes.stdout.split('\n').filter((l) => /TUF|Done/.test(l)).map((l) => l.replace(/^➤ YN\d{4}: [│·└┌ ]*/, '')));
  const yarnPins = await yarnProject.pins();
  ui.line(`  ${OK} exit 0 in ${seconds(yarnRes.ms)}: ${Object.keys(yarnPins).length} packages verified, pinned in tufpm-lock.json with their yarn.lock checksums`);
  result.yarn = { exit: yarnRes.code, ms: yarnRes.ms, packages: Object.keys(yarnPins).length };

  // ---- 3. npm ----
  ui.header('tufpm-npm install (npm\'s Arborist)');
  const npmProject = await NpmProject.create(session, base, common);
  ui.line(dim(`  .npmrc: registry=${reg.url}`));
  const npmRes = await npmProject.tufpmNpm(['install']);
  if (npmRes.code !== 0) throw failInstall('tufpm-npm install', npmRes);
  ui.quote('tufpm-npm', npmRes.stderr.split('\n').filter((l) => l.startsWith('tufpm-npm:')).map((l) => l.replace(/^tufpm-npm: /, '')));
  const npmPins = await npmProject.pins();
  ui.line(`  ${OK} exit 0 in ${seconds(npmRes.ms)}: ${Object.keys(npmPins).length} packages verified; package-lock.json carries the signed sha512, tufpm-lock.json the pins`);
  result.npm = { exit: npmRes.code, ms: npmRes.ms, packages: Object.keys(npmPins).length };

  // ---- 4. what was verified ----
  ui.header('What was verified');
  const claims = new Map(reg.claims.map((c) => [c.name, c]));
  const keys = [...new Set([...Object.keys(yarnPins), ...Object.keys(npmPins)])];
  const nameOf = (key) => key.slice(0, key.lastIndexOf('@'));
  const rows = keys
    .map((key) => ({ key, pin: yarnPins[key] ?? npmPins[key] }))
    .sort((a, b) => Number(b.pin.maintainerSigned) - Number(a.pin.maintainerSigned) || a.key.localeCompare(b.key));
  ui.table(
    ['package', 'signed by', 'role', 'bytes', 'sha512', 'yarn', 'npm'],
    rows.map(({ key, pin }) => {
      const claim = claims.get(nameOf(key));
      const signer = pin.maintainerSigned && claim ? `maintainers ${claimWords(claim)}` : 'registry online key';
      const agree = (pins) => (pins[key] === undefined ? NO : pins[key].sha512 === pin.sha512 ? OK : NO);
      return [key, signer, `${pin.role} v${pin.roleVersion}`, pin.length, `${pin.sha512.slice(0, 12)}...`, agree(yarnPins), agree(npmPins)];
    }),
  );
  const maintainerSigned = rows.filter((r) => r.pin.maintainerSigned).length;
  const packageRoles = new Set(rows.filter((r) => r.pin.maintainerSigned).map((r) => r.pin.role));
  const binRoles = new Set(rows.filter((r) => !r.pin.maintainerSigned).map((r) => r.pin.role));
  const sameHashes = keys.every((k) => yarnPins[k] !== undefined && npmPins[k] !== undefined && yarnPins[k].sha512 === npmPins[k].sha512);
  expect(sameHashes, 'Yarn and npm pinned the same packages with the same signed sha512');
  expect(rows.length === reg.universe.closure.length, `every package of the tree was verified (${rows.length} of ${reg.universe.closure.length})`);
  const lock = JSON.parse(await yarnProject.read('tufpm-lock.json'));
  ui.line();
  ui.line(bold('  Summary'));
  ui.facts([
    ['packages', `${rows.length} verified by Yarn and by npm, same signed sha512 in both pins: ${sameHashes ? 'yes' : 'NO'}`],
    ['signed by', `${maintainerSigned} maintainer-signed (their own role and keys), ${rows.length - maintainerSigned} registry-signed (hash bins)`],
    ['roles', `${packageRoles.size} package roles + ${binRoles.size} of ${bins} hash bins, under targets v${lock.targets.version}, unclaimed, root v${lock.root.version}`],
    ['repository', `snapshot v${lock.snapshot.version}, timestamp v${lock.timestamp.version} (pinned: installs refuse anything older)`],
    ['time', `registry ${seconds(registryMs)}, yarn install ${seconds(yarnRes.ms)}, tufpm-npm install ${seconds(npmRes.ms)} (TUF refresh + verification included)`],
  ]);
  result.packages = rows.map(({ key, pin }) => ({ package: key, role: pin.role, roleVersion: pin.roleVersion, maintainerSigned: pin.maintainerSigned, length: pin.length, sha512: pin.sha512, yarn: yarnPins[key] !== undefined, npm: npmPins[key] !== undefined }));
  result.summary = { packages: rows.length, maintainerSigned, registrySigned: rows.length - maintainerSigned, packageRoles: packageRoles.size, bins: binRoles.size, root: lock.root.version, targets: lock.targets.version, snapshot: lock.snapshot.version, timestamp: lock.timestamp.version, sameHashes };

  // ---- 5. attack ----
  ui.header(VERDACCIO ? 'Attack: a tampered tarball in Verdaccio\'s storage' : 'Attack: the registry serves a tampered tarball');
  const victimName = Object.keys(dependencies).find((n) => !claims.has(n)) ?? Object.keys(dependencies)[0];
  const victim = keys.find((k) => nameOf(k) === victimName);
  const victimVersion = victim.slice(victimName.length + 1);
  await reg.tamperTarball(victimName, victimVersion, { sameLength: true });
  ui.line(`  The attacker (registry, mirror or CDN) replaces ${bold(victim)} with other code of the same`);
  ui.line('  length and rewrites the packument\'s dist.integrity to match, so npm\'s and Yarn\'s own checks pass.');
  ui.line('  The TUF metadata is untouched: the signed sha512 no longer matches. A fresh CI machine now runs');
  ui.line('  the committed project:');
  const attack = { package: victim, yarn: null, npm: null, plainNpm: null };
  result.attack = attack;

  ui.line();
  ui.line(`  ${bold('$ yarn install --immutable')} ${dim('(fresh machine: empty cache and mirror)')}`);
  await yarnProject.freshMachine();
  const yarnBefore = await yarnProject.state();
  const yarnAttack = await yarnProject.yarn(['install', '--immutable']);
  const yarnRefused = yarnRefusal(yarnAttack.stdout);
  const yarnUntouched = sameState(yarnBefore, await yarnProject.state());
  ui.quote('yarn', yarnRefused?.lines ?? yarnAttack.stdout.trim().split('\n').slice(-5));
  const yarnOk = expect(yarnAttack.code !== 0 && yarnRefused?.code === 'TUF_TARBALL_MISMATCH' && yarnUntouched, `yarn refuses ${victim} with TUF_TARBALL_MISMATCH, project untouched`);
  ui.line(`  ${yarnOk ? OK : NO} refused: exit ${yarnAttack.code}, ${yarnRefused?.code ?? 'no TUF code'}; package.json, yarn.lock, tufpm-lock.json, .pnp.cjs unchanged: ${yarnUntouched ? 'yes' : 'NO'}`);
  attack.yarn = { exit: yarnAttack.code, code: yarnRefused?.code ?? null, untouched: yarnUntouched };

  ui.line();
  ui.line(`  ${bold('$ tufpm-npm ci')} ${dim('(fresh machine: empty npm cache)')}`);
  await npmProject.freshMachine();
  const npmBefore = await npmProject.state();
  const npmAttack = await npmProject.tufpmNpm(['ci']);
  const npmRefused = npmRefusal(npmAttack.stderr);
  const npmUntouched = sameState(npmBefore, await npmProject.state());
  ui.quote('tufpm-npm', npmRefused?.lines ?? npmAttack.stderr.trim().split('\n').slice(-5));
  const npmOk = expect(npmAttack.code !== 0 && npmRefused?.code === 'TUF_TARBALL_MISMATCH' && npmUntouched, `tufpm-npm refuses ${victim} with TUF_TARBALL_MISMATCH, project untouched`);
  ui.line(`  ${npmOk ? OK : NO} refused: exit ${npmAttack.code}, ${npmRefused?.code ?? 'no TUF code'}; package.json, package-lock.json, tufpm-lock.json, node_modules unchanged: ${npmUntouched ? 'yes' : 'NO'}`);
  attack.npm = { exit: npmAttack.code, code: npmRefused?.code ?? null, untouched: npmUntouched };

  if (paths.npmCli !== undefined) {
    ui.line();
    ui.line(`  ${bold('$ npm install')} ${dim('(for comparison: plain npm, no tufpm, a new project without lockfile)')}`);
    const plain = await NpmProject.create(session, base, { ...common, name: 'plain-npm-app' });
    const plainRes = await plain.npm(['install', '--no-audit', '--no-fund']);
    const installed = await plain.read(join('node_modules', victimName, 'index.js'));
    const tookIt = plainRes.code === 0 && installed?.includes('pwned') === true;
    ui.line(`  ${tookIt ? NO : OK} exit ${plainRes.code}: ${tookIt ? `without tufpm, npm installed the tampered ${victim}; its index.js: ${dim(installed.split('\n')[0])}` : 'plain npm did not install the tampered bytes'}`);
    attack.plainNpm = { exit: plainRes.code, installedTampered: tookIt };
  }
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  exitCode = 1;
  if (session.interrupted) {
    // Ctrl-C: the failure is the interruption itself; the signal handler reports and exits.
  } else if (error instanceof DemoError) {
    process.stderr.write(`\ndemo failed: ${error.message}\n${error.detail ? `${error.detail}\n` : ''}`);
  } else {
    // Not a verification result: a bug or an environment problem. The stack helps whoever reports it.
    process.stderr.write(`\ndemo failed unexpectedly:\n${error instanceof Error ? error.stack : String(error)}\n`);
  }
}

if (!session.interrupted) {
  ui.header('Cleanup');
  const { done, failed } = await session.cleanup();
  for (const d of done) ui.line(`  ${OK} ${d}`);
  for (const f of failed) {
    ui.line(`  ${NO} ${f}`);
    problems.push(`cleanup: ${f}`);
  }
  result.cleanup = { done, failed };
  if (exitCode === 0 && problems.length > 0) exitCode = 1;
  result.ok = exitCode === 0;
  result.ms = Date.now() - started;
  ui.line();
  if (exitCode === 0) {
    ui.line(bold(`${OK} demo passed in ${seconds(result.ms)}: ${result.summary.packages} packages verified with Yarn and with npm; the tampered tarball was refused by both (TUF_TARBALL_MISMATCH).`));
  } else {
    for (const p of problems) ui.line(`${NO} expected, but did not happen: ${p}`);
    ui.line(bold(`${NO} demo FAILED after ${seconds(result.ms)}`));
  }
  if (flags.json) process.stdout.write(`${JSON.stringify({ ...result, problems }, null, 2)}\n`);
  process.exit(exitCode);
}
