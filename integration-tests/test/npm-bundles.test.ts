import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addPackageVersion, buildPackageTarball } from '@tufpm/registry';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { NpmWorld, isolatedEnv, run, type Project } from '../src/harness/npm-world.js';

// bundleDependencies with tufpm-npm. Arborist marks the root project's own bundled dependencies `inBundle`
// too, though they come from the registry like any dependency (issue 14 case 7: they were refused as
// smuggled); only a dependency's bundle ships inside a signed tarball (`inDepBundle`).

const VERIFY_CLI = join(dirname(createRequire(import.meta.url).resolve('@tufpm/cli')), 'main.js');

/** The CI gate (ADR 0015) on npm's own lockfile: passes, and says how many entries it checked and skipped. */
async function gatePasses(project: Project): Promise<{ packages: Array<{ name: string }>; notLookedUp: number }> {
  const res = await run(process.execPath, [VERIFY_CLI, '--json'], project.dir, isolatedEnv(project.machine));
  assert.equal(res.code, 0, res.stderr);
  return JSON.parse(res.stdout) as { packages: Array<{ name: string }>; notLookedUp: number };
}

describe('tufpm-npm and bundleDependencies', () => {
  let world: NpmWorld;

  before(async () => {
    world = await NpmWorld.create();
    await world.publish('right', '1.0.0');
    await world.publish('left', '1.0.0', { right: '^1.0.0' });
    // bundler@1.0.0 ships inner@3.0.0 inside its own signed tarball; inner is not on the registry at all.
    const bundler = buildPackageTarball({
      name: 'bundler',
      version: '1.0.0',
      dependencies: { inner: '3.0.0' },
      manifest: { bundleDependencies: ['inner'] },
      files: {
        'node_modules/inner/package.json': `${JSON.stringify({ name: 'inner', version: '3.0.0' })}\n`,
        'node_modules/inner/index.js': 'module.exports = "bundled inner";\n',
      },
    });
    await addPackageVersion(world.registryDir, bundler, { durable: false });
    await world.repo.publishTarball(bundler);
  });
  after(() => world.close());

  test('a root project with bundleDependencies installs', async () => {
    const project = await world.project({ dependencies: { left: '1.0.0' }, bundleDependencies: ['left'] });
    const res = await project.tufpmNpm(['install']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await project.read('node_modules/left/index.js'), `module.exports = {"name":"left","version":"1.0.0"};\n`);
    assert.equal(await project.read('node_modules/right/index.js'), `module.exports = {"name":"right","version":"1.0.0"};\n`);
    const pins = JSON.parse((await project.read('tufpm-lock.json'))!) as { packages: Record<string, unknown> };
    assert.deepEqual(Object.keys(pins.packages).sort(), ['left@1.0.0', 'right@1.0.0'], 'the root\'s bundled dependencies are verified and pinned like any other');
    await project.freshMachine();
    const ci = await project.tufpmNpm(['ci']);
    assert.equal(ci.code, 0, ci.stderr);
    // the gate checks the root's bundled left (inBundle in npm's lockfile, fetched from the registry) as any package
    const gate = await gatePasses(project);
    assert.deepEqual(gate.packages.map((p) => p.name).sort(), ['left', 'right']);
    assert.equal(gate.notLookedUp, 0);
  });

  test('a package bundled inside a dependency\'s signed tarball installs from that tarball', async () => {
    const project = await world.project({ dependencies: { bundler: '1.0.0' } });
    const res = await project.tufpmNpm(['install']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await project.read('node_modules/bundler/node_modules/inner/index.js'), 'module.exports = "bundled inner";\n');
    const pins = JSON.parse((await project.read('tufpm-lock.json'))!) as { packages: Record<string, unknown> };
    assert.deepEqual(Object.keys(pins.packages), ['bundler@1.0.0'], 'inner is covered by bundler\'s signed hash');
    // the gate skips inner (no URL, inside bundler, whose signed manifest bundles it) and checks bundler
    const gate = await gatePasses(project);
    assert.deepEqual(gate.packages.map((p) => p.name), ['bundler']);
    assert.equal(gate.notLookedUp, 1);
  });
});
