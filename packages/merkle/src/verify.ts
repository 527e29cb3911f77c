import { timingSafeEqual } from 'node:crypto';
import { EMPTY, KEY_BITS, equalBytes, isEmptyHash, keyBit, leafHash, leafHashFromValueHash, leafKey, nodeHash, parseHash, toHex } from './hash.js';
import { encodeLeaf, parseLeafObject, type LeafValue } from './leaf.js';
import { checkProofShape, parseProof } from './proof.js';
import { MerkleProofError } from './errors.js';

export type ProofResult = { present: true; value: LeafValue } | { present: false };

/**
 * Verifies a proof (bytes of a proof file, or its parsed JSON) that `roleName` is present with a leaf, or
 * absent, under the tree `root` (the root the signed timestamp carries). Nothing in the file is trusted: its
 * "root" and "name" must equal the expected ones, the leaf must name the role, and the hash chain from the
 * leaf (or empty node, or other shortcut leaf) must recompute `root`, compared in constant time.
 * Throws MerkleProofError (TUF_MERKLE_PROOF) on any mismatch.
 */
export function verifyProof(proof: unknown, roleName: string, root: Uint8Array): ProofResult {
  const p = proof instanceof Uint8Array ? parseProof(proof) : checkProofShape(proof);
  if (!(root instanceof Uint8Array) || root.length !== 32) throw new MerkleProofError('verifyProof: the expected root must be 32 bytes');
  const expectedRootHex = toHex(root);
  if (p.root !== expectedRootHex) {
    throw new MerkleProofError(`proof for ${roleName} belongs to root ${p.root.slice(0, 80)}, not the pinned root ${expectedRootHex} (mix-and-match)`);
  }
  if (p.name !== roleName) throw new MerkleProofError(`proof names role ${JSON.stringify(p.name.slice(0, 200))}, expected ${JSON.stringify(roleName)}`);
  const key = leafKey(roleName);
  const siblings = readSiblings(p.depth, p.bitmap, p.siblings, roleName);

  let h: Uint8Array;
  let result: ProofResult;
  if (p.leaf !== null) {
    const leaf = parseLeafObject(p.leaf);
    if (leaf.name !== roleName) throw new MerkleProofError(`proof leaf names ${JSON.stringify(leaf.name.slice(0, 200))}, expected ${JSON.stringify(roleName)}`);
    h = leafHash(key, encodeLeaf(roleName, leaf.value));
    result = { present: true, value: leaf.value };
  } else if (p.other !== undefined) {
    const otherKey = parseHash(p.other.key);
    const valueHash = parseHash(p.other.value_hash);
    if (otherKey === undefined || valueHash === undefined) throw new MerkleProofError('proof: other.key and other.value_hash must be 64 lowercase hex');
    if (equalBytes(otherKey, key)) throw new MerkleProofError(`proof shows ${roleName}'s own key as "another" leaf: a present role presented as absent`);
    // The other leaf must sit on this role's path: same first `depth` key bits.
    for (let j = 0; j < p.depth; j++) {
      if (keyBit(otherKey, j) !== keyBit(key, j)) throw new MerkleProofError(`proof: the other leaf is not on ${roleName}'s path`);
    }
    h = leafHashFromValueHash(otherKey, valueHash);
    result = { present: false };
  } else {
    h = EMPTY;
    result = { present: false };
  }
  // Up from the leaf: sibling of the node at depth j+1 sits in bitmap bit j.
  for (let j = p.depth - 1; j >= 0; j--) {
    const sibling = siblings[j] ?? EMPTY;
    h = keyBit(key, j) ? nodeHash(sibling, h) : nodeHash(h, sibling);
  }
  if (!timingSafeEqual(h, root)) {
    throw new MerkleProofError(`proof for ${roleName} does not hash to the pinned root ${expectedRootHex} (forged or stale proof)`);
  }
  return result;
}

/** Expands bitmap + non-empty siblings into one entry per depth (undefined = empty); strict on every count. */
function readSiblings(depth: number, bitmapHex: string, list: unknown[], roleName: string): Array<Uint8Array | undefined> {
  if (depth > KEY_BITS) throw new MerkleProofError(`proof for ${roleName}: depth ${depth} exceeds ${KEY_BITS}`);
  const bytes = Math.ceil(depth / 8);
  if (!/^(?:[0-9a-f]{2})*$/.test(bitmapHex) || bitmapHex.length !== bytes * 2) {
    throw new MerkleProofError(`proof for ${roleName}: bitmap must be ${bytes} bytes of lowercase hex for depth ${depth}`);
  }
  const bitmap = Buffer.from(bitmapHex, 'hex');
  const out: Array<Uint8Array | undefined> = new Array(depth);
  let next = 0;
  for (let j = 0; j < bytes * 8; j++) {
    const set = keyBit(bitmap, j) === 1;
    if (j >= depth) {
      if (set) throw new MerkleProofError(`proof for ${roleName}: bitmap has bits set past depth ${depth}`);
      continue;
    }
    if (!set) continue;
    const s = parseHash(list[next++]);
    if (s === undefined || isEmptyHash(s)) throw new MerkleProofError(`proof for ${roleName}: sibling ${next - 1} is not a non-empty 64-hex hash`);
    out[j] = s;
  }
  if (next !== list.length) throw new MerkleProofError(`proof for ${roleName}: ${list.length} siblings but the bitmap marks ${next}`);
  return out;
}
