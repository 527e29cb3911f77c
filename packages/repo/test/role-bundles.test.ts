// Role bundles on the repository side (ADR 0024): every snapshot gets `<version>.bundle-<k>.json` beside the
// roles, holding the exact bytes of the hash bins k*B .. k*B+B-1, written before the snapshot names them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BINS_PER_BUNDLE, MAX_ROLE_BUNDLE_BYTES, Metadata, parseRoleBundle } from '@tufpm/models';
import { initRepository, loadRepository, persistRepository, UNCLAIMED_ROLE } from '../src/index.js';
import { makeTarball, tempDir } from './helpers.js';

async function bundleOf(dir: string, version: number, k: number): Promise<Map<string, Uint8Array>> {
  return parseRoleBundle(new Uint8Array(await readFile(join(dir, `${version}.bundle-${k}.json`))), MAX_ROLE_BUNDLE_BYTES, k);
}

async function snapshotVersion(dir: string): Promise<number> {
  return Metadata.timestamp(await readFile(join(dir, 'timestamp.json'))).signed.snapshotMeta.version;
}

test('each snapshot is written with its role bundles: bins k*32..k*32+31, the exact bytes of each bin file', async () => {
  const t = await tempDir();
  try {
    const dir = join(t.path, 'metadata');
    await initRepository({ dir, keysDir: join(t.path, 'keys'), bitLength: 6 });
    const v = await snapshotVersion(dir);
    assert.deepEqual((await readdir(dir)).filter((f) => f.includes('.bundle-')).sort(), [`${v}.bundle-0.json`, `${v}.bundle-1.json`]);
    for (const k of [0, 1]) {
      const entries = await bundleOf(dir, v, k);
      assert.equal(entries.size, BINS_PER_BUNDLE);
      for (const [name, bytes] of entries) {
        const index = parseInt(name.slice(UNCLAIMED_ROLE.length + 1), 16);
        assert.equal(Math.floor(index / BINS_PER_BUNDLE), k);
        assert.deepEqual(bytes, new Uint8Array(await readFile(join(dir, `1.${name}.json`))));
      }
    }
  } finally {
    await t.cleanup();
  }
});

test('a publish rebuilds the bundle of the bin it changed and links the unchanged one (same bytes, no copy)', async () => {
  const t = await tempDir();
  try {
    const dir = join(t.path, 'metadata');
    const repo = await initRepository({ dir, keysDir: join(t.path, 'keys'), bitLength: 6 });
    const before = await snapshotVersion(dir);
    const res = await repo.publishTarball(await makeTarball({ name: 'left-pad', version: '1.0.0' }));
    const after = await snapshotVersion(dir);
    assert.equal(after, before + 1);
    const bin = res.role;
    const changedK = Math.floor(parseInt(bin.slice(UNCLAIMED_ROLE.length + 1), 16) / BINS_PER_BUNDLE);
    const entries = await bundleOf(dir, after, changedK);
    const binVersion = Metadata.targets(entries.get(bin)!).signed.version;
    assert.deepEqual(entries.get(bin), new Uint8Array(await readFile(join(dir, `${binVersion}.${bin}.json`))));
    assert.ok(Metadata.targets(entries.get(bin)!).signed.targets.has('left-pad/-/left-pad-1.0.0.tgz'));
    const otherK = 1 - changedK;
    assert.equal((await stat(join(dir, `${after}.bundle-${otherK}.json`))).ino, (await stat(join(dir, `${before}.bundle-${otherK}.json`))).ino);
    // the linked bundle is a valid bundle under its new name: every entry the bin file the new snapshot lists
    const snapshot = Metadata.snapshot(await readFile(join(dir, `${after}.snapshot.json`)));
    for (const [name, bytes] of await bundleOf(dir, after, otherK)) {
      const listed = snapshot.signed.meta.get(`${name}.json`)!.version;
      assert.deepEqual(bytes, new Uint8Array(await readFile(join(dir, `${listed}.${name}.json`))));
    }
    assert.notEqual((await stat(join(dir, `${after}.bundle-${changedK}.json`))).ino, (await stat(join(dir, `${before}.bundle-${changedK}.json`))).ino);
  } finally {
    await t.cleanup();
  }
});

test('bundles are in place before the snapshot that names them is written (crash safety)', async () => {
  const t = await tempDir();
  try {
    const dir = join(t.path, 'metadata');
    await initRepository({ dir, keysDir: join(t.path, 'keys'), bitLength: 6 });
    const repo = await loadRepository(dir);
    // a new snapshot version with no role changed: the bundles are linked under the new version
    const snapshotSigner = await loadOnlineSigner(t.path, 'snapshot');
    const timestampSigner = await loadOnlineSigner(t.path, 'timestamp');
    repo.updateSnapshot();
    repo.sign('snapshot', [snapshotSigner]);
    repo.updateTimestamp();
    repo.sign('timestamp', [timestampSigner]);
    const v = repo.snapshot.signed.version;
    let seen = false;
    await persistRepository(repo, dir, {
      roleBundlesOf: UNCLAIMED_ROLE,
      onRoleBundles: (report) => {
        seen = true;
        assert.deepEqual(report.linked, [0, 1]);
        assert.ok(existsSync(join(dir, `${v}.bundle-0.json`)) && existsSync(join(dir, `${v}.bundle-1.json`)));
        assert.ok(!existsSync(join(dir, `${v}.snapshot.json`)), 'the snapshot is written after its bundles');
      },
    });
    assert.ok(seen);
    assert.ok(existsSync(join(dir, `${v}.snapshot.json`)));
  } finally {
    await t.cleanup();
  }
});

async function loadOnlineSigner(root: string, role: string): Promise<import('@tufpm/models').Signer> {
  const { signerFromPem } = await import('@tufpm/models');
  return signerFromPem(await readFile(join(root, 'keys', 'online', `${role}.pem`), 'utf8'));
}
