import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MerkleStore, MerkleStoreError } from '../src/index.js';
import { live, withDir } from './helpers.js';

// A reader of a store another process writes (the registry serving proofs while its publisher commits,
// ADR 0021): refresh() reads only what the new epochs appended, O(log M) bytes per publish, where a reopen
// reads the whole store, O(M).

test('a reader catches up with the writer\'s epochs reading only what they appended (O(log M) per publish), and proves every root as a reopened store does', () => withDir('merkle-refresh', async (dir) => {
  const writer = await MerkleStore.open(dir);
  for (let i = 0; i < 4000; i++) writer.tree.set(`p${i}`, live(1));
  const first = (await writer.commit())!;
  const reader = await MerkleStore.open(dir);
  const roots = [first.root];
  for (let p = 0; p < 5; p++) {
    writer.tree.set(`p${p * 97}`, live(2));
    if (p === 3) writer.tree.set('new-package', live(1));
    roots.push((await writer.commit())!.root);
  }
  const storeBytes = (await stat(join(dir, 'nodes.bin'))).size + (await stat(join(dir, 'values.bin'))).size;
  const r = await reader.refresh();
  assert.equal(r?.epochs, 5);
  // five publishes of one or two leaves: their paths (about log2(4000) = 12 nodes of 41 bytes) and values
  assert.ok(r!.bytesRead < 5 * 1500, `read ${r!.bytesRead} bytes for 5 publishes (store: ${storeBytes})`);
  assert.ok(r!.bytesRead * 20 < storeBytes);
  assert.deepEqual(reader.committedHead(), writer.committedHead());
  const reopened = await MerkleStore.open(dir);
  for (const root of roots) {
    for (const role of ['p0', 'p97', 'p3999', 'new-package', 'absent']) assert.deepEqual(reader.tree.prove(role, root), reopened.tree.prove(role, root), `${role} at ${root}`);
  }
  assert.deepEqual(await reader.refresh(), { bytesRead: 60, epochs: 0 }, 'nothing new: one epoch record read');
}));

test('a reader whose history was rewritten (an epoch without its timestamp, overwritten after a crash) is told to reopen, never served the old tree', () => withDir('merkle-refresh', async (dir) => {
  const writer = await MerkleStore.open(dir);
  writer.tree.set('a', live(1));
  const signed = (await writer.commit())!;
  writer.tree.set('a', live(2));
  await writer.commit(); // the writer dies before writing the timestamp that names this root
  const reader = await MerkleStore.open(dir);
  const next = await MerkleStore.open(dir, signed.root);
  next.tree.set('b', live(1));
  await next.commit();
  assert.equal(await reader.refresh(), undefined);
  assert.deepEqual((await MerkleStore.open(dir)).tree.get('a'), live(1));
  // a store with sets of its own since its last commit is a writer: it never refreshes
  next.tree.set('c', live(1));
  await assert.rejects(next.refresh(), MerkleStoreError);
}));
