import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY, SparseMerkleTree, MerkleProofError, verifyProof, type LeafValue } from '../src/index.js';
import { live, referenceRoot } from './helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('an empty tree has the EMPTY root and size 0', () => {
  const t = new SparseMerkleTree();
  assert.equal(hex(t.root()), hex(EMPTY));
  assert.equal(t.size(), 0);
  assert.equal(t.get('a'), undefined);
});

test('root matches the contract hashing computed independently, whatever the insertion order', () => {
  const leaves = new Map<string, LeafValue>();
  for (let i = 0; i < 300; i++) leaves.set(`pkg-${i}`, live(1 + (i % 7)));
  leaves.set('gone', { version: 3, tombstone: true });
  const a = new SparseMerkleTree();
  for (const [n, v] of leaves) a.set(n, v);
  const b = new SparseMerkleTree();
  for (const [n, v] of [...leaves].reverse()) b.set(n, v);
  assert.equal(hex(a.root()), referenceRoot(leaves));
  assert.equal(hex(b.root()), hex(a.root()));
  assert.equal(a.size(), 301);
  assert.deepEqual(a.get('pkg-5'), leaves.get('pkg-5'));
  assert.deepEqual(a.get('gone'), { version: 3, tombstone: true });
});

test('replacing a leaf keeps the size and changes the root; a single leaf is the root (shortcut)', () => {
  const t = new SparseMerkleTree();
  t.set('only', live(1));
  assert.equal(hex(t.root()), referenceRoot(new Map([['only', live(1)]])));
  const before = hex(t.root());
  t.set('only', live(2));
  assert.equal(t.size(), 1);
  assert.notEqual(hex(t.root()), before);
});

test('committed roots stay provable after later publishes (copy-on-write); a commit touches O(log M) nodes', () => {
  const t = new SparseMerkleTree();
  for (let i = 0; i < 2000; i++) t.set(`p${i}`, live(1));
  const first = t.commit();
  assert.equal(first.size, 2000);
  assert.equal(first.changedValues.length, 2000);
  t.set('p7', live(2));
  const second = t.commit();
  assert.equal(second.previousRoot, first.root);
  assert.deepEqual(second.changedValues.map((vi) => t.values.names[vi]), ['p7']);
  // log2(2000) is about 11: the path plus the new leaf, not the tree.
  assert.ok(second.newNodes.length <= 20, `new nodes ${second.newNodes.length}`);
  assert.deepEqual(t.get('p7', first.root), live(1));
  assert.deepEqual(t.get('p7'), live(2));
  const old = t.prove('p7', first.root);
  assert.deepEqual(verifyProof(old, 'p7', Buffer.from(first.root, 'hex')), { present: true, value: live(1) });
  assert.throws(() => t.prove('p7', 'ab'.repeat(32)), MerkleProofError);
});

test('rollback drops the open epoch and leaves the committed head', () => {
  const t = new SparseMerkleTree();
  t.set('a', live(1));
  const c = t.commit();
  t.set('b', live(1));
  t.set('a', live(5));
  t.rollback();
  assert.equal(hex(t.root()), c.root);
  assert.equal(t.size(), 1);
  assert.deepEqual(t.get('a'), live(1));
});

test('leaf values are checked: version >= 1, a tombstone carries no hashes, hashes are sha256/sha512 hex', () => {
  const t = new SparseMerkleTree();
  assert.throws(() => t.set('x', { version: 0 }), MerkleProofError);
  assert.throws(() => t.set('x', { version: 1, tombstone: true, length: 3 }), MerkleProofError);
  assert.throws(() => t.set('x', { version: 1, hashes: { md5: 'ab' } }), MerkleProofError);
  assert.throws(() => t.set('', { version: 1 }), MerkleProofError);
});
