// Unclaim (ADR 0026): a claimed package handed back to the registry-signed hash bins by the operator, with
// the OFFLINE targets key. The top-level targets stops delegating to the package's role and carries a
// signed unclaim record for the name (@tufpm/models unclaim-records.ts); the package's signed versions and
// release list move into its bins, re-signed with the online key; the snapshot keeps listing the retired
// role at its last version (never dropped, never a Merkle tombstone). Installers accept the registry-signed
// releases of a package they knew as maintainer-signed only while the trusted targets carries the record.
import { Targets, parseUnclaimRecords, setUnclaimRecords, formatExpires, type UnclaimRecord } from '@tufpm/models';
import { RepositoryStateError, TargetExistsError, UnknownPackageError } from './errors.js';
import { identicalTarget } from './maintainer/release-check.js';
import { UNCLAIMED_ROLE, type NpmRepositoryCore } from './npm-repository.js';
import type { Repository } from './repository.js';
import { checkPackageName, packageOfTargetPath } from './tarball.js';
import { isReleaseIndexPath } from './release-index.js';

export interface UnclaimResult {
  name: string;
  /** the version of the maintainers' role that stays listed in the snapshot (a re-claim starts one above) */
  roleVersion: number;
  /** keys and threshold of the ended delegation */
  keyids: string[];
  threshold: number;
  /** the package's tarball targets now signed by the registry's bins */
  moved: string[];
  bins: string[];
  targetsVersion: number;
}

/** The unclaim records the top-level targets carries now. */
export function unclaimRecords(repo: Repository): Map<string, UnclaimRecord> {
  return parseUnclaimRecords(repo.targets.signed.unrecognized);
}

/**
 * The version a new role for `name` must start at: 1, or one above the version the snapshot lists for a
 * role of that name that was unclaimed (its entry stays: a lower one would be a rollback, TUF 5.5.5).
 */
export function firstRoleVersion(repo: Repository, name: string): number {
  // Merkle profile: the tree holds the versions (a tombstone's too: a role reborn must go above it).
  if (repo.merkle !== undefined) return (repo.merkle.tree.get(name)?.version ?? 0) + 1;
  return (repo.snapshot.signed.meta.get(`${name}.json`)?.version ?? 0) + 1;
}

/** A claim of `name` ends its unclaim record (in the same targets version that delegates to the new role). */
export function clearUnclaimRecord(repo: Repository, name: string): void {
  const records = unclaimRecords(repo);
  if (!records.delete(name)) return;
  setUnclaimRecords(repo.edit<Targets>('targets').unrecognized, records);
}

/**
 * Hands a claimed package back to the hash bins (needs the offline targets key in the keys directory, and the
 * online key of the bins). Refused for a package that is not claimed, and while the package's role is
 * staged below its threshold (a release not fully signed would be signed by the registry's key).
 */
export async function unclaimPackage(core: NpmRepositoryCore, name: string): Promise<UnclaimResult> {
  checkPackageName(name);
  const { result } = await core.transaction(async (r) => {
    const claimed = core.claimedRole(name);
    if (claimed === undefined) throw new UnknownPackageError(`package ${name} is not claimed: there is nothing to unclaim`);
    const role = r.targetsRole(name);
    const v = r.verification(name);
    if (!v.verified) {
      throw new RepositoryStateError(`role ${name} v${role.signed.version} has ${v.distinctKeys} of ${v.threshold} maintainer signatures (a staged release): have it co-signed or withdrawn before unclaiming`);
    }
    const bins = core.unclaimedBins();
    const touched = new Set<string>();
    const moved: string[] = [];
    for (const t of role.signed.targets.values()) {
      if (packageOfTargetPath(t.path) !== name) throw new RepositoryStateError(`role ${name} lists ${t.path}, which is not under ${name}/-/`);
      const bin = bins.getRoleForTarget(t.path);
      const there = r.targetsRole(bin).signed.targets.get(t.path);
      if (there !== undefined && !identicalTarget(there, t)) throw new TargetExistsError(`${t.path} is in bin ${bin} with other contents than the maintainers signed`);
      if (there === undefined) {
        r.addTarget(bin, t);
        touched.add(bin);
      }
      if (!isReleaseIndexPath(t.path)) moved.push(t.path);
    }
    r.retireDelegation('targets', name);
    const records = unclaimRecords(r);
    const record: UnclaimRecord = { roleVersion: role.signed.version, keyids: [...claimed.keyids].sort(), threshold: claimed.threshold, unclaimed: formatExpires(core.now()) };
    records.set(name, record);
    setUnclaimRecords(r.edit<Targets>('targets').unrecognized, records);
    for (const bin of touched) await core.signRole(bin);
    await core.signRole('targets');
    await core.resignSnapshotAndTimestamp();
    if (r.targets.signed.delegations?.getRole(UNCLAIMED_ROLE) === undefined) throw new RepositoryStateError('targets lost its unclaimed delegation');
    return {
      name, roleVersion: record.roleVersion, keyids: record.keyids, threshold: record.threshold,
      moved: moved.sort(), bins: [...touched].sort(), targetsVersion: r.targets.signed.version,
    };
  });
  return result;
}
