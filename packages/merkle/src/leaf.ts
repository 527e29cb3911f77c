import { canonicalize, isSupportedHashAlgorithm } from '@tufpm/models';
import { MerkleProofError } from './errors.js';

/** What a leaf holds: the facts a classic snapshot entry holds for a role (TUF 4.4 METAFILES), or a tombstone. */
export interface LeafValue {
  version: number;
  length?: number;
  hashes?: Record<string, string>;
  /** The role was unpublished: the leaf stays (never a deletion) so its version can never go back. */
  tombstone?: true;
}

/** Role names longer than this are not npm roles; bounds what a proof file may make us hash. */
export const MAX_ROLE_NAME_LENGTH = 1024;
const HEX = /^[0-9a-f]+$/;

/** The leaf's bytes: canonical JSON of {name, version, length?, hashes?, tombstone?}. */
export function encodeLeaf(roleName: string, v: LeafValue): Uint8Array {
  checkLeafValue(roleName, v);
  return canonicalize({
    name: roleName,
    version: v.version,
    length: v.length,
    hashes: v.hashes === undefined ? undefined : { ...v.hashes },
    tombstone: v.tombstone,
  });
}

/** Throws MerkleProofError unless `v` is a well-formed leaf for `roleName` (also used on untrusted proof leaves). */
export function checkLeafValue(roleName: string, v: LeafValue): void {
  if (typeof roleName !== 'string' || roleName.length === 0 || roleName.length > MAX_ROLE_NAME_LENGTH) {
    throw new MerkleProofError('leaf: role name must be a non-empty string of at most 1024 characters');
  }
  if (!Number.isSafeInteger(v.version) || v.version < 1) {
    throw new MerkleProofError(`leaf ${roleName}: version must be an integer >= 1`);
  }
  if (v.tombstone !== undefined) {
    if (v.tombstone !== true) throw new MerkleProofError(`leaf ${roleName}: tombstone must be true when present`);
    if (v.length !== undefined || v.hashes !== undefined) {
      throw new MerkleProofError(`leaf ${roleName}: a tombstone carries no length or hashes`);
    }
  }
  if (v.length !== undefined && (!Number.isSafeInteger(v.length) || v.length < 0)) {
    throw new MerkleProofError(`leaf ${roleName}: length must be a non-negative integer`);
  }
  if (v.hashes !== undefined) {
    if (v.hashes === null || typeof v.hashes !== 'object' || Array.isArray(v.hashes)) {
      throw new MerkleProofError(`leaf ${roleName}: hashes must be an object`);
    }
    const entries = Object.entries(v.hashes);
    if (entries.length === 0 || entries.length > 2) throw new MerkleProofError(`leaf ${roleName}: hashes must list sha256 and/or sha512`);
    for (const [alg, hex] of entries) {
      if (!isSupportedHashAlgorithm(alg) || typeof hex !== 'string' || !HEX.test(hex) || hex.length !== (alg === 'sha256' ? 64 : 128)) {
        throw new MerkleProofError(`leaf ${roleName}: unsupported or malformed hash ${alg}`);
      }
    }
  }
}

const LEAF_FIELDS = new Set(['name', 'version', 'length', 'hashes', 'tombstone']);

/** Strictly reads a leaf object from untrusted JSON (no unknown fields); returns its name and value. */
export function parseLeafObject(raw: unknown): { name: string; value: LeafValue } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new MerkleProofError('leaf must be an object');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!LEAF_FIELDS.has(k)) throw new MerkleProofError(`leaf: unknown field ${JSON.stringify(k)}`);
  if (typeof o.name !== 'string') throw new MerkleProofError('leaf: name must be a string');
  const value: LeafValue = { version: o.version as number };
  if (o.length !== undefined) value.length = o.length as number;
  if (o.hashes !== undefined) value.hashes = o.hashes as Record<string, string>;
  if (o.tombstone !== undefined) value.tombstone = o.tombstone as true;
  checkLeafValue(o.name, value);
  return { name: o.name, value };
}

export function sameLeafValue(a: LeafValue, b: LeafValue): boolean {
  return Buffer.from(encodeLeaf('x', a)).equals(Buffer.from(encodeLeaf('x', b)));
}
