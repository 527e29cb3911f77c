import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NpmWorld } from '../src/harness/npm-world.js';
import { OTHER_PLATFORM, publishPlatformRewrite } from '../src/harness/attack-worlds.js';
import { refusedYarn, publishPackage } from '../src/harness/attacks-graph.js';
import { YarnProject } from '../src/harness/yarn.js';
import { signAsOlderRepository } from '../src/harness/resigned-targets.js';

// The manifest fields Yarn acts on (bins, platform conditions, its implicit node-gyp@latest) against real
// Yarn 4 with the tufpm plugin: a registry, a mirror or a yarn.lock edit that changes them is refused
// before anything is linked or run, with node-modules and PnP; the legitimate uses keep installing.

const LINKERS = [{ nodeLinker: 'pnp' }, { nodeLinker: 'node-modules' }] as const;

describe('Yarn with the tufpm plugin: the manifest fields are the signed ones', () => {
  let world: NpmWorld;

  before(async () => {
    world = await NpmWorld.create();
    // A harmless node-gyp: its bin exits 0 (a package that builds with node-gyp runs it at install).
    await publishPackage(world, 'node-gyp', '10.0.0', { bin: { 'node-gyp': 'bin/node-gyp.js' } }, { 'bin/node-gyp.js': '#!/usr/bin/env node\n' });
    await publishPackage(world, 'binpkg', '1.0.0', { bin: { binpkg: 'index.js' } }, {
      'index.js': '#!/usr/bin/env node\nconsole.log("binpkg genuine");\n',
      'danger.js': '#!/usr/bin/env node\nconsole.log("danger");\n',
    });
  });
  after(() => world.close());

  test('a package that really builds with node-gyp installs (Yarn adds node-gyp@latest)', async () => {
    await publishPackage(world, 'realgyp', '1.0.0', { scripts: { install: 'node-gyp rebuild' } }, { 'binding.gyp': '{"targets": []}\n' });
    const project = await YarnProject.create(world, { realgyp: '1.0.0' });
    const res = await project.yarn(['install']);
    assert.equal(res.code, 0, res.stdout);
    assert.match((await project.read('yarn.lock'))!, /"node-gyp@npm:latest"/, 'Yarn added its implicit node-gyp dependency');
  });

  test('rejects node-gyp smuggled into a packument (Yarn)', async () => {
    // The registry signs a node-gyp release with a postinstall into its bin (online key), and adds
    // node-gyp@latest to a package whose signed manifest neither depends on nor builds with node-gyp.
    await publishPackage(world, 'node-gyp', '10.0.1', { bin: { 'node-gyp': 'bin/node-gyp.js' }, scripts: { postinstall: 'node -e "require(\'fs\').writeFileSync(\'pwned\', \'x\')"' } }, { 'bin/node-gyp.js': '#!/usr/bin/env node\n' });
    await publishPackage(world, 'gyphost', '1.0.0', {});
    await world.editPackumentManifest('gyphost', '1.0.0', (m) => { m['dependencies'] = { 'node-gyp': 'latest' }; });
    for (const rc of LINKERS) {
      const project = await YarnProject.create(world, { gyphost: '1.0.0' }, { rc: { ...rc } });
      await refusedYarn(project, ['install'], /TUF_EXTRANEOUS_DEPENDENCY/, /package gyphost@1\.0\.0/, /dependencies node-gyp@latest is not declared by the signed package/,
        /attack: extraneous dependencies/);
    }
  });

  test('rejects an install script that runs node-gyp added to the packument (Yarn adds node-gyp@latest itself)', async () => {
    await publishPackage(world, 'gypscript', '1.0.0', {});
    await world.editPackumentManifest('gypscript', '1.0.0', (m) => { m['scripts'] = { install: 'node-gyp rebuild' }; });
    const project = await YarnProject.create(world, { gypscript: '1.0.0' });
    await refusedYarn(project, ['install'], /TUF_EXTRANEOUS_DEPENDENCY/, /package gypscript@1\.0\.0/, /node-gyp@latest is not declared/);
  });

  test('the bins of a normal package are linked', async () => {
    for (const rc of LINKERS) {
      const project = await YarnProject.create(world, { binpkg: '1.0.0' }, { rc: { ...rc } });
      const res = await project.yarn(['install']);
      assert.equal(res.code, 0, res.stdout);
      const run = await project.yarn(['run', 'binpkg']);
      assert.match(run.stdout, /binpkg genuine/, `${rc.nodeLinker}: ${run.stdout}`);
    }
  });

  test('rejects a bin map rewritten in the packument (node-modules and PnP)', async () => {
    await publishPackage(world, 'binpkg', '1.0.1', { bin: { binpkg: 'index.js' } }, { 'index.js': '#!/usr/bin/env node\n', 'danger.js': '#!/usr/bin/env node\n' });
    await world.editPackumentManifest('binpkg', '1.0.1', (m) => { m['bin'] = { binpkg: 'danger.js', eslint: 'danger.js' }; });
    for (const rc of LINKERS) {
      const project = await YarnProject.create(world, { binpkg: '1.0.1' }, { rc: { ...rc } });
      await refusedYarn(project, ['install'], /TUF_MANIFEST_FIELD/, /package binpkg@1\.0\.1/, /bin binpkg -> danger\.js differs from the signed index\.js/,
        /bin eslint -> danger\.js is not a bin of the signed package/, /attack: unsigned manifest fields/);
    }
  });

  test('rejects a bin map rewritten in yarn.lock by a pull request (yarn install --immutable)', async () => {
    const project = await YarnProject.create(world, { binpkg: '1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    const lock = (await project.read('yarn.lock'))!;
    const edited = lock.replace('    binpkg: index.js\n', '    binpkg: danger.js\n');
    assert.notEqual(edited, lock);
    await project.write('yarn.lock', edited);
    await project.freshMachine();
    await refusedYarn(project, ['install', '--immutable'], /TUF_MANIFEST_FIELD/, /package binpkg@1\.0\.0/, /bin binpkg -> danger\.js differs/);
    const check = await project.yarn(['tuf', 'verify']);
    assert.equal(check.code, 1, check.stdout);
    assert.match(check.stdout, /TUF_MANIFEST_FIELD/, 'yarn tuf verify reports it too');
  });

  test('rejects a bin escaping the package directory', async () => {
    await publishPackage(world, 'escaper', '1.0.0', { bin: { escaper: 'index.js' } });
    await world.editPackumentManifest('escaper', '1.0.0', (m) => { m['bin'] = { escaper: '../binpkg/danger.js' }; });
    for (const rc of LINKERS) {
      const project = await YarnProject.create(world, { escaper: '1.0.0', binpkg: '1.0.0' }, { rc: { ...rc } });
      await refusedYarn(project, ['install'], /TUF_BIN_ESCAPE/, /package escaper@1\.0\.0/, /bin escaper -> \.\.\/binpkg\/danger\.js leaves the package directory/,
        /attack: bin link outside the package/);
    }
  });

  test('optional packages for another platform are skipped', async () => {
    for (const [name, os] of [[`plat-${process.platform}`, process.platform], [`plat-${OTHER_PLATFORM}`, OTHER_PLATFORM]] as const) {
      await publishPackage(world, name, '1.0.0', { os: [os], cpu: [process.arch, 'arm'] });
    }
    await publishPackage(world, 'plathost', '1.0.0', { optionalDependencies: { [`plat-${process.platform}`]: '1.0.0', [`plat-${OTHER_PLATFORM}`]: '1.0.0' } });
    const project = await YarnProject.create(world, { plathost: '1.0.0' }, { rc: { nodeLinker: 'node-modules' } });
    const res = await project.yarn(['install']);
    assert.equal(res.code, 0, res.stdout);
    assert.ok(existsSync(join(project.dir, 'node_modules', `plat-${process.platform}`)), 'this platform\'s package installed');
    assert.ok(!existsSync(join(project.dir, 'node_modules', `plat-${OTHER_PLATFORM}`)), 'the other platform\'s package skipped');
  });

  test('rejects os/cpu rewritten in the packument (another platform\'s package installed here)', async () => {
    await publishPlatformRewrite(world);
    for (const rc of LINKERS) {
      const project = await YarnProject.create(world, { oshost: '1.0.0' }, { rc: { ...rc } });
      await refusedYarn(project, ['install'], /TUF_MANIFEST_FIELD/, new RegExp(`package osx-${OTHER_PLATFORM}@1\\.0\\.0`), /package cpux@1\.0\.0/,
        /conditions .* differ from the signed/);
    }
  });

  test('a target signed without manifest fields (older repository) gets no node-gyp exemption and refuses its bins', async () => {
    const gyp = await publishPackage(world, 'oldgyp', '1.0.0', { scripts: { install: 'node-gyp rebuild' } });
    await signAsOlderRepository(world, gyp.role, 'oldgyp', '1.0.0', gyp.tarball);
    const bin = await publishPackage(world, 'oldbin', '1.0.0', { bin: { oldbin: 'index.js' } });
    await signAsOlderRepository(world, bin.role, 'oldbin', '1.0.0', bin.tarball);
    const project = await YarnProject.create(world, { oldgyp: '1.0.0', oldbin: '1.0.0' });
    await refusedYarn(project, ['install'], /TUF_MANIFEST_UNSIGNED/, /package oldbin@1\.0\.0/, /its bin cannot be checked/);
    const gypOnly = await YarnProject.create(world, { oldgyp: '1.0.0' });
    await refusedYarn(gypOnly, ['install'], /TUF_EXTRANEOUS_DEPENDENCY/, /package oldgyp@1\.0\.0/, /node-gyp@latest is not declared/);
  });
});
