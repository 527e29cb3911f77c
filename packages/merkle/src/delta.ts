import { canonicalize, parseJsonStrict, TufError } from '@tufpm/models';
import { parseHash } from './hash.js';
import { parseLeafObject, type LeafValue } from './leaf.js';
import { MerkleDeltaError } from './errors.js';
import { type CommitResult, type SparseMerkleTree, type TreeHead } from './tree.js';

/** merkle/<root>/delta.json: the leaves set since the previous root (their new values), for auditors. */
export interface MerkleDelta {
  previous_root: string;
  previous_size: number;
  leaves: Array<{ name: string; version: number; length?: number; hashes?: Record<string, string>; tombstone?: true }>;
}

/** Deltas are bounded like snapshot files; a registry's epoch rarely changes more than a few thousand roles. */
export const DEFAULT_MAX_DELTA_BYTES = 64 * 1024 * 1024;

/** The delta a commit produced (leaves sorted by role name). */
export function deltaOf(tree: SparseMerkleTree, commit: CommitResult): MerkleDelta {
  return {
    previous_root: commit.previousRoot,
    previous_size: commit.previousSize,
    leaves: commit.changedValues.map((vi) => JSON.parse(Buffer.from(tree.values.bytes[vi]!).toString('utf8')) as MerkleDelta['leaves'][number]),
  };
}

export function encodeDelta(delta: MerkleDelta): Uint8Array {
  return canonicalize(delta);
}

/** Strict, bounded parse of delta.json bytes (untrusted: they come from the registry). */
export function parseDelta(bytes: Uint8Array, maxBytes = DEFAULT_MAX_DELTA_BYTES): MerkleDelta {
  if (bytes.length > maxBytes) throw new MerkleDeltaError(`delta.json of ${bytes.length} bytes exceeds the limit of ${maxBytes}`);
  let raw: unknown;
  try {
    raw = parseJsonStrict(bytes, maxBytes);
  } catch (err) {
    if (err instanceof TufError) throw new MerkleDeltaError(`delta.json is not strict JSON: ${err.message}`, { cause: err });
    throw err;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new MerkleDeltaError('delta.json must be an object');
  const o = raw as Record<string, unknown>;
  if (Object.keys(o).sort().join() !== 'leaves,previous_root,previous_size') throw new MerkleDeltaError('delta.json must have exactly previous_root, previous_size, leaves');
  if (parseHash(o.previous_root) === undefined) throw new MerkleDeltaError('delta.json: previous_root must be 64 lowercase hex');
  if (!Number.isSafeInteger(o.previous_size) || (o.previous_size as number) < 0) throw new MerkleDeltaError('delta.json: previous_size must be a non-negative integer');
  if (!Array.isArray(o.leaves)) throw new MerkleDeltaError('delta.json: leaves must be an array');
  return o as unknown as MerkleDelta;
}

/**
 * Why a new leaf may replace an old one: only additions, version raises and tombstoning (at the same or a
 * higher version) keep the tree append-only; anything else is a rollback or a rewrite of history.
 */
export function checkLeafTransition(name: string, old: LeafValue | undefined, next: LeafValue): void {
  if (old === undefined) return;
  if (next.version > old.version) return;
  if (next.tombstone === true && old.tombstone !== true && next.version === old.version) return;
  if (old.tombstone === true && next.tombstone !== true && next.version <= old.version) {
    throw new MerkleDeltaError(`delta revives tombstoned role ${name} at version ${next.version} without raising it above ${old.version}`);
  }
  throw new MerkleDeltaError(`delta changes role ${name} from version ${old.version} to ${next.version}${next.tombstone ? ' (tombstone)' : ''}: versions only go up (rollback)`);
}

/**
 * Applies a delta to an auditor's tree (whose committed head must be delta.previous_root/previous_size),
 * checks each leaf transition, recomputes root and size and compares them with `expected` (the head the
 * signed timestamp announces). On success the new head is committed; on any failure the tree is left at
 * the previous head and MerkleDeltaError is thrown.
 */
export function applyDelta(tree: SparseMerkleTree, delta: MerkleDelta, expected?: TreeHead): TreeHead {
  const head = tree.committedHead();
  if (delta.previous_root !== head.root || delta.previous_size !== head.size) {
    throw new MerkleDeltaError(`delta starts at root ${String(delta.previous_root).slice(0, 64)} size ${delta.previous_size}, not at the verified head ${head.root} size ${head.size}`);
  }
  const seen = new Set<string>();
  const leaves: Array<{ name: string; value: LeafValue }> = [];
  for (const raw of delta.leaves) {
    let leaf: { name: string; value: LeafValue };
    try {
      leaf = parseLeafObject(raw);
    } catch (err) {
      if (err instanceof TufError) throw new MerkleDeltaError(`delta.json: bad leaf: ${err.message}`, { cause: err });
      throw err;
    }
    if (seen.has(leaf.name)) throw new MerkleDeltaError(`delta.json lists role ${leaf.name} twice`);
    seen.add(leaf.name);
    checkLeafTransition(leaf.name, tree.get(leaf.name, head.root), leaf.value);
    leaves.push(leaf);
  }
  try {
    for (const l of leaves) tree.set(l.name, l.value);
    const root = Buffer.from(tree.root()).toString('hex');
    if (expected !== undefined && (root !== expected.root || tree.size() !== expected.size)) {
      throw new MerkleDeltaError(`delta recomputes root ${root} size ${tree.size()}, but the timestamp announces root ${expected.root} size ${expected.size} (split view or forged delta)`);
    }
  } catch (err) {
    tree.rollback();
    throw err;
  }
  const c = tree.commit();
  return { root: c.root, size: c.size };
}
