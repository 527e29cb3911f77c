import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NpmWorld } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';
import { hideRelease, moveDistTag, publishTagged, tamperPackument } from '../src/harness/attacks-release-lists.js';
import { refusedNpm, refusedYarn } from '../src/harness/attacks-graph.js';

// ADR 0013: the versions and dist-tags Yarn and tufpm-npm resolve from are the signed ones. The registry
// edits only the unsigned packument; the TUF metadata stays current, so no freeze or rollback check fires.
// A refused command exits 1 with the coded error and leaves the project exactly as it was.

async function installedVersion(dir: string, name: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  return (JSON.parse(await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

describe('release lists: Yarn and tufpm-npm choose only from signed versions and dist-tags', () => {
  let world: NpmWorld;

  before(async () => {
    world = await NpmWorld.create();
    for (const name of ['vuln', 'moved', 'addon', 'plain', 'swapped', 'deprec', 'engined']) {
      await world.publish(name, '1.0.0');
      await world.publish(name, '1.0.1');
    }
    // A registry-signed publish with a tag: `latest` stays 1.0.0, `next` is the beta.
    await publishTagged(world, 'tagged', '1.0.0', 'latest');
    await publishTagged(world, 'tagged', '2.0.0-beta.1', 'next');
    // A claimed package: its release list is signed by its maintainers, in its own role.
    const owner = NpmWorld.maintainer();
    await world.claim('owned', [owner], 1);
    await world.publish('owned', '1.0.0', {}, [owner.signer]);
    await world.publish('owned', '1.0.1', {}, [owner.signer]);
  });
  after(() => world.close());

  test('rejects a signed release hidden by the packument (yarn add, tufpm-npm install)', async () => {
    // Issue 14 case 3: 1.0.1 (the fix) is still signed in the current snapshot; the packument drops it.
    await hideRelease(world, 'vuln', '1.0.1', '1.0.0');
    const yarn = await YarnProject.create(world, {});
    await refusedYarn(yarn, ['add', 'vuln'], /TUF_RELEASE_HIDDEN/, /package vuln@1\.0\.1/, /attack: indefinite freeze/);
    const npm = await world.project();
    await refusedNpm(npm, ['install', 'vuln'], /TUF_RELEASE_HIDDEN/, /package: +vuln@1\.0\.1/, /attack: +indefinite freeze/);
    // An explicit range is resolved from the same list: still refused.
    await refusedNpm(npm, ['install', 'vuln@^1.0.0'], /TUF_RELEASE_HIDDEN/);
  });

  test('rejects a signed release of a maintainer-signed package hidden by the packument', async () => {
    await hideRelease(world, 'owned', '1.0.1', '1.0.0');
    const yarn = await YarnProject.create(world, { owned: '^1.0.0' });
    await refusedYarn(yarn, ['install'], /TUF_RELEASE_HIDDEN/, /role owned/);
    await refusedNpm(await world.project(), ['install', 'owned'], /TUF_RELEASE_HIDDEN/, /role: +owned/);
  });

  test('rejects a dist-tag moved by the registry', async () => {
    await moveDistTag(world, 'moved', 'latest', '1.0.0');
    const yarn = await YarnProject.create(world, {});
    await refusedYarn(yarn, ['add', 'moved'], /TUF_DIST_TAG_MISMATCH/, /dist-tag moved@latest is 1\.0\.0/, /attack: dist-tag moved by the registry/);
    await refusedNpm(await world.project(), ['install', 'moved@latest'], /TUF_DIST_TAG_MISMATCH/, /attack: +dist-tag moved by the registry/);
  });

  test('rejects an unsigned version added to the packument', async () => {
    await world.publishUnsigned('addon', '1.1.0');
    // Only the version is forged: `latest` keeps pointing at the signed 1.0.1.
    await tamperPackument(world, 'addon', (p) => {
      p['dist-tags']['latest'] = '1.0.1';
    });
    const yarn = await YarnProject.create(world, { addon: '^1.0.0' });
    await refusedYarn(yarn, ['install'], /TUF_PACKAGE_NOT_SIGNED/, /package addon@1\.1\.0/, /attack: arbitrary package/);
    await refusedNpm(await world.project(), ['install', 'addon@^1.0.0'], /TUF_PACKAGE_NOT_SIGNED/, /package: +addon@1\.1\.0/);
  });

  test("rejects a packument version key holding another version's manifest", async () => {
    // Keys and dist-tags match the signed list; versions["1.0.1"] carries 1.0.0 (its version and dist).
    await tamperPackument(world, 'swapped', (p) => {
      p.versions['1.0.1'] = { ...p.versions['1.0.0']! };
    });
    const npm = await world.project({ dependencies: { swapped: '^1.0.0' } });
    await refusedNpm(npm, ['install'], /TUF_RELEASE_KEY_MISMATCH/, /package: +swapped@1\.0\.1/, /holds the manifest of swapped@1\.0\.0/, /attack: +release swapped in the packument/);
    await refusedNpm(await world.project(), ['install', 'swapped'], /TUF_RELEASE_KEY_MISMATCH/);
    // Yarn installs the key's tarball, which is verified against the key's signed target.
    const yarn = await YarnProject.create(world, {});
    await refusedYarn(yarn, ['add', 'swapped'], /TUF_TARBALL_MISMATCH|TUF_RELEASE_KEY_MISMATCH/);
  });

  test('a deprecated or engines flag the registry added cannot hide a signed release', async () => {
    // Resolvers rank a deprecated (Yarn, npm) or engine-incompatible (npm) candidate last: unsigned, so
    // tufpm drops both from the packument and ^1.0.0 still resolves to the signed fix.
    await tamperPackument(world, 'deprec', (p) => {
      (p.versions['1.0.1'] as Record<string, unknown>)['deprecated'] = 'broken, use 1.0.0';
    });
    await tamperPackument(world, 'engined', (p) => {
      (p.versions['1.0.1'] as Record<string, unknown>)['engines'] = { node: '<1' };
    });
    for (const linker of ['pnp', 'node-modules'] as const) {
      const yarn = await YarnProject.create(world, { deprec: '^1.0.0', engined: '^1.0.0' }, { rc: { nodeLinker: linker } });
      const res = await yarn.yarn(['install']);
      assert.equal(res.code, 0, res.stdout);
      const lock = (await yarn.read('yarn.lock'))!;
      assert.match(lock, /"deprec@npm:\^1\.0\.0":\n  version: 1\.0\.1/, linker);
      assert.match(lock, /"engined@npm:\^1\.0\.0":\n  version: 1\.0\.1/, linker);
    }
    const npm = await world.project({ dependencies: { deprec: '^1.0.0', engined: '^1.0.0' } });
    const res = await npm.tufpmNpm(['install']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await installedVersion(npm.dir, 'deprec'), '1.0.1');
    assert.equal(await installedVersion(npm.dir, 'engined'), '1.0.1');
  });

  test('installs a tag the maintainers signed: yarn add pkg@next, tufpm-npm install pkg@next, and a plain add', async () => {
    const yarn = await YarnProject.create(world, {});
    const added = await yarn.yarn(['add', 'tagged@next']);
    assert.equal(added.code, 0, added.stdout);
    assert.match((await yarn.read('package.json'))!, /"tagged": "(\^)?2\.0\.0-beta\.1"/);
    const plain = await yarn.yarn(['add', 'plain']);
    assert.equal(plain.code, 0, plain.stdout);
    assert.match((await yarn.read('yarn.lock'))!, /"plain@npm:\^1\.0\.1":/);

    const npm = await world.project();
    const res = await npm.tufpmNpm(['install', 'tagged@next', 'plain']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await installedVersion(npm.dir, 'tagged'), '2.0.0-beta.1');
    assert.equal(await installedVersion(npm.dir, 'plain'), '1.0.1');
  });

  test('a frozen install fetches no packument, so it pays no release-list request', async () => {
    const yarn = await YarnProject.create(world, { plain: '^1.0.0', tagged: '1.0.0' });
    assert.equal((await yarn.yarn(['install'])).code, 0);
    await yarn.freshMachine();
    world.registry.resetCounts();
    const frozen = await yarn.yarn(['install', '--immutable']);
    assert.equal(frozen.code, 0, frozen.stdout);
    assert.equal(world.registry.counts().packument, 0, 'yarn install --immutable: no packument, no release list');

    const npm = await world.project({ dependencies: { plain: '^1.0.0', tagged: '1.0.0' } });
    assert.equal((await npm.tufpmNpm(['install'])).code, 0);
    await npm.freshMachine();
    world.registry.resetCounts();
    const ci = await npm.tufpmNpm(['ci']);
    assert.equal(ci.code, 0, ci.stderr);
    assert.equal(world.registry.counts().packument, 0, 'tufpm-npm ci: no packument, no release list');
  });
});
