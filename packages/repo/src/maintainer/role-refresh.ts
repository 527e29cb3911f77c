import { Metadata, Targets, type Targets as TargetsType } from '@tufpm/models';
import type { NpmRepository } from '../npm-api.js';
import { expiresIn } from '../npm-repository.js';
import { RoleRefusedError } from './errors.js';
import { checkRelease, delegationFor } from './release-check.js';
import { DEFAULT_ROLE_EXPIRY_SECONDS } from './role-build.js';

/**
 * Role version N + 1 with the same targets and a new expiry: how maintainers keep a package
 * installable when they have not released for close to a year (an expired role stops every install).
 */
export function buildRefreshRole(current: Metadata<TargetsType>, opts: { now: Date; expiresInSeconds?: number }): Metadata<TargetsType> {
  const signed = Targets.fromJSON(current.signed.toJSON());
  signed.version = current.signed.version + 1;
  signed.expires = expiresIn(opts.now, opts.expiresInSeconds ?? DEFAULT_ROLE_EXPIRY_SECONDS);
  return new Metadata(signed);
}

/**
 * Registry side: accepts a maintainer-signed role that adds no target (an expiry refresh) under the same
 * rules as a release (checkRelease), at threshold only, and writes it with snapshot and timestamp.
 */
export async function acceptRoleRefresh(repo: NpmRepository, name: string, candidate: Metadata<TargetsType>, now: Date): Promise<{ roleVersion: number; expires: string }> {
  await repo.transaction(async (r) => {
    const delegation = delegationFor(r.targets.signed, name);
    if (delegation === undefined) throw new RoleRefusedError(`package ${name} has not been claimed`);
    const result = checkRelease({ name, delegation, current: r.targetsRole(name), candidate, now });
    if (result.added.length > 0) throw new RoleRefusedError(`${name}: a role refresh may not add targets; publish new versions with tufpm publish`);
    if (!result.complete) {
      throw new RoleRefusedError(`${name}: the refreshed role has ${result.verification.distinctKeys} of ${result.verification.threshold} signatures; co-signers add theirs first (tufpm refresh --role FILE)`);
    }
    r.delegated.set(name, candidate);
    r.changed.add(name);
    await repo.resignSnapshotAndTimestamp();
  });
  return { roleVersion: candidate.signed.version, expires: candidate.signed.expires.toISOString() };
}
