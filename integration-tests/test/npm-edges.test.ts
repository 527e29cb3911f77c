import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { NpmWorld, type Project } from '../src/harness/npm-world.js';
import { createEdgesWorld, createLegitimateGraphWorld } from '../src/harness/attack-worlds.js';
import { keepPackument, refusedNpm, serveManifestOf } from '../src/harness/attacks-graph.js';

// The dependency graph with tufpm-npm (real Arborist, DESIGN §9): a package is verified, pinned and policed
// under the name its edges ask for, never its manifest's own `name`, and every edge is served by a version in
// its (signed) range, on install and ci. Plus the legitimate graphs that must keep installing.

type LockEntry = { name?: string; version?: string; resolved?: string; integrity?: string; dependencies?: Record<string, string> };
type Lock = { packages: Record<string, LockEntry> };

async function readLock(project: Project): Promise<Lock> {
  return JSON.parse((await project.read('package-lock.json'))!) as Lock;
}

async function writeLock(project: Project, lock: Lock): Promise<void> {
  await project.write('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
}

function integrityOf(tarball: Uint8Array): string {
  return `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
}

describe('tufpm-npm: edges and identity', () => {
  let world: NpmWorld;
  const alice = NpmWorld.maintainer();
  let tarballs: Map<string, Uint8Array>;

  before(async () => {
    ({ world, tarballs } = await createEdgesWorld(alice));
  });
  after(() => world.close());

  /** A pull request's package-lock.json edit: vuln, installed at 1.0.1, pinned to the genuine signed vuln@1.0.0. */
  async function pinGenuineOlderVuln(project: Project): Promise<void> {
    const lock = await readLock(project);
    assert.equal(lock.packages['node_modules/vuln']!.version, '1.0.1');
    lock.packages['node_modules/vuln'] = { version: '1.0.0', resolved: `${world.url}vuln/-/vuln-1.0.0.tgz`, integrity: integrityOf(tarballs.get('vuln@1.0.0')!) };
    await writeLock(project, lock);
  }

  test('rejects a claimed package replaced through the packument\'s name (fresh install)', async () => {
    const restore = await keepPackument(world, 'kafen-js');
    try {
      await serveManifestOf(world, 'kafen-js', '3.9.9', 'zzevil', '3.9.9');
      const project = await world.project();
      await refusedNpm(project, ['install', 'kafen-js@3.9.9'], /TUF_EDGE_PACKAGE/, /package: +kafen-js@3\.9\.9/,
        /the packument of kafen-js offers kafen-js@3\.9\.9, but that entry holds the manifest of zzevil@3\.9\.9/, /attack: +package substitution/);
      // Refused with the release list, before Arborist resolves; verifyTree's own identity check (a node
      // named by its edge, never its manifest) stays behind it and is proved by the edited lockfile below.
    } finally {
      await restore();
    }
  });

  test('rejects a claimed package replaced through the packument\'s name despite its maintainer-signed pin and the signer policy', async () => {
    const project = await world.project({ dependencies: { 'kafen-js': '^3.9.9' } });
    await project.write('.npmrc', `registry=${world.url}\ntufpm-require-maintainer-signed=kafen-js\n`);
    const first = await project.tufpmNpm(['install']);
    assert.equal(first.code, 0, first.stderr);
    const pins = JSON.parse((await project.read('tufpm-lock.json'))!) as { packages: Record<string, { maintainerSigned: boolean }> };
    assert.equal(pins.packages['kafen-js@3.9.9']!.maintainerSigned, true);
    // A new clone resolves again (no package-lock.json committed), with the pins committed.
    await rm(`${project.dir}/package-lock.json`);
    await rm(`${project.dir}/node_modules`, { recursive: true });
    await project.freshMachine();
    const restore = await keepPackument(world, 'kafen-js');
    try {
      await serveManifestOf(world, 'kafen-js', '3.9.9', 'zzevil', '3.9.9');
      await refusedNpm(project, ['install'], /TUF_EDGE_PACKAGE/, /package: +kafen-js@3\.9\.9/, /holds the manifest of zzevil@3\.9\.9/);
    } finally {
      await restore();
    }
  });

  test('rejects an edge served by another package (edited package-lock.json, ci)', async () => {
    const project = await world.project({ dependencies: { foo: '^1.0.0' } });
    assert.equal((await project.tufpmNpm(['install'])).code, 0);
    const lock = await readLock(project);
    lock.packages['node_modules/foo'] = { name: 'bar', version: '1.0.0', resolved: `${world.url}bar/-/bar-1.0.0.tgz`, integrity: integrityOf(tarballs.get('bar@1.0.0')!) };
    await writeLock(project, lock);
    await project.freshMachine();
    await refusedNpm(project, ['ci'], /TUF_EDGE_PACKAGE/, /package: +foo@1\.0\.0/,
      /dependency the project -> foo@\^1\.0\.0 asks for foo, but node_modules\/foo holds bar@1\.0\.0/);
    const verify = await project.tufpmNpm(['verify']);
    assert.equal(verify.code, 1, verify.stderr);
    assert.match(verify.stderr, /TUF_EDGE_PACKAGE/, 'tufpm-npm verify reports it too');
  });

  test('rejects a tag edge pinned to another version by an edited lockfile', async () => {
    // taghost asks for vuln@latest (signed latest: 1.0.1); Arborist takes any version for a tag edge.
    const project = await world.project({ dependencies: { taghost: '1.0.0' } });
    assert.equal((await project.tufpmNpm(['install'])).code, 0);
    await pinGenuineOlderVuln(project);
    await project.freshMachine();
    await refusedNpm(project, ['ci'], /TUF_DIST_TAG_MISMATCH/, /package: +vuln@1\.0\.0/,
      /taghost@1\.0\.0 \(node_modules\/taghost\) -> vuln@latest asks for vuln@latest, which role unclaimed-[0-9a-f]+ signs as 1\.0\.1, but vuln@1\.0\.0 serves it/);
  });

  test('rejects an out-of-range version of a dependency of a package, against its signed range (edited package-lock.json)', async () => {
    const project = await world.project({ dependencies: { vhost: '1.0.0' } });
    assert.equal((await project.tufpmNpm(['install'])).code, 0);
    await pinGenuineOlderVuln(project);
    await project.freshMachine();
    // ci: Arborist re-resolves an invalid edge, so npm's own lockfile sync check refuses first (exit 2).
    const before = await project.state();
    const ci = await project.tufpmNpm(['ci']);
    assert.notEqual(ci.code, 0, ci.stderr);
    assert.deepEqual(await project.state(), before, 'nothing touched');
    // verify reads package-lock.json as it is: the edge itself is refused against the signed range.
    const verify = await project.tufpmNpm(['verify']);
    assert.equal(verify.code, 1, verify.stderr);
    assert.match(verify.stderr, /TUF_EDGE_RANGE/);
    assert.match(verify.stderr, /dependency vhost@1\.0\.0 \(node_modules\/vhost\) -> vuln@\^1\.0\.1 is served by vuln@1\.0\.0 \(node_modules\/vuln\), outside the range \^1\.0\.1 signed by role unclaimed-/);
  });
});

describe('tufpm-npm: legitimate graphs keep installing', () => {
  let world: NpmWorld;

  before(async () => {
    world = await createLegitimateGraphWorld();
  });
  after(() => world.close());

  /** install, then ci on a fresh machine, then verify: all pass. */
  async function installs(project: Project): Promise<void> {
    const first = await project.tufpmNpm(['install']);
    assert.equal(first.code, 0, first.stderr);
    await project.freshMachine();
    const ci = await project.tufpmNpm(['ci']);
    assert.equal(ci.code, 0, ci.stderr);
    const verify = await project.tufpmNpm(['verify']);
    assert.equal(verify.code, 0, verify.stderr);
  }

  test('npm: aliases, at the root and in a package, install', async () => {
    const project = await world.project({ dependencies: { foo: 'npm:bar@^1.0.0', aliaser: '1.0.0' } });
    await installs(project);
    const lock = await readLock(project);
    assert.equal(lock.packages['node_modules/foo']!.name, 'bar');
  });

  test('peer ranges (also a peer npm installs by itself), optional packages skipped on another platform, and tags install', async () => {
    const project = await world.project({ dependencies: { peerhost: '1.0.0', nhost: '1.0.0', vuln: 'latest' } });
    await installs(project);
    const lock = await readLock(project);
    assert.ok(lock.packages['node_modules/bar'], 'the peer was installed');
    const add = await project.tufpmNpm(['install', 'vhost@latest']);
    assert.equal(add.code, 0, add.stderr);
  });

  test('the project\'s overrides may pin a version outside a package\'s signed range', async () => {
    const project = await world.project({ dependencies: { vhost: '1.0.0' }, overrides: { vuln: '1.0.0' } });
    await installs(project);
    assert.equal((await readLock(project)).packages['node_modules/vuln']!.version, '1.0.0');
  });

  test('workspaces: edges between workspaces and to registry packages install', async () => {
    const project = await world.project({ workspaces: ['packages/*'] });
    await project.write('packages/a/package.json', JSON.stringify({ name: 'a', version: '1.0.0', dependencies: { b: '^1.0.0', bar: '^1.0.0' } }, null, 2));
    await project.write('packages/b/package.json', JSON.stringify({ name: 'b', version: '1.0.0', dependencies: { vhost: '1.0.0' }, peerDependencies: { bar: '*' } }, null, 2));
    await installs(project);
  });
});
