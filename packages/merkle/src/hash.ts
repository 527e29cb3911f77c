import { createHash, timingSafeEqual } from 'node:crypto';

/** Hash of an empty subtree at every depth (ADR 0021): 32 zero bytes, so empty subtrees cost nothing. */
export const EMPTY: Uint8Array = new Uint8Array(32);
export const HASH_BYTES = 32;
/** Keys are sha256 digests: the tree has 256 levels at most. */
export const KEY_BITS = 256;

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** The leaf key of a role: sha256(utf8(roleName)); roleName as in classic snapshot meta without ".json". */
export function leafKey(roleName: string): Uint8Array {
  return sha256(Buffer.from(roleName, 'utf8'));
}

/** leafHash(key, leafBytes) = sha256(0x00 || key || sha256(leafBytes)); the 0x00 prefix separates leaves from nodes. */
export function leafHash(key: Uint8Array, leafBytes: Uint8Array): Buffer {
  return leafHashFromValueHash(key, sha256(leafBytes));
}

export function leafHashFromValueHash(key: Uint8Array, valueHash: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(key).update(valueHash).digest();
}

const LEAF_PREFIX = Uint8Array.of(0);
const NODE_PREFIX = Uint8Array.of(1);

export function isEmptyHash(h: Uint8Array): boolean {
  for (let i = 0; i < HASH_BYTES; i++) if (h[i] !== 0) return false;
  return true;
}

/** nodeHash(l, r) = sha256(0x01 || l || r), except two empty children give EMPTY. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (isEmptyHash(left) && isEmptyHash(right)) return EMPTY;
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** Bit `i` of the path: bit i of the key, most significant bit of byte 0 first; 0 = left. */
export function keyBit(key: Uint8Array, i: number): number {
  return (key[i >> 3]! >> (7 - (i & 7))) & 1;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Parses a lowercase 64-hex digest (the only spelling we write), or returns undefined. */
export function parseHash(s: unknown): Uint8Array | undefined {
  if (typeof s !== 'string' || !HEX64.test(s)) return undefined;
  return Buffer.from(s, 'hex');
}
