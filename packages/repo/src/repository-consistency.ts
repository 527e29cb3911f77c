// What a repository checks before it persists (Repository.checkConsistency): the roles it would write are
// signed to their thresholds and point at each other's current versions, so a half-done edit is never written.
import { RepositoryError, UnsignedMetadataError } from '@tufpm/models';
import { checkMerkleLeaves } from './merkle-snapshot.js';
import type { Repository } from './repository.js';

/**
 * Every changed role reaches its threshold (root also the previous root's), snapshot lists the current
 * version of every targets role (classic profile; the tree's leaves in the Merkle profile), timestamp the
 * current snapshot. Throws UnsignedMetadataError / RepositoryError. `allowUnderThreshold`: roles that may
 * be written below their threshold (a staged package role, PersistOptions).
 */
export function checkRepositoryConsistency(repo: Repository, allowUnderThreshold: ReadonlySet<string>): void {
  const merkle = repo.snapshotProfile() === 'merkle';
  for (const name of repo.changed) {
    if (allowUnderThreshold.has(name)) continue;
    // Merkle profile: the snapshot is bookkeeping in memory; the timestamp signs the tree root instead.
    if (merkle && name === 'snapshot') continue;
    const r = repo.verification(name);
    if (!r.verified) {
      throw new UnsignedMetadataError(`role "${name}" v${repo.role(name).signed.version} has ${r.distinctKeys}/${r.threshold} required signatures`);
    }
    if (name === 'root') {
      const prev = repo.previousRootVerification();
      if (prev !== undefined && !prev.verified) {
        throw new UnsignedMetadataError(`root v${repo.root.signed.version} has ${prev.distinctKeys}/${prev.threshold} signatures of the previous root's keys (a rotation must be cross-signed)`);
      }
    }
  }
  if (merkle) {
    checkMerkleLeaves(repo);
  } else {
    checkSnapshotLists(repo);
  }
  if (repo.timestamp.signed.snapshotMeta.version !== repo.snapshot.signed.version) {
    throw new RepositoryError(`timestamp points at snapshot v${repo.timestamp.signed.snapshotMeta.version}, snapshot is v${repo.snapshot.signed.version}: update the timestamp`);
  }
}

/** Classic profile: the snapshot lists the current version of every targets role. */
function checkSnapshotLists(repo: Repository): void {
  const meta = repo.snapshot.signed.meta;
  for (const name of ['targets', ...repo.delegated.keys()]) {
    if (name !== 'targets' && !repo.delegated.isLoaded(name) && meta.has(`${name}.json`)) continue; // unchanged since read
    const listed = meta.get(`${name}.json`)?.version;
    const actual = repo.targetsRole(name).signed.version;
    if (listed !== actual) {
      throw new RepositoryError(`snapshot lists ${name} v${String(listed)} but the role is at v${actual}: update the snapshot`);
    }
  }
}
