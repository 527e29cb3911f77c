import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NpmWorld, type CliResult } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';
import { PATCH, archiveOf, poison, poisonValid, publishPatchable } from '../src/harness/yarn-archives.js';

// ADR 0027: a `patch:` archive Yarn built in this process (its cache loader ran: cache and mirror missed)
// from the base archive bound in the same install is bound without a second build. An archive that came
// from the cache or the mirror is still rebuilt from the verified base and compared, so a poisoned one
// planted before a cold install is refused. Real Yarn 4, real loopback registry, real patch files.

const BUILT_HERE = /TUF: (\d+) patched archive\(s\) built in this install from verified base archives were bound without a second build/;
const REBUILT = /TUF: (\d+) archive\(s\) without a pinned binding were rebuilt/;

async function refused(project: YarnProject, code: RegExp, ...also: RegExp[]): Promise<CliResult> {
  const before = await project.state();
  const res = await project.yarn(['install']);
  assert.equal(res.code, 1, `exit code 1 expected\n${res.stdout}${res.stderr}`);
  assert.match(res.stdout, code);
  for (const re of also) assert.match(res.stdout, re);
  assert.doesNotMatch(res.stdout, /Internal Error|\n\s+at /, 'a coded report, not a crash');
  assert.doesNotMatch(res.stdout, BUILT_HERE, 'nothing bound as built here');
  assert.deepEqual(await project.state(), before, 'nothing touched');
  return res;
}

