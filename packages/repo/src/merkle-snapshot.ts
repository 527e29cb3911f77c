// The wiring of the Merkle snapshot profile (issue 21, ADR 0021) into the npm-profile repository: the tree,
// its store and its files live in @tufpm/merkle; this file only maps Repository state onto them.
import { Metadata, MetaFile, Snapshot, type Root, type Timestamp } from '@tufpm/models';
import {
  MERKLE_PROFILE,
  MERKLE_TIMESTAMP_FIELD,
  MerkleStore,
  SNAPSHOT_PROFILE_FIELD,
  leafForRoleFile,
  storeDirOf,
  timestampMerkleHead,
  writeEpochFiles,
} from '@tufpm/merkle';
import { RepositoryStateError } from './errors.js';

export type SnapshotProfile = 'classic' | 'merkle';

/** The profile root.json declares (signed by the offline root keys; absent = classic). */
export function snapshotProfileOf(root: Root): SnapshotProfile {
  const v = root.unrecognized[SNAPSHOT_PROFILE_FIELD];
  if (v === undefined) return 'classic';
  if (v !== MERKLE_PROFILE) throw new RepositoryStateError(`root: unknown ${SNAPSHOT_PROFILE_FIELD} ${JSON.stringify(v)}`);
  return 'merkle';
}

export function declareMerkleProfile(root: Root): void {
  root.unrecognized[SNAPSHOT_PROFILE_FIELD] = MERKLE_PROFILE;
}

/** Opens (or creates) the tree store of a metadata dir, at the root the timestamp names (if any). */
export async function openMerkleStore(metadataDir: string, timestamp?: Timestamp): Promise<MerkleStore> {
  const head = timestamp === undefined ? undefined : timestampMerkleHead(timestamp.unrecognized);
  if (timestamp !== undefined && head === undefined) throw new RepositoryStateError(`timestamp.json in ${metadataDir} has no ${MERKLE_TIMESTAMP_FIELD} (merkle profile)`);
  const store = await MerkleStore.open(storeDirOf(metadataDir), head?.root);
  if (head !== undefined && store.committedHead().size !== head.size) {
    throw new RepositoryStateError(`merkle store holds ${store.committedHead().size} leaves at root ${head.root}, the timestamp says ${head.size}`);
  }
  return store;
}

/**
 * The classic snapshot a merkle-profile repository keeps in memory only (never written or signed): every
 * live leaf of the tree, at the epoch number the timestamp carries. The Repository's bookkeeping (which role
 * is at which version) then works the same in both profiles.
 */
export function snapshotFromStore(store: MerkleStore, timestamp: Timestamp): Metadata<Snapshot> {
  const meta = new Map<string, MetaFile>();
  for (const vi of store.tree.leafValues()) {
    const v = store.tree.valueAt(vi);
    if (v.tombstone !== true) meta.set(`${store.tree.values.names[vi]!}.json`, new MetaFile(v.version));
  }
  return new Metadata(new Snapshot({ version: timestamp.snapshotMeta.version, expires: timestamp.expires, meta }));
}

/**
 * Sets the leaves of the roles changed in this persist cycle (their signed bytes, so version, length and
 * sha256) and tombstones for removed roles; returns the uncommitted head the timestamp will sign.
 */
export function stageMerkleLeaves(store: MerkleStore, changed: Iterable<{ name: string; version: number; bytes: Uint8Array }>, removed: Iterable<string>): { root: string; size: number } {
  for (const r of changed) store.tree.set(r.name, leafForRoleFile(r.version, r.bytes));
  for (const name of removed) {
    const old = store.tree.get(name);
    if (old !== undefined && old.tombstone !== true) store.tree.set(name, { version: old.version, tombstone: true });
  }
  return { root: Buffer.from(store.tree.root()).toString('hex'), size: store.tree.size() };
}

/** Commits the epoch to the store and writes merkle/<root>/delta.json (and proofs if asked) before the timestamp. */
export async function commitMerkleEpoch(store: MerkleStore, metadataDir: string, materialize: boolean): Promise<void> {
  const c = await store.commit();
  if (c !== undefined) await writeEpochFiles(metadataDir, store, c, { materialize });
}
