import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addPackageVersion, buildPackageTarball } from '@tufpm/registry';
import { NpmWorld } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';

// `yarn dlx` in a tufpm project (ADR 0016): Yarn runs `yarn add` in a temporary project holding a copy of
// the project's .yarnrc.yml and nothing else. The plugin checks it with the trusted root and the pins of
// the project dlx was started from, and never writes that project's tufpm-lock.json. Before, every dlx
// stopped with TUF_NO_TRUSTED_ROOT.

function binPackage(name: string, say: string): Uint8Array {
  return buildPackageTarball({ name, version: '1.0.0', manifest: { bin: { [name]: 'cli.js' } }, files: { 'cli.js': `#!/usr/bin/env node\nconsole.log(${JSON.stringify(say)});\n` } });
}

describe('yarn dlx in a tufpm project', () => {
  let world: NpmWorld;
  let project: YarnProject;

  before(async () => {
    world = await NpmWorld.create();
    for (const name of ['hello-bin', 'evil-bin']) {
      const tarball = binPackage(name, `${name} ran`);
      await addPackageVersion(world.registryDir, tarball, { durable: false });
      await world.repo.publishTarball(tarball);
    }
    await world.publish('right', '1.0.0');
    project = await YarnProject.create(world, { right: '1.0.0' });
    const installed = await project.yarn(['install']);
    assert.equal(installed.code, 0, installed.stdout);
  });
  after(() => world.close());

  test('yarn dlx runs a package verified against the project\'s trusted root, and leaves the project\'s pins alone', async () => {
    const before = await project.state();
    const res = await project.yarn(['dlx', 'hello-bin']);
    assert.equal(res.code, 0, `${res.stdout}${res.stderr}`);
    assert.match(res.stdout, /TUF: 1 of 1 npm packages signed/);
    assert.match(res.stdout, /hello-bin ran/);
    assert.deepEqual(await project.state(), before, 'package.json, yarn.lock and tufpm-lock.json of the project unchanged');
  });

  test('rejects a tampered tarball in yarn dlx before its bin runs', async () => {
    await world.replaceTarball('evil-bin', '1.0.0', binPackage('evil-bin', 'evil-bin TAMPERED'));
    const before = await project.state();
    const res = await project.yarn(['dlx', 'evil-bin']);
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stdout, /TUF_TARBALL_MISMATCH/);
    assert.doesNotMatch(`${res.stdout}${res.stderr}`, /TAMPERED/, 'the tampered bin never ran');
    assert.deepEqual(await project.state(), before);
  });

  test('rejects a registry state below the project\'s pins in yarn dlx (the project\'s floors apply)', async () => {
    const text = (await project.read('tufpm-lock.json'))!;
    const pins = JSON.parse(text) as { snapshot: { version: number }; timestamp: { version: number } };
    // the project was last verified under a newer state than the registry (or a mirror) now serves
    pins.snapshot.version += 100;
    pins.timestamp.version += 100;
    await project.write('tufpm-lock.json', `${JSON.stringify(pins, null, 2)}\n`);
    try {
      const res = await project.yarn(['dlx', 'hello-bin']);
      assert.equal(res.code, 1, res.stdout);
      assert.match(res.stdout, /TUF_PIN_ROLLBACK/);
      assert.doesNotMatch(res.stdout, /hello-bin ran/);
    } finally {
      await project.write('tufpm-lock.json', text);
    }
  });
});
