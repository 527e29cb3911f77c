import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, isTopLevelRole, type Root } from '@tufpm/models';
import { isErrno } from './fs-util.js';
import { NpmRepositoryCore, UNCLAIMED_ROLE } from './npm-repository.js';
import { findOrphans, type OrphanStatus } from './orphans.js';

export interface RoleStatus {
  name: string;
  kind: 'root' | 'timestamp' | 'snapshot' | 'targets' | 'unclaimed' | 'package';
  version: number;
  expires: string;
  expired: boolean;
  threshold: number;
  keyids: string[];
  /** keyids whose signature verifies over the current bytes */
  signedBy: string[];
  /** keyids of the role that have not signed */
  missing: string[];
  verified: boolean;
  /** for root N > 1: whether the previous root's keys signed it too (cross-signing) */
  crossSigned?: boolean;
  targets?: number;
}

export interface BinsStatus {
  namePrefix: string;
  bitLength: number;
  count: number;
  threshold: number;
  keyids: string[];
  minVersion: number;
  maxVersion: number;
  earliestExpiry: string;
  targets: number;
  expired: string[];
  unverified: string[];
}

export interface RepositoryStatus {
  dir: string;
  now: string;
  consistentSnapshot: boolean;
  roles: RoleStatus[];
  bins: BinsStatus;
  /** with a registry directory: signed targets without their file, files without a target (counts exact, lists capped) */
  orphans?: OrphanStatus & { counts: Record<string, number> };
  /** true when every role verifies, none is expired, and (with a registry directory) nothing is orphaned */
  healthy: boolean;
}

/** Per-role state (version, expiry, signatures present vs threshold); JSON-serialisable. */
export async function repositoryStatus(core: NpmRepositoryCore, opts: { registryDir?: string } = {}): Promise<RepositoryStatus> {
  const repo = core.repo;
  const rootVersion = repo.root.signed.version;
  let previousRoot: Metadata<Root> | undefined;
  if (rootVersion > 1) {
    try {
      previousRoot = Metadata.root(new Uint8Array(await readFile(join(core.dir, `${rootVersion - 1}.root.json`))));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
  const now = core.now();
  const roleStatus = (name: string): RoleStatus => {
    const md = repo.role(name);
    const { role } = repo.parentOf(name);
    const v = repo.verification(name);
    const kind: RoleStatus['kind'] = isTopLevelRole(name) ? name : name === UNCLAIMED_ROLE ? 'unclaimed' : 'package';
    const out: RoleStatus = {
      name, kind,
      version: md.signed.version,
      expires: md.signed.expires.toISOString(),
      expired: md.signed.isExpired(now),
      threshold: role.threshold,
      keyids: [...role.keyids],
      signedBy: v.signedBy,
      missing: role.keyids.filter((id) => !v.signedBy.includes(id)),
      verified: v.verified,
    };
    if (name === 'root' && previousRoot !== undefined) {
      // TUF 5.3.4: root N must also carry a threshold of root N-1's keys.
      out.crossSigned = previousRoot.signed.getVerificationResult('root', repo.root).verified;
    }
    if (md.signed.type === 'targets') out.targets = repo.targetsRole(name).signed.targets.size;
    return out;
  };
  // Merkle profile (ADR 0021): no snapshot role is signed or served; the timestamp signs the tree root.
  const top = repo.snapshotProfile() === 'merkle' ? ['root', 'timestamp'] : ['root', 'timestamp', 'snapshot'];
  const roles = [...top, 'targets', ...core.claimedPackages().map((r) => r.name), UNCLAIMED_ROLE].map(roleStatus);
  const succinct = core.unclaimedBins();
  const bins: BinsStatus = {
    namePrefix: succinct.namePrefix, bitLength: succinct.bitLength, count: succinct.numberOfBins,
    threshold: succinct.threshold, keyids: [...succinct.keyids],
    minVersion: Infinity, maxVersion: 0, earliestExpiry: '', targets: 0, expired: [], unverified: [],
  };
  let earliest = Infinity;
  for (const bin of succinct.getRoles()) {
    const md = repo.targetsRole(bin);
    bins.minVersion = Math.min(bins.minVersion, md.signed.version);
    bins.maxVersion = Math.max(bins.maxVersion, md.signed.version);
    earliest = Math.min(earliest, md.signed.expires.getTime());
    bins.targets += md.signed.targets.size;
    if (md.signed.isExpired(now)) bins.expired.push(bin);
    if (!repo.verification(bin).verified) bins.unverified.push(bin);
  }
  bins.earliestExpiry = new Date(earliest).toISOString();
  const orphans = opts.registryDir === undefined ? undefined : await findOrphans(core, opts.registryDir);
  const orphaned = orphans !== undefined && Object.values(orphans.counts).some((n) => n > 0);
  const healthy = roles.every((r) => r.verified && !r.expired) && bins.expired.length === 0 && bins.unverified.length === 0 && !orphaned;
  return { dir: core.dir, now: now.toISOString(), consistentSnapshot: repo.root.signed.consistentSnapshot, roles, bins, ...(orphans === undefined ? {} : { orphans }), healthy };
}
