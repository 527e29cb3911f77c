// The wiring of the Merkle snapshot profile (issue 21, ADR 0021) into the npm-profile repository: the tree,
// its store and its files live in @tufpm/merkle; this file only maps Repository state onto them.
import { Metadata, RepositoryError, Snapshot, isTopLevelRole, type Root, type Timestamp } from '@tufpm/models';
import {
  MERKLE_PROFILE,
  MERKLE_TIMESTAMP_FIELD,
  MerkleDeltaError,
  MerkleStore,
  SNAPSHOT_PROFILE_FIELD,
  checkLeafTransition,
  leafForRoleFile,
  storeDirOf,
  timestampMerkleHead,
  writeEpochFiles,
} from '@tufpm/merkle';
import { RepositoryStateError } from './errors.js';
import type { Repository } from './repository.js';
import type { RoleNameSource } from './delegated-roles.js';

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
 * The snapshot a merkle-profile repository keeps in memory (never written or signed into a file): only the
 * epoch number (its version) and the timestamp's expiry, no entries. The tree holds every role's version;
 * listing the M roles here made every publish walk, check and serialize all of them (issue 21).
 */
export function merkleSnapshotStub(timestamp: Timestamp): Metadata<Snapshot> {
  return new Metadata(new Snapshot({ version: timestamp.snapshotMeta.version, expires: timestamp.expires, meta: new Map() }));
}

/**
 * The delegated roles of a merkle-profile repository as the committed tree names them (every live leaf but
 * `targets`): what loadRepository lists, without building a map of the M names on open (delegated-roles.ts).
 * Committed, not staged: a role created or removed in the open cycle is tracked by DelegatedRoles itself.
 */
export function merkleRoleSource(store: MerkleStore): RoleNameSource {
  const tree = store.tree;
  const delegatedName = (name: string) => name !== 'targets' && !isTopLevelRole(name);
  return {
    has(name: string): boolean {
      if (!delegatedName(name)) return false;
      const v = tree.get(name, tree.committedHead().root);
      return v !== undefined && v.tombstone !== true;
    },
    *names(): Generator<string> {
      for (const vi of tree.leafValues(tree.committedHead().root)) {
        const name = tree.values.names[vi]!;
        if (delegatedName(name) && tree.valueAt(vi).tombstone !== true) yield name;
      }
    },
  };
}

/** The version the committed tree holds for a role (a tombstone's too), or undefined when it never held it. */
export function committedRoleVersion(store: MerkleStore, name: string): number | undefined {
  return store.tree.get(name, store.tree.committedHead().root)?.version;
}

/**
 * Merkle profile, Repository.checkConsistency: only the roles changed or removed in this cycle are checked (a
 * role not changed keeps the leaf the committed tree holds). Each changed role's staged leaf is its current
 * file (version, length, sha256) and never goes below the committed leaf (no rollback: the auditor's rule,
 * checkLeafTransition), removed roles are tombstones, and the timestamp signs the tree as staged.
 * O(changed · log M), not O(M).
 */
export function checkMerkleLeaves(repo: Repository): void {
  const tree = repo.merkle?.tree;
  if (tree === undefined) throw new RepositoryError('merkle profile: the snapshot tree store is not open');
  const committed = tree.committedHead().root;
  for (const name of repo.changed) {
    if (name !== 'targets' && !repo.delegated.has(name)) continue;
    const md = repo.targetsRole(name);
    const staged = tree.get(name);
    const file = leafForRoleFile(md.signed.version, repo.bytesOf(name));
    if (staged === undefined || staged.tombstone === true || staged.version !== file.version || staged.length !== file.length || staged.hashes?.['sha256'] !== file.hashes!['sha256']) {
      throw new RepositoryError(`the snapshot tree does not hold ${name} v${md.signed.version} as it is now: update the timestamp`);
    }
    try {
      checkLeafTransition(name, tree.get(name, committed), staged);
    } catch (err) {
      if (err instanceof MerkleDeltaError) throw new RepositoryError(`role ${name}: ${err.message}`, { cause: err });
      throw err;
    }
  }
  for (const name of repo.removed) {
    const staged = tree.get(name);
    if (staged !== undefined && staged.tombstone !== true) throw new RepositoryError(`the snapshot tree still lists removed role ${name}: update the timestamp`);
  }
  const head = timestampMerkleHead(repo.timestamp.signed.unrecognized);
  if (head === undefined || head.root !== Buffer.from(tree.root()).toString('hex') || head.size !== tree.size()) {
    throw new RepositoryError('the timestamp does not sign the snapshot tree as staged: update the timestamp');
  }
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
