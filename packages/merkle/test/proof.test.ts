import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SparseMerkleTree, MerkleProofError, encodeProof, leafKey, verifyProof, MAX_PROOF_BYTES, type MerkleProof } from '../src/index.js';
import { live } from './helpers.js';

function build(): { tree: SparseMerkleTree; root: Buffer } {
  const tree = new SparseMerkleTree();
  for (let i = 0; i < 64; i++) tree.set(`pkg-${i}`, live(i + 1));
  tree.set('old-pkg', { version: 4, tombstone: true });
  return { tree, root: Buffer.from(tree.root()) };
}
const { tree, root } = build();
const clone = (p: MerkleProof): MerkleProof => JSON.parse(JSON.stringify(p)) as MerkleProof;
const refused = (p: unknown, name: string, r: Uint8Array = root, message?: RegExp) =>
  assert.throws(() => verifyProof(p, name, r), (err: unknown) => {
    assert.ok(err instanceof MerkleProofError, String(err));
    assert.equal(err.code, 'TUF_MERKLE_PROOF');
    if (message) assert.match(err.message, message);
    return true;
  });

/** Absent names whose path ends at an empty node, and at another shortcut leaf. */
function absentByForm(): { empty: string; other: string } {
  let empty: string | undefined;
  let other: string | undefined;
  for (let i = 0; empty === undefined || other === undefined; i++) {
    const p = tree.prove(`absent-${i}`);
    if (p.other === undefined) empty ??= `absent-${i}`;
    else other ??= `absent-${i}`;
  }
  return { empty, other };
}
const absent = absentByForm();

test('accepts a present leaf, a tombstone, and both absence forms, as bytes or parsed', () => {
  assert.deepEqual(verifyProof(tree.prove('pkg-3'), 'pkg-3', root), { present: true, value: live(4) });
  assert.deepEqual(verifyProof(encodeProof(tree.prove('pkg-3')), 'pkg-3', root), { present: true, value: live(4) });
  assert.deepEqual(verifyProof(tree.prove('old-pkg'), 'old-pkg', root), { present: true, value: { version: 4, tombstone: true } });
  assert.deepEqual(verifyProof(tree.prove(absent.empty), absent.empty, root), { present: false });
  assert.deepEqual(verifyProof(tree.prove(absent.other), absent.other, root), { present: false });
  // A proof at M = 65 is small: about log2(M) siblings.
  assert.ok(encodeProof(tree.prove('pkg-3')).length < 800);
});

test('rejects a forged sibling', () => {
  const p = clone(tree.prove('pkg-9'));
  assert.ok(p.siblings.length > 0);
  p.siblings[0] = (p.siblings[0]!.startsWith('0') ? '1' : '0') + p.siblings[0]!.slice(1);
  refused(p, 'pkg-9', root, /does not hash to the pinned root/);
});

test('rejects a forged leaf version (rollback inside a valid-looking proof)', () => {
  const p = clone(tree.prove('pkg-9'));
  p.leaf!.version = 3;
  refused(p, 'pkg-9');
});

test('rejects a proof for a different root (mix-and-match), even with its root field rewritten', () => {
  const other = new SparseMerkleTree();
  other.set('pkg-9', live(1));
  const p = other.prove('pkg-9');
  refused(p, 'pkg-9', root, /not the pinned root/);
  refused({ ...clone(p), root: root.toString('hex') }, 'pkg-9', root, /does not hash/);
});

test('rejects a missing leaf presented as present', () => {
  const p = clone(tree.prove(absent.empty));
  p.leaf = { name: absent.empty, ...live(1) };
  refused(p, absent.empty);
  // Another role's genuine presence proof relabelled as the missing role.
  const q = clone(tree.prove('pkg-1'));
  q.name = absent.other;
  q.leaf!.name = absent.other;
  refused(q, absent.other);
});

test('rejects a present leaf presented as absent by an empty node', () => {
  const p = clone(tree.prove('pkg-12'));
  p.leaf = null;
  refused(p, 'pkg-12', root, /does not hash/);
  // Claimed empty one level higher (dropping the last sibling) does not hash either.
  const q = clone(tree.prove('pkg-12'));
  q.leaf = null;
  q.depth = Math.max(0, q.depth - 1);
  q.bitmap = Buffer.alloc(Math.ceil(q.depth / 8)).toString('hex');
  q.siblings = [];
  refused(q, 'pkg-12');
});

test('rejects a present leaf presented as absent by another shortcut leaf', () => {
  const p = clone(tree.prove('pkg-12'));
  const key = Buffer.from(leafKey('pkg-12'));
  key[31]! ^= 1; // shares every bit of the path, differs from the real key
  p.leaf = null;
  p.other = { key: key.toString('hex'), value_hash: 'ab'.repeat(32) };
  refused(p, 'pkg-12', root, /does not hash/);
  // The role's own key shown as "another" leaf.
  const q = clone(p);
  q.other = { key: Buffer.from(leafKey('pkg-12')).toString('hex'), value_hash: 'ab'.repeat(32) };
  refused(q, 'pkg-12', root, /own key/);
  // A genuine other-leaf absence proof reused for a role whose path it is not on.
  const r = clone(tree.prove(absent.other));
  r.name = 'pkg-12';
  refused(r, 'pkg-12');
});

test('rejects a proof naming another role, or a leaf naming another role', () => {
  refused(tree.prove('pkg-1'), 'pkg-2', root, /expected "pkg-2"/);
  const p = clone(tree.prove('pkg-1'));
  p.leaf!.name = 'pkg-2';
  refused(p, 'pkg-1', root, /leaf names/);
});

test('rejects oversize depth, bitmap/sibling mismatches and malformed fields before hashing', () => {
  const good = tree.prove('pkg-20');
  refused({ ...clone(good), depth: 257, bitmap: '00'.repeat(33) }, 'pkg-20', root, /depth/);
  refused({ ...clone(good), bitmap: good.bitmap + '00' }, 'pkg-20', root, /bitmap must be/);
  refused({ ...clone(good), siblings: [...good.siblings, 'cd'.repeat(32)] }, 'pkg-20', root, /siblings but the bitmap/);
  refused({ ...clone(good), siblings: good.siblings.slice(1) }, 'pkg-20', root, /siblings but the bitmap|not a non-empty/);
  const padded = clone(good);
  const bm = Buffer.from(padded.bitmap, 'hex');
  if (padded.depth % 8 !== 0) {
    bm[bm.length - 1]! |= 1;
    padded.bitmap = bm.toString('hex');
    refused(padded, 'pkg-20', root, /past depth/);
  }
  const emptySibling = clone(good);
  emptySibling.siblings[0] = '00'.repeat(32);
  refused(emptySibling, 'pkg-20', root, /non-empty/);
  refused({ ...clone(good), extra: 1 }, 'pkg-20', root, /unknown field/);
  refused({ ...clone(good), leaf: { ...good.leaf, note: 'x' } }, 'pkg-20', root, /unknown field/);
  refused({ ...clone(good), depth: 1.5 }, 'pkg-20');
  refused(Buffer.alloc(MAX_PROOF_BYTES + 1, 0x20), 'pkg-20', root, /exceeds/);
  refused(Buffer.from('{"root":"x","root":"y"}'), 'pkg-20', root, /strict JSON/);
});