describe('Yarn binds the patched archives it built in this install, and only those (ADR 0027)', () => {
  let world: NpmWorld;

  before(async () => {
    world = await NpmWorld.create();
    await publishPatchable(world, 'patchme');
    // A base with a second file the patch does not touch, for the poisoned-base attack.
    await publishPatchable(world, 'patchbase', { 'extra.js': 'module.exports = "harmless";\n' });
  });
  after(() => world.close());

  /** A project installed once on its own machine (yarn.lock and tufpm-lock.json written), then moved to a fresh one. */
  async function installedThenFresh(name = 'patchme'): Promise<{ project: YarnProject; oldMachine: string }> {
    const project = await YarnProject.create(world, { [name]: `patch:${name}@npm%3A1.0.0#./${name}.patch` });
    await project.write(`${name}.patch`, PATCH);
    const first = await project.yarn(['install']);
    assert.equal(first.code, 0, first.stdout);
    const oldMachine = project.machine;
    await project.freshMachine();
    return { project, oldMachine };
  }

  test('a fresh-machine install binds the patched archive Yarn built without building a second copy; a warm one rebuilds nothing', async () => {
    const project = await YarnProject.create(world, { patchme: 'patch:patchme@npm%3A1.0.0#./patchme.patch' });
    await project.write('patchme.patch', PATCH);
    const first = await project.yarn(['install']);
    assert.equal(first.code, 0, first.stdout);
    assert.equal(BUILT_HERE.exec(first.stdout)?.[1], '1', first.stdout);
    assert.doesNotMatch(first.stdout, REBUILT, 'no second build on the first install');
    assert.match((await project.yarn(['node', '-p', 'require("patchme")'])).stdout, /patched/);
    // CI: the committed yarn.lock and tufpm-lock.json on a machine with no cache, mirror or bindings.
    await project.freshMachine();
    const cold = await project.yarn(['install', '--immutable']);
    assert.equal(cold.code, 0, cold.stdout);
    assert.equal(BUILT_HERE.exec(cold.stdout)?.[1], '1', cold.stdout);
    assert.doesNotMatch(cold.stdout, REBUILT, 'no second build on a fresh machine');
    assert.match((await project.yarn(['node', '-p', 'require("patchme")'])).stdout, /patched/);
    // Warm: the sealed binding of the cold install vouches for the cached archive (ADR 0020).
    const warm = await project.yarn(['install']);
    assert.equal(warm.code, 0, warm.stdout);
    assert.doesNotMatch(warm.stdout, REBUILT, 'a bound patched archive is not rebuilt');
    assert.doesNotMatch(warm.stdout, BUILT_HERE, 'a cache hit is not a build');
  });

  test('rejects a poisoned patched archive planted in the cache before a cold install (yarn.lock checksum edited to match)', async () => {
    const { project, oldMachine } = await installedThenFresh();
    const genuine = await archiveOf(join(oldMachine, 'cache'), 'patchme-patch-');
    const oldSum = await YarnProject.checksumOf(genuine);
    const evil = poison(await readFile(genuine));
    await writeFile(join(oldMachine, 'evil.zip'), evil);
    const newSum = await YarnProject.checksumOf(join(oldMachine, 'evil.zip'));
    await mkdir(project.cacheFolder, { recursive: true });
    const name = genuine.slice(genuine.lastIndexOf('/') + 1).replace(oldSum.slice(5, 15), newSum.slice(5, 15));
    await writeFile(join(project.cacheFolder, name), evil);
    const lock = (await project.read('yarn.lock'))!;
    assert.ok(lock.includes(oldSum));
    await project.write('yarn.lock', lock.replace(oldSum, newSum));
    const res = await refused(project, /TUF_CHECKSUM_BINDING/, /package patchme@1\.0\.0/, /patched archive differs/);
    assert.equal(REBUILT.exec(res.stdout)?.[1], '1', 'the cached archive was rebuilt and compared');
  });

  test('rejects a poisoned patched archive planted in the global mirror before a cold install (yarn.lock checksum edited to match)', async () => {
    const { project, oldMachine } = await installedThenFresh();
    const mirrored = await archiveOf(join(oldMachine, 'global', 'cache'), 'patchme-patch-');
    const oldSum = await YarnProject.checksumOf(mirrored);
    const evil = poison(await readFile(mirrored));
    await mkdir(project.mirrorFolder, { recursive: true });
    const planted = join(project.mirrorFolder, mirrored.slice(mirrored.lastIndexOf('/') + 1));
    await writeFile(planted, evil);
    const newSum = await YarnProject.checksumOf(planted);
    const lock = (await project.read('yarn.lock'))!;
    assert.ok(lock.includes(oldSum));
    await project.write('yarn.lock', lock.replace(oldSum, newSum));
    const res = await refused(project, /TUF_CHECKSUM_BINDING/, /package patchme@1\.0\.0/, /patched archive differs/);
    assert.equal(REBUILT.exec(res.stdout)?.[1], '1', 'the mirrored archive was rebuilt and compared');
  });

  test('rejects a poisoned patched archive in the global mirror that checksumBehavior: update would accept over the genuine yarn.lock checksum', async () => {
    const { project, oldMachine } = await installedThenFresh();
    const mirrored = await archiveOf(join(oldMachine, 'global', 'cache'), 'patchme-patch-');
    await mkdir(project.mirrorFolder, { recursive: true });
    await writeFile(join(project.mirrorFolder, mirrored.slice(mirrored.lastIndexOf('/') + 1)), poison(await readFile(mirrored)));
    await project.writeRc({ checksumBehavior: 'update' });
    await refused(project, /TUF_CHECKSUM_BINDING/, /package patchme@1\.0\.0/, /patched archive differs/);
  });

  test('rejects a poisoned patched archive filed under the genuine checksum by checksumBehavior reset from a mirror committed in the pull request', async () => {
    // yarn.lock and tufpm-lock.json stay genuine; the pull request sets reset and a globalFolder inside the
    // repository whose mirror holds a poisoned (valid) patched archive. Yarn would file it under the
    // genuine checksum, and the rebuild from the verified base would compare genuine with genuine.
    const { project, oldMachine } = await installedThenFresh();
    const mirrored = await archiveOf(join(oldMachine, 'global', 'cache'), 'patchme-patch-');
    const committed = join(project.dir, '.yarn', 'global');
    await mkdir(join(committed, 'cache'), { recursive: true });
    await writeFile(join(committed, 'cache', mirrored.slice(mirrored.lastIndexOf('/') + 1)), poisonValid(await readFile(mirrored), '"patched"', '"PWNED!!"'));
    await project.writeRc({ checksumBehavior: 'reset', globalFolder: committed });
    await refused(project, /TUF_UNSAFE_SOURCE/, /checksumBehavior: "reset" is refused/);
    assert.doesNotMatch((await project.yarn(['node', '-p', 'require("patchme")'])).stdout, /PWNED/);
  });

  test('rejects a forged patched checksum that checksumBehavior: reset records for the archive Yarn built on a cold install', async () => {
    // The pull request forges the patched checksum (say, of a poisoned archive to be planted later) and sets
    // checksumBehavior: reset. Yarn builds the genuine archive, files it under the forged checksum and
    // reports that checksum: binding it would vouch for the poisoned archive on every later install.
    // Refused before anything is fetched: enforce mode does not run under reset at all.
    const { project, oldMachine } = await installedThenFresh();
    const genuine = await archiveOf(join(oldMachine, 'cache'), 'patchme-patch-');
    const oldSum = await YarnProject.checksumOf(genuine);
    await writeFile(join(oldMachine, 'evil.zip'), poison(await readFile(genuine)));
    const forged = await YarnProject.checksumOf(join(oldMachine, 'evil.zip'));
    await project.write('yarn.lock', (await project.read('yarn.lock'))!.replace(oldSum, forged));
    await project.writeRc({ checksumBehavior: 'reset' });
    await refused(project, /TUF_UNSAFE_SOURCE/, /checksumBehavior: "reset" is refused/);
  });

  test('rejects a patched archive Yarn built on a cold install from a poisoned base archive planted in the global mirror', async () => {
    const { project, oldMachine } = await installedThenFresh('patchbase');
    const mirroredBase = await archiveOf(join(oldMachine, 'global', 'cache'), 'patchbase-npm-1.0.0-');
    const oldBase = await YarnProject.checksumOf(mirroredBase);
    await mkdir(project.mirrorFolder, { recursive: true });
    const planted = join(project.mirrorFolder, mirroredBase.slice(mirroredBase.lastIndexOf('/') + 1));
    await writeFile(planted, poisonValid(await readFile(mirroredBase), '"harmless"', '"HARMFUL!"'));
    const newBase = await YarnProject.checksumOf(planted);
    // The pull request edits the base checksum everywhere and drops the patched one, so that Yarn accepts
    // whatever its build of the poisoned base produces: the build runs here, from an unverified base.
    const lock = (await project.read('yarn.lock'))!;
    const edited = lock.replace(oldBase, newBase).replace(/(resolution: "patchbase@patch:[^\n]*\n(?: {2}[a-z]+:[^\n]*\n)*?) {2}checksum: [^\n]*\n/, '$1');
    assert.ok(edited.includes(newBase) && edited.split('checksum:').length === lock.split('checksum:').length - 1, 'base checksum edited, patched checksum dropped');
    await project.write('yarn.lock', edited);
    const pins = (await project.read('tufpm-lock.json'))!;
    await project.write('tufpm-lock.json', pins.replaceAll(oldBase, newBase));
    await refused(project, /TUF_CHECKSUM_BINDING/, /package patchbase@1\.0\.0/, /differs from the one built from the TUF-verified tarball/, /the package under the patch has no verified archive/);
  });
});

// ADR 0027 amendment: a `patch:` whose source is another `patch:` (also Yarn's builtin compat patch over a
// user's typescript patch) has an outer archive no checked path binds: it is refused before anything is
// fetched, never dropped from the checks. The pull request commits a poisoned outer archive in an in-repo
// cacheFolder and edits that one yarn.lock checksum; CI runs `yarn install --immutable` on a fresh machine.
describe('Yarn refuses a patch over a patch instead of linking its outer archive unchecked', () => {
  let world: NpmWorld;
  const A = PATCH.replace('"patched"', '"patchedA"');
  const B = ['diff --git a/extra.js b/extra.js', '--- a/extra.js', '+++ b/extra.js', '@@ -1 +1 @@', '-module.exports = "harmless";', '+module.exports = "harmlesB";', ''].join('\n');
  const nested = `patch:nest@${encodeURIComponent('patch:nest@npm%3A1.0.0#~/a.patch')}#~/b.patch`;

  before(async () => {
    world = await NpmWorld.create();
    await publishPatchable(world, 'nest', { 'extra.js': 'module.exports = "harmless";\n' });
  });
  after(() => world.close());

  for (const nodeLinker of ['pnp', 'node-modules']) {
    test(`rejects a poisoned archive of a patch over a patch (nested patch locators are refused, not dropped) (${nodeLinker})`, async () => {
      // The developer's machine: nest pinned through a single patch, then the nested patch added (written
      // under unsafe-warn, which the fix needs to get the genuine outer archive; the pins keep nest@1.0.0).
      const dev = await YarnProject.create(world, { nest: 'patch:nest@npm%3A1.0.0#~/a.patch' }, { rc: { nodeLinker } });
      await dev.write('a.patch', A);
      await dev.write('b.patch', B);
      assert.equal((await dev.yarn(['install'])).code, 0);
      const manifest = JSON.parse((await dev.read('package.json'))!) as { dependencies: Record<string, string> };
      manifest.dependencies.nest = nested;
      await dev.write('package.json', JSON.stringify(manifest, null, 2));
      await dev.writeRc({ tufMode: 'unsafe-warn' });
      const second = await dev.yarn(['install']);
      assert.equal(second.code, 0, second.stdout);
      const lock = (await dev.read('yarn.lock'))!;
      const outerEntry = lock.split('\n\n').find((b) => b.includes('resolution: "nest@patch:nest@patch%3A'));
      assert.ok(outerEntry !== undefined, lock);
      const oldSum = /checksum: (\S+)/.exec(outerEntry)![1]!;
      const outerFile = (await dev.archives('cache')).find((f) => f.includes(oldSum.slice(5, 15)))!;
      assert.ok(outerFile !== undefined, 'the outer archive is in the cache');
      const evil = poisonValid(await readFile(join(dev.cacheFolder, outerFile)), 'module.exports = "patchedA"', 'module.exports = "PWNED!!!"');
      // The pull request: the poisoned outer archive committed in .yarn/cache, its yarn.lock checksum edited.
      const ci = await YarnProject.create(world, { nest: nested }, { rc: { nodeLinker, cacheFolder: './.yarn/cache' } });
      await ci.write('a.patch', A);
      await ci.write('b.patch', B);
      await mkdir(join(ci.dir, '.yarn', 'cache'), { recursive: true });
      await writeFile(join(ci.machine, 'evil.zip'), evil);
      const newSum = await YarnProject.checksumOf(join(ci.machine, 'evil.zip'));
      await writeFile(join(ci.dir, '.yarn', 'cache', outerFile.replace(oldSum.slice(5, 15), newSum.slice(5, 15))), evil);
      await ci.write('yarn.lock', lock.replace(oldSum, newSum));
      await ci.write('tufpm-lock.json', (await dev.read('tufpm-lock.json'))!);
      assert.match((await ci.read('tufpm-lock.json'))!, /nest@1\.0\.0/, 'nest is pinned');
      const before = await ci.state();
      const res = await ci.yarn(['install', '--immutable']);
      assert.equal(res.code, 1, `exit code 1 expected\n${res.stdout}${res.stderr}`);
      assert.match(res.stdout, /TUF_UNSAFE_SOURCE/);
      assert.match(res.stdout, /nest@patch:nest@patch%3Anest/, 'names the nested locator');
      assert.match(res.stdout, /nested patch: locators .* are not verified yet/);
      assert.match(res.stdout, /apply the change as one patch on the npm package/);
      assert.doesNotMatch(res.stdout, /Internal Error|\n\s+at /, 'a coded report, not a crash');
      assert.deepEqual(await ci.state(), before, 'nothing touched');
      assert.doesNotMatch((await ci.yarn(['node', '-p', 'require("nest")'])).stdout, /PWNED/);
    });
  }
});
