// Keeps each package's signed release list (ADR 0013) in step with its signed tarballs: one target
// `<name>/-/tufpm-releases.json` in the role that covers the package (its own role once claimed, else the
// hash bin its path hashes into), re-signed whenever a version or a dist-tag of the package changes.
import semver from 'semver';
import { parseReleaseIndex, releaseIndexPath, releaseIndexTarget, isReleaseIndexPath, type ReleaseIndex, type Targets } from '@tufpm/models';
import { RepositoryStateError } from './errors.js';
import type { NpmRepositoryCore } from './npm-repository.js';
import type { Repository } from './repository.js';
import { packageOfTargetPath } from './tarball.js';

/** `latest` = highest release (highest prerelease only when there is no release): the registry's rule. */
export function defaultLatest(versions: readonly string[]): string | undefined {
  const valid = versions.filter((v) => semver.valid(v) !== null);
  const releases = valid.filter((v) => semver.prerelease(v) === null);
  const pool = releases.length > 0 ? releases : valid;
  return [...pool].sort(semver.rcompare)[0];
}

/** The version of a tarball target path of `name` (`name/-/<base>-<version>.tgz`), or undefined. */
export function versionOfTargetPath(name: string, path: string): string | undefined {
  const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  const prefix = `${name}/-/${base}-`;
  if (!path.startsWith(prefix) || !path.endsWith('.tgz')) return undefined;
  return path.slice(prefix.length, -'.tgz'.length);
}

/** The release list a role signs for `name`; undefined when it has none. Throws when it does not parse. */
export function readReleaseIndex(role: Targets, name: string): ReleaseIndex | undefined {
  const target = role.targets.get(releaseIndexPath(name));
  if (target === undefined) return undefined;
  const parsed = parseReleaseIndex(target.custom);
  if (parsed.kind === 'malformed') throw new RepositoryStateError(`the signed release list of ${name} is malformed: ${parsed.reason}`);
  return parsed.value;
}

/** Versions of `name` signed as tarballs in one role. */
export function signedVersionsIn(role: Targets, name: string): string[] {
  const out: string[] = [];
  for (const path of role.targets.keys()) {
    const v = packageOfTargetPath(path) === name ? versionOfTargetPath(name, path) : undefined;
    if (v !== undefined) out.push(v);
  }
  return out;
}

/**
 * The next release list: `added` versions join the list; `distTags`, when given, are the package's tags
 * from now on (the registry's packument after this publish); otherwise the old tags stay and `latest` is
 * recomputed as the highest release, as the registry does for a publish without tags.
 */
export function nextReleaseIndex(current: ReleaseIndex | undefined, added: readonly string[], distTags?: Record<string, string>): ReleaseIndex {
  const versions = [...new Set([...(current?.versions ?? []), ...added])];
  let tags: Record<string, string>;
  if (distTags !== undefined) {
    tags = { ...distTags };
  } else {
    tags = { ...(current?.distTags ?? {}) };
    const latest = defaultLatest(versions);
    if (latest !== undefined) tags['latest'] = latest;
  }
  return { versions, distTags: tags };
}

/** The role that holds (or will hold) the release list of `name`. */
export function releaseIndexRole(core: NpmRepositoryCore, name: string): string {
  return core.claimedRole(name) !== undefined ? name : core.unclaimedBins().getRoleForTarget(releaseIndexPath(name));
}

/**
 * Every signed version of an unclaimed package, by scanning the bins: only for a package whose list is not
 * signed yet (a repository from before ADR 0013), once.
 */
function scanBins(core: NpmRepositoryCore, repo: Repository, name: string): string[] {
  const out: string[] = [];
  for (const bin of core.unclaimedBins().getRoles()) out.push(...signedVersionsIn(repo.targetsRole(bin).signed, name));
  return out;
}

/**
 * Writes the new release list of `name` into its role (the caller signs the returned role). `added` are the
 * versions this change signs; `distTags` as in nextReleaseIndex. Returns the role when it changed.
 */
export function updateReleaseIndex(core: NpmRepositoryCore, repo: Repository, name: string, added: readonly string[], distTags?: Record<string, string>): string | undefined {
  const role = releaseIndexRole(core, name);
  const md = repo.targetsRole(role);
  let current = readReleaseIndex(md.signed, name);
  if (current === undefined) {
    // Claimed: its own role holds every version. Unclaimed in a repository where every package has its list
    // (releaseListsComplete): a package without one has no signed version yet, and no bin is read.
    const known = core.claimedRole(name) !== undefined
      ? signedVersionsIn(md.signed, name)
      : core.config.releaseListsComplete === true ? [] : scanBins(core, repo, name);
    current = nextReleaseIndex(undefined, known);
  }
  const next = nextReleaseIndex(current, added, distTags);
  const target = releaseIndexTarget(name, next);
  const old = md.signed.targets.get(target.path);
  // Unchanged list: leave the role alone (no new version to sign).
  if (old !== undefined && old.hashes['sha512'] === target.hashes['sha512']) return undefined;
  repo.addTarget(role, target);
  return role;
}

export { isReleaseIndexPath };
