// The approval role's next version: what reviewers sign. Built from the current (published) role, so
// every earlier approval is kept unless revoked, and each touched package's release list (ADR 0013) is
// recomputed from the approved versions: the list is what installers restrict the upstream packument to.
import { Metadata, TargetFile, Targets, isReleaseIndexPath, releaseIndexPath, releaseIndexTarget } from '@tufpm/models';
import { DEFAULT_ROLE_EXPIRY_SECONDS, defaultLatest, identicalTarget, expiresIn, packageOfTargetPath, versionOfTargetPath, type PackageTarball } from '@tufpm/repo';

export interface ApprovalChange {
  add?: readonly PackageTarball[];
  /** target paths whose approval is withdrawn */
  remove?: readonly string[];
  now: Date;
}

/** Version N + 1 of the approval role, unsigned. */
export function nextApprovalRole(current: Metadata<Targets>, change: ApprovalChange): Metadata<Targets> {
  const signed = Targets.fromJSON(current.signed.toJSON());
  signed.version = current.signed.version + 1;
  signed.expires = expiresIn(change.now, DEFAULT_ROLE_EXPIRY_SECONDS);
  const touched = new Set<string>();
  for (const pkg of change.add ?? []) {
    signed.targets.set(pkg.targetPath, new TargetFile(pkg.targetPath, pkg.target.length, { sha512: pkg.target.hashes['sha512']!, sha256: pkg.target.hashes['sha256']! }, pkg.target.custom));
    touched.add(pkg.name);
  }
  for (const path of change.remove ?? []) {
    signed.targets.delete(path);
    const name = packageOfTargetPath(path);
    if (name !== undefined) touched.add(name);
  }
  for (const name of touched) setReleaseList(signed, name);
  return new Metadata(signed);
}

/** Approved versions of `name` in a role (its tarball targets). */
export function approvedVersions(role: Targets, name: string): string[] {
  const out: string[] = [];
  const prefix = `${name}/-/`;
  for (const path of role.targets.keys()) {
    if (!path.startsWith(prefix) || isReleaseIndexPath(path)) continue;
    const v = versionOfTargetPath(name, path);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** The release list of `name`: every approved version, `latest` the highest release; none once all are revoked. */
export function setReleaseList(role: Targets, name: string): void {
  const versions = approvedVersions(role, name);
  const latest = defaultLatest(versions);
  if (versions.length === 0 || latest === undefined) {
    role.targets.delete(releaseIndexPath(name));
    return;
  }
  role.targets.set(releaseIndexPath(name), releaseIndexTarget(name, { versions: [...versions].sort(), distTags: { latest } }));
}

export interface ApprovalDiff {
  added: string[];
  removed: string[];
  /** targets present in both with other content: only release lists may change */
  changed: string[];
}

export function diffApproval(current: Targets, candidate: Targets): ApprovalDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [path, t] of candidate.targets) {
    const old = current.targets.get(path);
    if (old === undefined) added.push(path);
    else if (!identicalTarget(old, t)) changed.push(path);
  }
  for (const path of current.targets.keys()) if (!candidate.targets.has(path)) removed.push(path);
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() };
}
