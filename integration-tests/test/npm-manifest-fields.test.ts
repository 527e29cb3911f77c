import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NpmWorld } from '../src/harness/npm-world.js';
import { OTHER_PLATFORM, publishPlatformRewrite } from '../src/harness/attack-worlds.js';
import { signAsOlderRepository } from '../src/harness/resigned-targets.js';
import { refusedNpm as refused, publishPackage } from '../src/harness/attacks-graph.js';

// The manifest fields Arborist acts on (bins, os/cpu, install scripts) against tufpm-npm: a registry, a
// mirror or a package-lock.json edit that changes them is refused before anything is extracted, linked or
// run; the legitimate uses keep installing.

const BIN_FILES = { 'index.js': '#!/usr/bin/env node\nconsole.log("genuine");\n', 'danger.js': '#!/usr/bin/env node\nconsole.log("danger");\n' };

describe('tufpm-npm: the manifest fields are the signed ones', () => {
  let world: NpmWorld;

  before(async () => {
    world = await NpmWorld.create();
    await publishPackage(world, 'binpkg', '1.0.0', { bin: { binpkg: 'index.js' } }, BIN_FILES);
  });
  after(() => world.close());

  test('the bins of a normal package are linked', async () => {
    const project = await world.project();
    const res = await project.tufpmNpm(['install', 'binpkg@1.0.0']);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(existsSync(join(project.dir, 'node_modules', '.bin', 'binpkg')), 'node_modules/.bin/binpkg linked');
  });

  test('rejects a bin map rewritten in the packument', async () => {
    await publishPackage(world, 'binpkg', '1.0.1', { bin: { binpkg: 'index.js' } }, BIN_FILES);
    await world.editPackumentManifest('binpkg', '1.0.1', (m) => { m['bin'] = { binpkg: 'danger.js', eslint: 'danger.js' }; });
    const project = await world.project();
    await refused(project, ['install', 'binpkg@1.0.1'], /TUF_MANIFEST_FIELD/, /package: +binpkg@1\.0\.1/, /bin binpkg -> danger\.js differs from the signed index\.js/,
      /bin eslint -> danger\.js is not a bin of the signed package/, /attack: +unsigned manifest fields/);
  });

  test('rejects a bin map rewritten in package-lock.json (ci)', async () => {
    const project = await world.project({ dependencies: { binpkg: '1.0.0' } });
    assert.equal((await project.tufpmNpm(['install'])).code, 0);
    const lock = (await project.read('package-lock.json'))!;
    const edited = lock.replace(/"binpkg": "index\.js"/, '"binpkg": "danger.js"');
    assert.notEqual(edited, lock);
    await project.write('package-lock.json', edited);
    await project.freshMachine();
    await refused(project, ['ci'], /TUF_MANIFEST_FIELD/, /package: +binpkg@1\.0\.0/, /bin binpkg -> danger\.js differs/);
  });

  test('rejects a bin escaping the package directory', async () => {
    await publishPackage(world, 'escaper', '1.0.0', { bin: { escaper: 'index.js' } });
    await world.editPackumentManifest('escaper', '1.0.0', (m) => { m['bin'] = { escaper: '../binpkg/danger.js' }; });
    const project = await world.project();
    // Arborist normalises bin paths (npm-normalize-package-bin) before tufpm-npm sees them, so npm cannot
    // link outside the package; the rewritten bin is still another file than the signed one.
    await refused(project, ['install', 'escaper@1.0.0'], /TUF_MANIFEST_FIELD/, /package: +escaper@1\.0\.0/, /bin escaper -> binpkg\/danger\.js differs from the signed index\.js/);
  });

  test('rejects an install script added to the packument', async () => {
    await publishPackage(world, 'scripted', '1.0.0', {});
    await world.editPackumentManifest('scripted', '1.0.0', (m) => { m['scripts'] = { postinstall: 'node -e "require(\'fs\').writeFileSync(\'pwned\', \'x\')"' }; m['hasInstallScript'] = true; });
    const project = await world.project();
    await refused(project, ['install', 'scripted@1.0.0'], /TUF_MANIFEST_FIELD/, /package: +scripted@1\.0\.0/, /scripts\.postinstall/);
  });

  test('optional packages for another platform are skipped', async () => {
    for (const [name, os] of [[`plat-${process.platform}`, process.platform], [`plat-${OTHER_PLATFORM}`, OTHER_PLATFORM]] as const) {
      await publishPackage(world, name, '1.0.0', { os: [os], cpu: [process.arch, 'arm'] });
    }
    await publishPackage(world, 'plathost', '1.0.0', { optionalDependencies: { [`plat-${process.platform}`]: '1.0.0', [`plat-${OTHER_PLATFORM}`]: '1.0.0' } });
    const project = await world.project();
    const res = await project.tufpmNpm(['install', 'plathost@1.0.0']);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(existsSync(join(project.dir, 'node_modules', `plat-${process.platform}`)), 'this platform\'s package installed');
    assert.ok(!existsSync(join(project.dir, 'node_modules', `plat-${OTHER_PLATFORM}`)), 'the other platform\'s package skipped');
    await project.freshMachine();
    const ci = await project.tufpmNpm(['ci']);
    assert.equal(ci.code, 0, `ci from the lockfile: ${ci.stderr}`);
  });

  test('rejects os/cpu rewritten in the packument (another platform\'s package installed here)', async () => {
    await publishPlatformRewrite(world);
    const project = await world.project();
    await refused(project, ['install', 'oshost@1.0.0'], /TUF_MANIFEST_FIELD/, new RegExp(`osx-${OTHER_PLATFORM}@1\\.0\\.0`), /cpux@1\.0\.0/,
      /os \[.*\] differs from the signed/, /cpu null differs from the signed/);
  });

  test('rejects the bins of a target signed without manifest fields (older repository), and installs one without any', async () => {
    const { tarball, role } = await publishPackage(world, 'oldbin', '1.0.0', { bin: { oldbin: 'index.js' } }, BIN_FILES);
    await signAsOlderRepository(world, role, 'oldbin', '1.0.0', tarball);
    const project = await world.project();
    await refused(project, ['install', 'oldbin@1.0.0'], /TUF_MANIFEST_UNSIGNED/, /package: +oldbin@1\.0\.0/, /its bin cannot be checked/);
    const plain = await publishPackage(world, 'oldplain', '1.0.0', {});
    await signAsOlderRepository(world, plain.role, 'oldplain', '1.0.0', plain.tarball);
    const res = await project.tufpmNpm(['install', 'oldplain@1.0.0']);
    assert.equal(res.code, 0, res.stderr);
  });
});
