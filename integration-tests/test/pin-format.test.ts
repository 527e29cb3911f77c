import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Metadata } from '@tufpm/models';
import { NpmWorld } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';

// tufpm-lock.json format 2 (ADR 0016): the pinned root is identified by the sha256 of its FILE (the digest
// operators publish and `init --root-sha256` checks), and every pinned role records its keys and threshold
// so that a reviewer sees key changes. Format-1 files (root sha256 over the canonical signed part) keep
// working: frozen installs read them as they are, the next install that writes pins rewrites them.

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

interface LockJson {
  lockfileVersion: number;
  root: { version: number; sha256: string; keyids?: string[]; threshold?: number };
  timestamp: { version: number; keyids: string[]; threshold?: number };
  snapshot: { version: number; keyids: string[]; threshold?: number };
  targets: { version: number; keyids: string[]; threshold?: number };
  roles?: Record<string, { keyids: string[]; threshold: number }>;
  packages: Record<string, { role: string }>;
}

/** What tufpm 0.1 (format 1) wrote for the same pins: root sha256 over the signed part, no keys recorded. */
function asFormat1(lock: LockJson, rootBytes: Uint8Array): string {
  const old = structuredClone(lock);
  old.lockfileVersion = 1;
  old.root = { version: lock.root.version, sha256: sha256(Metadata.root(rootBytes).signedBytes()) };
  for (const role of ['timestamp', 'snapshot', 'targets'] as const) delete old[role].threshold;
  delete old.roles;
  return `${JSON.stringify(old, null, 2)}\n`;
}

describe('tufpm-lock.json: root file sha256, role keys and thresholds, format-1 files', () => {
  let world: NpmWorld;
  const owners = [NpmWorld.maintainer(), NpmWorld.maintainer()];

  before(async () => {
    world = await NpmWorld.create();
    await world.publish('free', '1.0.0');
    await world.claim('owned', owners, 2);
    await world.publish('owned', '1.0.0', {}, owners.map((m) => m.signer));
  });
  after(() => world.close());

  test('the pinned root sha256 is the root file sha256 that init --root-sha256 checks, and each pinned role records its keys and threshold', async () => {
    const project = await world.project();
    const published = await world.readMetadata('1.root.json');
    const init = await project.tufpmNpm(['init', '--force', '--root-sha256', sha256(published)]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, new RegExp(`sha256 ${sha256(published)}`), 'init shows the same digest it checked');
    const res = await project.tufpmNpm(['install', 'free@1.0.0', 'owned@1.0.0']);
    assert.equal(res.code, 0, res.stderr);
    const lock = JSON.parse((await project.read('tufpm-lock.json'))!) as LockJson;
    assert.equal(lock.lockfileVersion, 2);
    assert.equal(lock.root.version, 1);
    assert.equal(lock.root.sha256, sha256(published), 'the digest operators publish, not one over the signed part');
    const root = Metadata.root(published).signed;
    for (const role of ['root', 'timestamp', 'snapshot', 'targets'] as const) {
      assert.deepEqual(lock[role].keyids, [...root.roles.get(role)!.keyids].sort(), `${role} keyids`);
      assert.equal(lock[role].threshold, root.roles.get(role)!.threshold, `${role} threshold`);
    }
    assert.deepEqual(lock.roles!['owned'], { keyids: owners.map((m) => m.key.keyid).sort(), threshold: 2 });
    assert.match(lock.packages['free@1.0.0']!.role, /^unclaimed-[0-9a-f]+$/);
    assert.deepEqual(Object.keys(lock.roles!).sort(), ['owned', 'unclaimed-*'], 'all hash bins share one entry');
    assert.equal(lock.roles!['unclaimed-*']!.threshold, 1);
    const status = await project.tufpmNpm(['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as { pins: { root: { sha256: string } }; current: { root: { sha256: string } } };
    assert.equal(shown.pins.root.sha256, sha256(published));
    assert.equal(shown.current.root.sha256, sha256(published));
  });

  test('a format-1 tufpm-lock.json keeps working: frozen installs leave it as it is, the next install rewrites it as format 2', async () => {
    const project = await world.project();
    assert.equal((await project.tufpmNpm(['install', 'free@1.0.0', 'owned@1.0.0'])).code, 0);
    const rootBytes = await world.readMetadata('1.root.json');
    const current = JSON.parse((await project.read('tufpm-lock.json'))!) as LockJson;
    const old = asFormat1(current, rootBytes);
    await project.write('tufpm-lock.json', old);
    await project.freshMachine();
    const ci = await project.tufpmNpm(['ci']);
    assert.equal(ci.code, 0, ci.stderr);
    assert.equal(await project.read('tufpm-lock.json'), old, 'a frozen install never rewrites the pins');
    const install = await project.tufpmNpm(['install']);
    assert.equal(install.code, 0, install.stderr);
    assert.deepEqual(JSON.parse((await project.read('tufpm-lock.json'))!), current, 'rewritten as format 2, same pins');

    const yarn = await YarnProject.create(world, { free: '1.0.0' });
    assert.equal((await yarn.yarn(['install'])).code, 0);
    const yarnOld = asFormat1(JSON.parse((await yarn.read('tufpm-lock.json'))!) as LockJson, rootBytes);
    await yarn.write('tufpm-lock.json', yarnOld);
    await yarn.freshMachine();
    const immutable = await yarn.yarn(['install', '--immutable']);
    assert.equal(immutable.code, 0, immutable.stdout);
    assert.equal(await yarn.read('tufpm-lock.json'), yarnOld, 'yarn install --immutable reads format 1 as it is');
  });

  test('rejects a format-1 pin that names another root (signed-part digest of a different root)', async () => {
    const project = await world.project();
    assert.equal((await project.tufpmNpm(['install', 'free@1.0.0'])).code, 0);
    const lock = JSON.parse(asFormat1(JSON.parse((await project.read('tufpm-lock.json'))!) as LockJson, await world.readMetadata('1.root.json'))) as LockJson;
    lock.root.sha256 = sha256(Buffer.from('another root'));
    await project.write('tufpm-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
    await project.freshMachine();
    const before = await project.state();
    const res = await project.tufpmNpm(['ci']);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /TUF_PIN_ROOT/);
    assert.match(res.stderr, /sha256 of its signed part/);
    assert.deepEqual(await project.state(), before, 'nothing installed, pins unchanged');
  });
});
