import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPackageTarball } from '@tufpm/registry';
import { NpmWorld } from '../src/harness/npm-world.js';

// Clean installs with tufpm-npm (real Arborist in a child process) against a signed loopback registry.

describe('tufpm-npm install and ci', () => {
  let world: NpmWorld;
  const owners = [NpmWorld.maintainer(), NpmWorld.maintainer()];

  before(async () => {
    world = await NpmWorld.create();
    await world.publish('right', '1.0.0');
    await world.publish('left', '1.0.0', { right: '^1.0.0' });
    await world.publish('@acme/util', '2.0.0');
    await world.claim('owned', owners, 2);
    await world.publish('owned', '1.0.0', {}, owners.map((m) => m.signer));
    await world.publish('devtool', '0.1.0');
  });
  after(() => world.close());

  test('init writes tufpm-root.json only when the registry root matches the sha256 given out of band', async () => {
    const project = await world.project();
    const genuine = await world.readMetadata('1.root.json');
    const sha = createHash('sha256').update(genuine).digest('hex');
    await rm(join(project.dir, 'tufpm-root.json'));
    const wrong = await project.tufpmNpm(['init', '--root-sha256', 'ab'.repeat(32)]);
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /TUF_NO_TRUSTED_ROOT/);
    assert.equal(await project.read('tufpm-root.json'), undefined, 'nothing written for a root with another sha256');
    const ok = await project.tufpmNpm(['init', '--root-sha256', sha]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(await project.read('tufpm-root.json'), genuine.toString('utf8'));
    const again = await project.tufpmNpm(['init', '--root-sha256', sha]);
    assert.equal(again.code, 1, 'an existing trusted root is not replaced without --force');
    const keep = await project.tufpmNpm(['init']);
    assert.equal(keep.code, 0, `init without a new root keeps the committed one and records floors\n${keep.stderr}`);
    assert.equal(await project.read('tufpm-root.json'), genuine.toString('utf8'));
    const install = await project.tufpmNpm(['install', 'left']);
    assert.equal(install.code, 0, install.stderr);
  });

  test('init records the verified floors and the claims of the project\'s packages in tufpm-lock.json', async () => {
    const project = await world.project({ dependencies: { owned: '^1.0.0', left: '^1.0.0' } });
    const res = await project.tufpmNpm(['init', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const lock = JSON.parse((await project.read('tufpm-lock.json'))!) as {
      registry: string; timestamp: { version: number }; snapshot: { version: number }; targets: { version: number };
      claims: Record<string, { keyids: string[]; threshold: number }>; packages: Record<string, unknown>;
    };
    const timestamp = JSON.parse((await world.readMetadata('timestamp.json')).toString('utf8')) as { signed: { version: number; meta: Record<string, { version: number }> } };
    assert.equal(lock.registry, world.url);
    assert.equal(lock.timestamp.version, timestamp.signed.version);
    assert.equal(lock.snapshot.version, timestamp.signed.meta['snapshot.json']!.version);
    assert.ok(lock.targets.version >= 1);
    assert.deepEqual(Object.keys(lock.claims), ['owned'], 'only the claimed package of the project');
    assert.equal(lock.claims['owned']!.threshold, 2);
    assert.deepEqual(lock.claims['owned']!.keyids, owners.map((m) => m.key.keyid).sort());
    assert.deepEqual(lock.packages, {});
    assert.equal((await project.tufpmNpm(['install'])).code, 0);
    const after = JSON.parse((await project.read('tufpm-lock.json'))!) as { claims: Record<string, unknown>; packages: Record<string, { maintainerSigned: boolean }> };
    assert.deepEqual(after.claims, lock.claims, 'installs keep the claims init recorded');
    assert.equal(after.packages['owned@1.0.0']!.maintainerSigned, true);
  });

  test('install adds packages, binds package-lock.json to the signed sha512 and pins the repository state', async () => {
    const project = await world.project();
    const res = await project.tufpmNpm(['install', 'left', '@acme/util', 'owned', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { ok: boolean; packages: Array<{ name: string; role: string; maintainerSigned: boolean; integrity: string }> };
    assert.equal(out.ok, true);
    assert.deepEqual(out.packages.map((p) => p.name).sort(), ['@acme/util', 'left', 'owned', 'right']);
    assert.equal(out.packages.find((p) => p.name === 'owned')!.role, 'owned');
    assert.equal(out.packages.find((p) => p.name === 'owned')!.maintainerSigned, true);
    assert.match(out.packages.find((p) => p.name === 'left')!.role, /^unclaimed-/);
    assert.equal(await project.read('node_modules/right/index.js'), `module.exports = {"name":"right","version":"1.0.0"};\n`);
    const pkg = JSON.parse((await project.read('package.json'))!) as { dependencies: Record<string, string> };
    assert.deepEqual(pkg.dependencies, { '@acme/util': '^2.0.0', left: '^1.0.0', owned: '^1.0.0' });
    const lock = JSON.parse((await project.read('package-lock.json'))!) as { packages: Record<string, { integrity?: string; resolved?: string }> };
    for (const p of out.packages) {
      assert.equal(lock.packages[`node_modules/${p.name}`]!.integrity, p.integrity, `${p.name} integrity is the signed one`);
    }
    const pins = JSON.parse((await project.read('tufpm-lock.json'))!) as { registry: string; snapshot: { version: number }; packages: Record<string, { role: string }> };
    assert.equal(pins.registry, world.url);
    assert.deepEqual(Object.keys(pins.packages).sort(), ['@acme/util@2.0.0', 'left@1.0.0', 'owned@1.0.0', 'right@1.0.0']);
  });

  test('install --save-dev and ci --omit dev install only what npm would', async () => {
    const project = await world.project({ dependencies: { left: '^1.0.0' } });
    const add = await project.tufpmNpm(['install', '--save-dev', 'devtool']);
    assert.equal(add.code, 0, add.stderr);
    const pkg = JSON.parse((await project.read('package.json'))!) as { devDependencies: Record<string, string> };
    assert.deepEqual(pkg.devDependencies, { devtool: '^0.1.0' });
    assert.ok(existsSync(join(project.dir, 'node_modules/devtool/package.json')));

    await project.freshMachine();
    const pinsBefore = await project.read('tufpm-lock.json');
    assert.ok(pinsBefore, 'install wrote tufpm-lock.json');
    const ci = await project.tufpmNpm(['ci', '--omit', 'dev']);
    assert.equal(ci.code, 0, ci.stderr);
    assert.ok(existsSync(join(project.dir, 'node_modules/left/package.json')));
    assert.ok(!existsSync(join(project.dir, 'node_modules/devtool')), 'dev dependency omitted');
    assert.equal(await project.read('tufpm-lock.json'), pinsBefore, 'ci is frozen: it checks the pins and never moves them');
  });

  test('verify and status report the signed state without installing', async () => {
    const project = await world.project();
    assert.equal((await project.tufpmNpm(['install', 'left'])).code, 0);
    const verify = await project.tufpmNpm(['verify', '--json']);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal((JSON.parse(verify.stdout) as { packages: unknown[] }).packages.length, 2);
    const status = await project.tufpmNpm(['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { pins: { packages: number; snapshot: number }; current: { snapshot: { version: number } } };
    assert.equal(s.pins.packages, 2);
    assert.equal(s.pins.snapshot, s.current.snapshot.version);
  });

  test('installs a workspaces project: workspace links are the project itself, their dependencies verified', async () => {
    const project = await world.project({ workspaces: ['ws'] });
    await project.write('ws/package.json', JSON.stringify({ name: 'ws', version: '1.0.0', dependencies: { right: '^1.0.0' } }));
    const res = await project.tufpmNpm(['install', '--json']);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual((JSON.parse(res.stdout) as { packages: Array<{ name: string }> }).packages.map((p) => p.name), ['right']);
    assert.ok(existsSync(join(project.dir, 'node_modules/ws/package.json')));
    await project.freshMachine();
    assert.equal((await project.tufpmNpm(['ci'])).code, 0);
  });

  test('rejects a tampered tarball: nothing installed, package.json and lockfiles untouched, coded error', async () => {
    const project = await world.project({ dependencies: { right: '^1.0.0' } });
    await world.publish('victim', '1.0.0');
    await world.replaceTarball('victim', '1.0.0', buildPackageTarball({ name: 'victim', version: '1.0.0', files: { 'index.js': 'stealSecrets()' } }));
    const beforeState = await project.state();
    const res = await project.tufpmNpm(['install', 'victim']);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /TUF_TARBALL_MISMATCH/);
    assert.match(res.stderr, /package: victim@1\.0\.0/);
    assert.match(res.stderr, /role: +unclaimed-/);
    assert.match(res.stderr, /attack: +tampered tarball/);
    assert.deepEqual(await project.state(), beforeState);
    assert.ok(!existsSync(join(project.dir, 'node_modules')));
    void readFile;
  });
});

describe('tufpm-npm on a larger tree', () => {
  let world: NpmWorld;
  before(async () => {
    world = await NpmWorld.create();
  });
  after(() => world.close());

  test('verifies every package of a 150-package universe, with progress on stderr', async () => {
    const universe = await world.universe(150, 'npm-large-tree');
    const project = await world.project({ dependencies: universe.rootDependencies });
    const res = await project.tufpmNpm(['install', '--progress', '--ignore-scripts']);
    assert.equal(res.code, 0, res.stderr);
    const closure = new Set(universe.closure);
    const pins = JSON.parse((await project.read('tufpm-lock.json'))!) as { packages: Record<string, unknown> };
    assert.deepEqual(new Set(Object.keys(pins.packages)), closure);
    assert.match(res.stderr, new RegExp(`tufpm-npm verifying ${closure.size}/${closure.size}`));
    assert.match(res.stderr, new RegExp(`${closure.size} package\\(s\\) verified against TUF`));
  });
});
