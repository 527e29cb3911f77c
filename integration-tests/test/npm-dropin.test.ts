import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addPackageVersion, buildPackageTarball, packumentFile } from '@tufpm/registry';
import { NpmWorld, TUFPM_NPM_CLI, isolatedEnv, run, type CliResult, type Project } from '../src/harness/npm-world.js';

// tufpm-npm as a drop-in for npm (issue 16): npm's options with npm's meaning, npm's security config
// (release age, scoped registries), the other tree commands, verified exec, workspaces, init's .npmrc.
// Real tufpm-npm (child process, real Arborist) against the signed loopback registry.

const DAY = 86_400_000;

async function unchanged(project: Project, args: string[], exit: number, code: RegExp, extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const before = await project.state();
  const res = await project.tufpmNpm(args, extraEnv);
  assert.equal(res.code, exit, `exit ${exit} expected\n${res.stderr}`);
  assert.match(res.stderr, code);
  assert.deepEqual(await project.state(), before, 'nothing touched');
  return res;
}

const pkg = async (project: Project): Promise<{ dependencies?: Record<string, string> }> => JSON.parse((await project.read('package.json'))!) as { dependencies?: Record<string, string> };

describe('tufpm-npm as a drop-in for npm', () => {
  let world: NpmWorld;

  before(async () => {
    world = await NpmWorld.create();
    await world.publish('right', '1.0.0');
    await world.publish('left', '1.0.0', { right: '^1.0.0' });
    // aged: 1.0.0 published 60 days ago, 1.1.0 today (the registry's publish time, as npm reads it)
    for (const [version, time] of [['1.0.0', new Date(Date.now() - 60 * DAY)], ['1.1.0', new Date()]] as const) {
      const tarball = buildPackageTarball({ name: 'aged', version });
      await addPackageVersion(world.registryDir, tarball, { durable: false, time });
      await world.repo.publishTarball(tarball);
    }
  });
  after(() => world.close());

  test('accepts a common CI line and npm\'s install-shaping flags with npm\'s meaning', async () => {
    const project = await world.project({ dependencies: { left: '^1.0.0' } });
    assert.equal((await project.tufpmNpm(['install', '--no-audit', '--no-fund'])).code, 0);
    const ci = await project.tufpmNpm(['ci', '--no-audit', '--prefer-offline', '--no-fund', '-s', '--loglevel', 'warn', '--legacy-peer-deps']);
    assert.equal(ci.code, 0, ci.stderr);
    assert.ok(existsSync(join(project.dir, 'node_modules', 'right')), 'hoisted by default');
    const fresh = await world.project();
    const nested = await fresh.tufpmNpm(['install', 'left', '--install-strategy=nested']);
    assert.equal(nested.code, 0, nested.stderr);
    assert.ok(existsSync(join(fresh.dir, 'node_modules', 'left', 'node_modules', 'right')), '--install-strategy=nested nests right under left, as npm');
    assert.ok(!existsSync(join(fresh.dir, 'node_modules', 'right')));
  });

  test('--dry-run verifies and writes nothing; --no-save installs without touching package.json, lockfiles or pins', async () => {
    const project = await world.project();
    const dry = await unchanged(project, ['install', 'left', '--dry-run'], 0, /2 package\(s\) verified .*dry run/);
    assert.doesNotMatch(dry.stderr, /ERR!/);
    const before = await project.state();
    const noSave = await project.tufpmNpm(['install', 'left', '--no-save', '--json']);
    assert.equal(noSave.code, 0, noSave.stderr);
    assert.equal((JSON.parse(noSave.stdout) as { pinsMoved: boolean }).pinsMoved, false);
    const after = await project.state();
    assert.deepEqual([after.packageJson, after.packageLock, after.tufpmLock], [before.packageJson, before.packageLock, before.tufpmLock]);
    assert.ok(after.nodeModules.includes('left'));
  });

  test('refuses npm options it does not implement by name instead of ignoring them, from flags and .npmrc', async () => {
    const project = await world.project();
    const global = await unchanged(project, ['install', '-g', 'left'], 2, /TUF_NPM_UNSUPPORTED_OPTION/);
    assert.match(global.stderr, /--global/);
    await project.write('.npmrc', `registry=${world.url}\nallow-scripts[]=left\n`);
    const rc = await unchanged(project, ['install', 'left'], 2, /TUF_NPM_UNSUPPORTED_OPTION/);
    assert.match(rc.stderr, /allow-scripts \(set in .*\.npmrc\)/);
  });

  test('min-release-age and before pick and refuse versions as plain npm does', async () => {
    const project = await world.project();
    await project.write('.npmrc', `registry=${world.url}\nmin-release-age=30\n`);
    const res = await project.tufpmNpm(['install', 'aged']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await pkg(project)).dependencies?.['aged'], '^1.0.0', 'the 30-day-old window picks 1.0.0, not today\'s 1.1.0');
    // plain npm with the same .npmrc picks the same version
    const plain = await world.project();
    await plain.write('.npmrc', `registry=${world.url}\nmin-release-age=30\n`);
    assert.equal((await plain.npm(['install', 'aged', '--ignore-scripts', '--no-audit', '--no-fund'])).code, 0);
    assert.equal((await pkg(plain)).dependencies?.['aged'], '^1.0.0');
    // a too-new exact version is refused, by the npm_config_before variable as by .npmrc
    const fresh = await world.project();
    await unchanged(fresh, ['install', 'aged@1.1.0'], 1, /TUF_NPM_ETARGET/, { npm_config_before: new Date(Date.now() - 10 * DAY).toISOString() });
  });

  test('rejects a version whose publish time the registry removed, under a release-age window', async () => {
    // npm-pick-manifest lets a version without a time through; a registry that drops time["1.1.0"] would
    // lift the window. tufpm-npm counts it as never published.
    const file = packumentFile(world.registryDir, 'aged');
    const original = await readFile(file, 'utf8');
    const doc = JSON.parse(original) as { time: Record<string, string> };
    delete doc.time['1.1.0'];
    await writeFile(file, JSON.stringify(doc));
    try {
      const project = await world.project({ dependencies: { aged: '^1.0.0' } });
      await project.write('.npmrc', `registry=${world.url}\nmin-release-age=30\n`);
      const res = await project.tufpmNpm(['install']);
      assert.equal(res.code, 0, res.stderr);
      const lock = JSON.parse((await project.read('package-lock.json'))!) as { packages: Record<string, { version: string }> };
      assert.equal(lock.packages['node_modules/aged']!.version, '1.0.0');
    } finally {
      await writeFile(file, original);
    }
  });

  test('rejects a scoped registry without TUF metadata, naming the scope, before any request', async () => {
    const project = await world.project({ dependencies: { left: '^1.0.0' } });
    await project.write('.npmrc', `registry=${world.url}\n@acme:registry=http://127.0.0.1:9/\n`);
    const res = await unchanged(project, ['install'], 2, /TUF_NPM_SCOPED_REGISTRY/);
    assert.match(res.stderr, /@acme packages/);
  });

  test('uninstall, update, dedupe, prune, ls and outdated work verified', async () => {
    const project = await world.project();
    assert.equal((await project.tufpmNpm(['install', 'left', 'right@1.0.0', '--save-exact'])).code, 0);
    await world.publish('right', '1.0.1');
    const outdated = await project.tufpmNpm(['outdated', '--json']);
    assert.equal(outdated.code, 1, 'outdated exits 1 when something is outdated, as npm');
    assert.deepEqual((JSON.parse(outdated.stdout) as Record<string, { current: string; wanted: string; latest: string }>)['right'], { current: '1.0.0', wanted: '1.0.0', latest: '1.0.1', dependent: 'app', location: join(project.dir, 'node_modules', 'right') });
    const ls = await project.tufpmNpm(['ls', '--all']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /├── left@1\.0\.0 \(registry-signed\)/);
    assert.equal((await project.tufpmNpm(['uninstall', 'right'])).code, 0);
    assert.equal((await pkg(project)).dependencies?.['right'], undefined);
    const update = await project.tufpmNpm(['update', '--json']);
    assert.equal(update.code, 0, update.stderr);
    const pins = JSON.parse((await project.read('tufpm-lock.json'))!) as { packages: Record<string, unknown> };
    assert.ok(pins.packages['right@1.0.1'], 'update verified and pinned the new version');
    assert.equal((await project.tufpmNpm(['dedupe'])).code, 0);
    await mkdir(join(project.dir, 'node_modules', 'stray'), { recursive: true });
    await writeFile(join(project.dir, 'node_modules', 'stray', 'package.json'), '{"name":"stray","version":"1.0.0"}');
    const prune = await project.tufpmNpm(['prune']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.ok(!existsSync(join(project.dir, 'node_modules', 'stray')), 'prune removed the extraneous package');
  });

  test('ls reports a package whose recorded integrity is not the signed one; outdated rejects a packument hiding a signed release', async () => {
    await world.publish('hidden', '1.0.0');
    const project = await world.project();
    assert.equal((await project.tufpmNpm(['install', 'left', 'hidden'])).code, 0);
    const hiddenLock = join(project.dir, 'node_modules', '.package-lock.json');
    const lock = JSON.parse(await readFile(hiddenLock, 'utf8')) as { packages: Record<string, { integrity: string }> };
    lock.packages['node_modules/left']!.integrity = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
    await writeFile(hiddenLock, JSON.stringify(lock));
    const ls = await project.tufpmNpm(['ls']);
    assert.equal(ls.code, 1, ls.stdout);
    assert.match(ls.stdout, /left@1\.0\.0 \(UNVERIFIED TUF_LOCK_INTEGRITY\)/);
    assert.match(ls.stdout, /hidden@1\.0\.0 \(registry-signed\)/);
    // the registry hides the signed fix 1.0.1 from the packument: outdated must not report "up to date"
    await world.publish('hidden', '1.0.1');
    const file = packumentFile(world.registryDir, 'hidden');
    const doc = JSON.parse(await readFile(file, 'utf8')) as { versions: Record<string, unknown>; 'dist-tags': Record<string, string> };
    delete doc.versions['1.0.1'];
    doc['dist-tags']['latest'] = '1.0.0';
    await writeFile(file, JSON.stringify(doc));
    await project.freshMachine();
    const outdated = await project.tufpmNpm(['outdated', 'hidden']);
    assert.equal(outdated.code, 1, outdated.stderr);
    assert.match(outdated.stderr, /TUF_RELEASE_HIDDEN/);
  });

  test('rejects a tampered tarball on update: nothing changes', async () => {
    const project = await world.project();
    await world.publish('drift', '1.0.0');
    assert.equal((await project.tufpmNpm(['install', 'drift'])).code, 0);
    await world.publish('drift', '1.0.1');
    await world.replaceTarball('drift', '1.0.1', buildPackageTarball({ name: 'drift', version: '1.0.1', files: { 'index.js': 'stealSecrets()' } }));
    await unchanged(project, ['update'], 1, /TUF_TARBALL_MISMATCH/);
  });

  test('exec runs a verified package\'s bin, and rejects a tampered package before it runs', async () => {
    const bin = '#!/usr/bin/env node\nrequire("fs").writeFileSync(process.argv[2], "ran " + require("./package.json").version)\n';
    for (const name of ['hello-bin', 'evil-bin']) {
      const tarball = buildPackageTarball({ name, version: '1.0.0', manifest: { bin: { [name]: 'cli.js' } }, files: { 'cli.js': bin } });
      await addPackageVersion(world.registryDir, tarball, { durable: false });
      await world.repo.publishTarball(tarball);
    }
    const project = await world.project();
    const marker = join(project.dir, 'marker');
    const ok = await project.tufpmNpm(['exec', 'hello-bin', '--', marker]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(await readFile(marker, 'utf8'), 'ran 1.0.0');
    const named = await project.tufpmNpm(['exec', '--package', 'hello-bin', '--', 'hello-bin', `${marker}2`]);
    assert.equal(named.code, 0, named.stderr);
    assert.equal(await readFile(`${marker}2`, 'utf8'), 'ran 1.0.0');
    const evil = buildPackageTarball({ name: 'evil-bin', version: '1.0.0', manifest: { bin: { 'evil-bin': 'cli.js' } }, files: { 'cli.js': bin.replace('"ran "', '"pwned "') } });
    await world.replaceTarball('evil-bin', '1.0.0', evil);
    const evilMarker = join(project.dir, 'evil-marker');
    const refused = await unchanged(project, ['exec', 'evil-bin', '--', evilMarker], 1, /TUF_TARBALL_MISMATCH/);
    assert.match(refused.stderr, /attack: +tampered tarball/);
    assert.ok(!existsSync(evilMarker), 'the tampered bin never ran');
  });

  test('engine-strict refuses a package whose signed engines exclude this node, as npm; without it the install proceeds', async () => {
    const tarball = buildPackageTarball({ name: 'old-engine', version: '1.0.0', manifest: { engines: { node: '<1.0.0' } } });
    await addPackageVersion(world.registryDir, tarball, { durable: false });
    await world.repo.publishTarball(tarball);
    const project = await world.project();
    await project.write('.npmrc', `registry=${world.url}\nengine-strict=true\n`);
    await unchanged(project, ['install', 'old-engine'], 1, /TUF_NPM_EBADENGINE/);
    await project.write('.npmrc', `registry=${world.url}\n`);
    const res = await project.tufpmNpm(['install', 'old-engine']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /WARN EBADENGINE old-engine@1\.0\.0/);
    const ci = await project.tufpmNpm(['ci'], { npm_config_engine_strict: 'true' });
    assert.equal(ci.code, 1, 'engine-strict applies to ci too');
    assert.match(ci.stderr, /TUF_NPM_EBADENGINE/);
  });

  test('workspaces: -w installs into a workspace, and running inside one finds the root\'s trust and lockfiles', async () => {
    const project = await world.project({ workspaces: ['packages/*'] });
    for (const name of ['a', 'b']) {
      await mkdir(join(project.dir, 'packages', name), { recursive: true });
      await writeFile(join(project.dir, 'packages', name, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
    }
    const res = await project.tufpmNpm(['install', 'left', '-w', 'a']);
    assert.equal(res.code, 0, res.stderr);
    const a = JSON.parse(await readFile(join(project.dir, 'packages', 'a', 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    assert.equal(a.dependencies?.['left'], '^1.0.0');
    assert.equal((await pkg(project)).dependencies, undefined, 'the root package.json is not the one -w a changes');
    const inside = await run(process.execPath, [TUFPM_NPM_CLI, 'install', 'right'], join(project.dir, 'packages', 'b'), isolatedEnv(project.machine));
    assert.equal(inside.code, 0, inside.stderr);
    const b = JSON.parse(await readFile(join(project.dir, 'packages', 'b', 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    assert.match(b.dependencies?.['right'] ?? '', /^\^1\.0\.\d$/);
    assert.ok(!existsSync(join(project.dir, 'packages', 'b', 'package-lock.json')), 'one lockfile, at the root');
    const pins = JSON.parse((await project.read('tufpm-lock.json'))!) as { packages: Record<string, unknown> };
    assert.ok(Object.keys(pins.packages).some((k) => k.startsWith('right@')) && pins.packages['left@1.0.0'], 'the root tufpm-lock.json pins both workspaces\' packages');
    assert.ok(!existsSync(join(project.dir, 'packages', 'b', 'tufpm-lock.json')));
  });

  test('init writes registry= into the project .npmrc, and never overwrites a conflicting one', async () => {
    const project = await world.project();
    await project.write('.npmrc', '');
    const init = await project.tufpmNpm(['init', '--registry', world.url]);
    assert.equal(init.code, 0, init.stderr);
    // with the plain-npm guard's lines (ADR 0015)
    assert.equal(await project.read('.npmrc'), `registry=${world.url}\nengine-strict=true\nyes=false\n`);
    assert.equal((await project.tufpmNpm(['install', 'left'])).code, 0, 'the next install goes to the trusted registry');
    await project.write('.npmrc', 'registry=http://127.0.0.1:9/\nfund=false\n');
    const conflict = await project.tufpmNpm(['init', '--registry', world.url]);
    assert.equal(conflict.code, 0, conflict.stderr);
    assert.match(conflict.stderr, new RegExp(`sets registry=http://127\\.0\\.0\\.1:9/.*Change that line to: registry=${world.url.replace(/[.]/g, '\\.')}`));
    assert.equal(await project.read('.npmrc'), 'registry=http://127.0.0.1:9/\nfund=false\n', 'left unchanged');
  });
});
