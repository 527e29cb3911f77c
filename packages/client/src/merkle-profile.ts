// Which snapshot profile a repository uses, and the tree a Merkle-profile timestamp signs (TAP 16, ADR 0022).
// Both are read from signed metadata only: the profile from the root (offline keys), the tree root and
// size from the timestamp. A client never switches profile on the timestamp's word.
import type { Root, Timestamp } from '@tufpm/models';
import { MerkleProfileError } from './merkle-errors.js';

export type SnapshotProfile = 'classic' | 'merkle';

export const PROFILE_FIELD = 'x-tufpm-snapshot';
export const TREE_FIELD = 'x-tufpm-merkle';

/** The signed tree of a Merkle-profile timestamp. */
export interface MerkleTreeHead {
  /** the snapshot epoch: timestamp.meta["snapshot.json"].version */
  epoch: number;
  /** 64 lower-case hex characters */
  root: string;
  /** number of leaves (tombstones included) */
  size: number;
}

/** TAP 16: the profile the trusted root declares. An unknown value fails closed (never "classic"). */
export function snapshotProfile(root: Root): SnapshotProfile {
  if (!Object.hasOwn(root.unrecognized, PROFILE_FIELD)) return 'classic';
  const value = root.unrecognized[PROFILE_FIELD];
  if (value === 'merkle') return 'merkle';
  throw new MerkleProfileError(`root v${root.version} declares an unknown snapshot profile ${JSON.stringify(value)?.slice(0, 40)}`);
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * TAP 16: the tree head a timestamp signs. Required in the Merkle profile, refused in the classic one (a
 * classic client must not be told about a tree it will not check, nor a Merkle client be left without one).
 */
export function treeHead(ts: Timestamp, profile: SnapshotProfile): MerkleTreeHead | undefined {
  const present = Object.hasOwn(ts.unrecognized, TREE_FIELD);
  if (profile === 'classic') {
    if (present) throw new MerkleProfileError(`timestamp v${ts.version} carries ${TREE_FIELD}, but the trusted root declares the classic snapshot profile`);
    return undefined;
  }
  if (!present) throw new MerkleProfileError(`timestamp v${ts.version} lacks ${TREE_FIELD}, required by the trusted root's Merkle snapshot profile`);
  const raw = ts.unrecognized[TREE_FIELD];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MerkleProfileError(`timestamp v${ts.version}: ${TREE_FIELD} must be an object`);
  const fields = raw as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key !== 'root' && key !== 'size') throw new MerkleProfileError(`timestamp v${ts.version}: unknown field ${TREE_FIELD}.${key.slice(0, 40)}`);
  }
  const { root, size } = fields;
  if (typeof root !== 'string' || !HEX64.test(root)) throw new MerkleProfileError(`timestamp v${ts.version}: ${TREE_FIELD}.root must be 64 lower-case hex characters`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new MerkleProfileError(`timestamp v${ts.version}: ${TREE_FIELD}.size must be an integer >= 0`);
  return { epoch: ts.snapshotMeta.version, root, size };
}
