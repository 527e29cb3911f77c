import { canonicalize, parseJsonStrict, TufError } from '@tufpm/models';
import { KEY_BITS } from './hash.js';
import { MerkleProofError } from './errors.js';

/** The proof file (merkle/<root>/<role>.proof.json), see docs/adr/0021-merkle-snapshot.md. */
export interface MerkleProof {
  root: string;
  name: string;
  /** The role's leaf, or null when the role is absent. */
  leaf: { name: string; version: number; length?: number; hashes?: Record<string, string>; tombstone?: true } | null;
  /** Absence shown by another shortcut leaf on the path (its key and the sha256 of its leaf bytes). */
  other?: { key: string; value_hash: string };
  depth: number;
  /** ceil(depth/8) bytes, hex: bit j (MSB first) set = the sibling at depth j+1 is non-empty. */
  bitmap: string;
  /** The non-empty siblings, root side first. */
  siblings: string[];
}

/**
 * Upper bound of a proof file: 256 siblings of 66 characters plus a leaf with a 1024-character name and two
 * hashes is under 20 KB; anything longer is refused before parsing (endless data).
 */
export const MAX_PROOF_BYTES = 32 * 1024;

const FIELDS = new Set(['root', 'name', 'leaf', 'other', 'depth', 'bitmap', 'siblings']);

/** The bytes to write for a proof: canonical JSON (immutable files, byte-identical whoever generates them). */
export function encodeProof(proof: MerkleProof): Uint8Array {
  return canonicalize(proof);
}

/** Bounds and strictly parses proof bytes; the shape is checked here, the cryptography in verifyProof. */
export function parseProof(bytes: Uint8Array): MerkleProof {
  if (bytes.length > MAX_PROOF_BYTES) {
    throw new MerkleProofError(`proof file of ${bytes.length} bytes exceeds the limit of ${MAX_PROOF_BYTES}`);
  }
  let raw: unknown;
  try {
    raw = parseJsonStrict(bytes, MAX_PROOF_BYTES);
  } catch (err) {
    if (err instanceof TufError) throw new MerkleProofError(`proof file is not strict JSON: ${err.message}`, { cause: err });
    throw err;
  }
  return checkProofShape(raw);
}

/** Checks the fields and their types of an already parsed proof object (no unknown fields). */
export function checkProofShape(raw: unknown): MerkleProof {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new MerkleProofError('proof must be an object');
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.has(k)) throw new MerkleProofError(`proof: unknown field ${JSON.stringify(k)}`);
  if (typeof o.root !== 'string' || typeof o.name !== 'string') throw new MerkleProofError('proof: root and name must be strings');
  if (!Number.isSafeInteger(o.depth) || (o.depth as number) < 0 || (o.depth as number) > KEY_BITS) {
    throw new MerkleProofError(`proof: depth must be an integer in 0..${KEY_BITS}`);
  }
  if (typeof o.bitmap !== 'string') throw new MerkleProofError('proof: bitmap must be a hex string');
  if (!Array.isArray(o.siblings) || o.siblings.length > KEY_BITS) throw new MerkleProofError('proof: siblings must be an array of at most 256 hashes');
  if (o.leaf !== null && (typeof o.leaf !== 'object' || Array.isArray(o.leaf))) throw new MerkleProofError('proof: leaf must be an object or null');
  if (o.other !== undefined) {
    if (o.leaf !== null) throw new MerkleProofError('proof: "other" is only for absence (leaf null)');
    const other = o.other as Record<string, unknown>;
    if (other === null || typeof other !== 'object' || Array.isArray(other) || Object.keys(other).sort().join() !== 'key,value_hash') {
      throw new MerkleProofError('proof: other must be {key, value_hash}');
    }
  }
  return o as unknown as MerkleProof;
}
