import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MerkleStore, MerkleStoreError, verifyProof, writeEpochFiles, parseDelta, deltaPath, proofPath } from '../src/index.js';
import { live, withDir } from './helpers.js';

test('a reopened store has every committed root, provable; a publish appends O(log M) bytes', () => withDir('merkle-store', async (dir) => {
  const s = await MerkleStore.open(dir);
  for (let i = 0; i < 1000; i++) s.tree.set(`p${i}`, live(1));
  const first = (await s.commit())!;
  s.tree.set('p3', live(2));
  const second = (await s.commit())!;
  // One leaf value and its path (about log2(1000) = 10 nodes of 41 bytes), not the tree.
  assert.ok(second.bytesWritten < 1200, `bytes ${second.bytesWritten}`);
  assert.equal(await s.commit(), undefined, 'an epoch without changes commits nothing');
  const r = await MerkleStore.open(dir);
  assert.deepEqual(r.committedHead(), { root: second.root, size: 1000, epoch: 2 });
  assert.deepEqual(verifyProof(r.tree.prove('p3', first.root), 'p3', Buffer.from(first.root, 'hex')), { present: true, value: live(1) });
  assert.deepEqual(verifyProof(r.tree.prove('p3', second.root), 'p3', Buffer.from(second.root, 'hex')), { present: true, value: live(2) });
  // Later publishes on the reopened store continue the same tree.
  r.tree.set('p4', { version: 1, tombstone: true });
  const third = (await r.commit())!;
  assert.equal(third.previousRoot, second.root);
}));

test('a crash after appending but before head.json leaves the last committed head (garbage past it is ignored)', () => withDir('merkle-store', async (dir) => {
  const s = await MerkleStore.open(dir);
  s.tree.set('a', live(1));
  const c = (await s.commit())!;
  await appendFile(join(dir, 'nodes.bin'), Buffer.alloc(100, 7));
  await appendFile(join(dir, 'values.bin'), Buffer.alloc(13, 7));
  const r = await MerkleStore.open(dir);
  assert.equal(r.committedHead().root, c.root);
  r.tree.set('b', live(1));
  const d = (await r.commit())!;
  assert.equal((await MerkleStore.open(dir)).committedHead().root, d.root);
}));

test('opening at the root the signed timestamp names ignores a later epoch whose timestamp was never written', () => withDir('merkle-store', async (dir) => {
  const s = await MerkleStore.open(dir);
  s.tree.set('a', live(1));
  const c1 = (await s.commit())!;
  s.tree.set('a', live(2));
  await s.commit();
  const back = await MerkleStore.open(dir, c1.root);
  assert.deepEqual(back.committedHead(), { root: c1.root, size: 1, epoch: 1 });
  assert.deepEqual(back.tree.get('a'), live(1));
  back.tree.set('b', live(1));
  await back.commit();
  assert.deepEqual((await MerkleStore.open(dir)).tree.get('a'), live(1));
  await assert.rejects(MerkleStore.open(dir, 'ab'.repeat(32)), MerkleStoreError);
}));

test('refuses a damaged store: head.json committing more epochs than the log holds', () => withDir('merkle-store', async (dir) => {
  const s = await MerkleStore.open(dir);
  s.tree.set('a', live(1));
  await s.commit();
  const head = JSON.parse(await readFile(join(dir, 'head.json'), 'utf8')) as { epochs: number };
  await writeFile(join(dir, 'head.json'), JSON.stringify({ ...head, epochs: head.epochs + 1 }));
  await assert.rejects(MerkleStore.open(dir), (err: unknown) => err instanceof MerkleStoreError && err.code === 'TUF_MERKLE_STORE');
}));

test('epoch files: delta.json always, every proof when materialized', () => withDir('merkle-store', async (dir) => {
  const s = await MerkleStore.open(join(dir, 'store'));
  s.tree.set('a', live(1));
  s.tree.set('@scope/b', live(3));
  const c = (await s.commit())!;
  await writeEpochFiles(dir, s, c, { materialize: true });
  const delta = parseDelta(await readFile(join(dir, deltaPath(c.root))));
  assert.deepEqual(delta.leaves.map((l) => l.name), ['@scope/b', 'a']);
  const proof = await readFile(join(dir, proofPath(c.root, '@scope/b')));
  assert.deepEqual(verifyProof(new Uint8Array(proof), '@scope/b', Buffer.from(c.root, 'hex')), { present: true, value: live(3) });
}));
