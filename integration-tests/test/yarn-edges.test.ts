import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NpmWorld } from '../src/harness/npm-world.js';
import { createEdgesWorld, createLegitimateGraphWorld } from '../src/harness/attack-worlds.js';
import { YarnProject } from '../src/harness/yarn.js';
import { editYarnLockEntry, keepPackument, refusedYarn, serveManifestOf } from '../src/harness/attacks-graph.js';

// The dependency graph with real Yarn 4 and the tufpm plugin (DESIGN §9): every edge is served by a package of
// the name it asks for, at a version in its (signed) range, on every install, --immutable ones included, with
// node-modules and PnP. Plus the legitimate graphs that must keep installing.

const linkers = [{ nodeLinker: 'pnp' }, { nodeLinker: 'node-modules' }] as const;

describe('Yarn with the tufpm plugin: edges and identity', () => {
  let world: NpmWorld;
  const alice = NpmWorld.maintainer();

  before(async () => {
    ({ world } = await createEdgesWorld(alice));
  });
  after(() => world.close());

  for (const rc of linkers) {
    test(`rejects an edge served by another package (edited yarn.lock, ${rc.nodeLinker})`, async () => {
      const project = await YarnProject.create(world, { foo: '^1.0.0' }, { rc });
      assert.equal((await project.yarn(['install'])).code, 0);
      await editYarnLockEntry(project, 'foo@npm:^1.0.0', { bar: '1.0.0' }, 'bar@npm:1.0.0');
      await project.freshMachine();
      await refusedYarn(project, ['install', '--immutable'], /TUF_EDGE_PACKAGE/, /package foo/,
        /dependency workspace app -> foo@npm:\^1\.0\.0 asks for foo, but yarn\.lock resolves it to bar@1\.0\.0/, /attack: package substitution/);
      const check = await project.yarn(['tuf', 'verify']);
      assert.equal(check.code, 1, check.stdout);
      assert.match(check.stdout, /TUF_EDGE_PACKAGE/, 'yarn tuf verify reports it too');
    });

    test(`rejects an out-of-range version pinned by an edited yarn.lock (${rc.nodeLinker})`, async () => {
      const project = await YarnProject.create(world, { vuln: '^1.0.1' }, { rc });
      assert.equal((await project.yarn(['install'])).code, 0);
      await editYarnLockEntry(project, 'vuln@npm:^1.0.1', { vuln: '1.0.0' }, 'vuln@npm:1.0.0');
      await project.freshMachine();
      await refusedYarn(project, ['install', '--immutable'], /TUF_EDGE_RANGE/, /package vuln@1\.0\.0/,
        /resolves to vuln@1\.0\.0, outside the range \^1\.0\.1 of package\.json/, /attack: version substitution/);
    });
  }

  test('rejects an out-of-range version of a dependency of a package, against its signed range (edited yarn.lock)', async () => {
    const project = await YarnProject.create(world, { vhost: '1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    await editYarnLockEntry(project, 'vuln@npm:^1.0.1', { vuln: '1.0.0' }, 'vuln@npm:1.0.0');
    await project.freshMachine();
    await refusedYarn(project, ['install', '--immutable'], /TUF_EDGE_RANGE/, /package vuln@1\.0\.0/,
      /vhost@npm:1\.0\.0 -> vuln@npm:\^1\.0\.1 resolves to vuln@1\.0\.0, outside the range \^1\.0\.1 signed by role unclaimed-/);
    const check = await project.yarn(['tuf', 'verify']);
    assert.equal(check.code, 1, check.stdout);
    assert.match(check.stdout, /TUF_EDGE_RANGE/, 'yarn tuf verify reports it too');
  });

  test('rejects a tag edge pinned to another version by an edited lockfile', async () => {
    // taghost asks for vuln@latest (signed latest: 1.0.1); a pull request resolves it to 1.0.0 in yarn.lock.
    const project = await YarnProject.create(world, { taghost: '1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    await editYarnLockEntry(project, 'vuln@npm:latest', { vuln: '1.0.0' }, 'vuln@npm:1.0.0');
    await project.freshMachine();
    await refusedYarn(project, ['install', '--immutable'], /TUF_DIST_TAG_MISMATCH/, /package vuln@1\.0\.0/,
      /taghost@npm:1\.0\.0 -> vuln@npm:latest asks for vuln@latest, which role unclaimed-[0-9a-f]+ signs as 1\.0\.1, but vuln@1\.0\.0 serves it/);
    const check = await project.yarn(['tuf', 'verify']);
    assert.equal(check.code, 1, check.stdout);
    assert.match(check.stdout, /TUF_DIST_TAG_MISMATCH/, 'yarn tuf verify reports it too');
  });

  test('rejects a claimed package replaced through the packument\'s name (Yarn names it after the descriptor)', async () => {
    const project = await YarnProject.create(world, { 'kafen-js': '3.9.9' });
    const restore = await keepPackument(world, 'kafen-js');
    try {
      await serveManifestOf(world, 'kafen-js', '3.9.9', 'zzevil', '3.9.9');
      // The packument entry kafen-js@3.9.9 names zzevil: refused with the release list, before any download.
      // (Without that check Yarn, which names it after the descriptor, refuses zzevil's bytes: TUF_TARBALL_MISMATCH.)
      await refusedYarn(project, ['install'], /TUF_EDGE_PACKAGE/, /package kafen-js@3\.9\.9/, /holds the manifest of zzevil/);
    } finally {
      await restore();
    }
  });
});

describe('Yarn with the tufpm plugin: legitimate graphs keep installing', () => {
  let world: NpmWorld;

  before(async () => {
    world = await createLegitimateGraphWorld();
  });
  after(() => world.close());

  /**
   * install, then a frozen install on a fresh machine, then yarn tuf verify: all pass. (`verify: false`: yarn
   * tuf verify reports platform-conditional packages, which yarn.lock keeps no checksum for, as unbound.)
   */
  async function installs(project: YarnProject, { verify = true } = {}): Promise<void> {
    const first = await project.yarn(['install']);
    assert.equal(first.code, 0, first.stdout);
    await project.freshMachine();
    const frozen = await project.yarn(['install', '--immutable']);
    assert.equal(frozen.code, 0, frozen.stdout);
    if (!verify) return;
    const check = await project.yarn(['tuf', 'verify']);
    assert.equal(check.code, 0, check.stdout);
  }

  for (const rc of linkers) {
    test(`npm: aliases, at the root and in a package, install (${rc.nodeLinker})`, async () => {
      const project = await YarnProject.create(world, { foo: 'npm:bar@^1.0.0', aliaser: '1.0.0' }, { rc });
      await installs(project);
      assert.match((await project.read('yarn.lock'))!, /"foo@npm:bar@\^1\.0\.0":\n {2}version: 1\.1\.0\n {2}resolution: "bar@npm:1\.1\.0"/);
    });
  }

  test('peer ranges, optional packages skipped on another platform, and tags install', async () => {
    const project = await YarnProject.create(world, { peerhost: '1.0.0', bar: '^1.0.0', nhost: '1.0.0', vuln: 'latest' });
    await installs(project, { verify: false });
    const add = await project.yarn(['add', 'vhost@latest']);
    assert.equal(add.code, 0, add.stdout);
  });

  test('the project\'s resolutions may pin a version outside a package\'s signed range', async () => {
    const project = await YarnProject.create(world, { vhost: '1.0.0' });
    const manifest = JSON.parse((await project.read('package.json'))!) as Record<string, unknown>;
    await project.write('package.json', JSON.stringify({ ...manifest, resolutions: { vuln: '1.0.0' } }, null, 2));
    await installs(project);
    assert.match((await project.read('yarn.lock'))!, /resolution: "vuln@npm:1\.0\.0"/);
  });

  test('workspaces: edges between workspaces and to registry packages install', async () => {
    const project = await YarnProject.create(world, {});
    await project.write('package.json', JSON.stringify({ name: 'app', version: '1.0.0', private: true, workspaces: ['packages/*'], dependencies: { a: 'workspace:^' } }, null, 2));
    await project.write('packages/a/package.json', JSON.stringify({ name: 'a', version: '1.0.0', dependencies: { b: 'workspace:^', bar: '^1.0.0' } }, null, 2));
    await project.write('packages/b/package.json', JSON.stringify({ name: 'b', version: '1.0.0', dependencies: { vhost: '1.0.0' }, peerDependencies: { bar: '*' } }, null, 2));
    await installs(project);
  });
});
