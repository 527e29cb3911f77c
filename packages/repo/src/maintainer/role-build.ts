import { Metadata, MetadataParseError, TargetFile, Targets, parseJsonStrict, releaseIndexPath, releaseIndexTarget, type Signer } from '@tufpm/models';
import { InvalidInputError, RepositoryStateError, TargetExistsError } from '../errors.js';
import { nextReleaseIndex, readReleaseIndex, signedVersionsIn } from '../release-index.js';
import { expiresIn } from '../npm-repository.js';
import { readPackageTarball, type PackageTarball } from '../tarball.js';
import { RoleRefusedError } from './errors.js';
import { sameTarget } from './release-check.js';

/** Maintainer roles stay valid a year by default: they are signed offline, by hand, at each release. */
export const DEFAULT_ROLE_EXPIRY_SECONDS = 365 * 24 * 60 * 60;
/** Upper bound for a role read from a file or a request (a package role lists one target per version). */
export const MAX_ROLE_BYTES = 16 * 1024 * 1024;

export interface ReleaseRole {
  pkg: PackageTarball;
  role: Metadata<Targets>;
}

/**
 * Role version N + 1 of a package: the current role's content (every published target, unknown fields
 * kept), plus the new tarball as a target with length, sha512 and sha256, a new expiry, no signatures.
 */
export function buildReleaseRole(current: Metadata<Targets>, pkg: PackageTarball, opts: ReleaseRoleOptions): Metadata<Targets> {
  const existing = current.signed.targets.get(pkg.targetPath);
  if (existing !== undefined) {
    throw new TargetExistsError(sameTarget(existing, pkg.target)
      ? `${pkg.targetPath} is already signed in role ${pkg.name} v${current.signed.version}`
      : `${pkg.targetPath} is already signed with other contents (npm versions are immutable: bump the version)`);
  }
  // A deep copy through JSON: the new version must not share objects with the verified current one.
  const signed = Targets.fromJSON(current.signed.toJSON());
  signed.version = current.signed.version + 1;
  signed.expires = expiresIn(opts.now, opts.expiresInSeconds ?? DEFAULT_ROLE_EXPIRY_SECONDS);
  // custom.npm (the tarball's own dependency declarations) is signed with the hashes: installers refuse
  // dependencies the signed package.json does not declare.
  signed.targets.set(pkg.targetPath, new TargetFile(pkg.targetPath, pkg.target.length, {
    sha512: pkg.target.hashes['sha512']!,
    sha256: pkg.target.hashes['sha256']!,
  }, pkg.target.custom));
  // ADR 0013: the release list gains the version, and the publish's tag points at it (npm publish --tag).
  let index;
  try {
    index = readReleaseIndex(current.signed, pkg.name);
  } catch (err) {
    if (!(err instanceof RepositoryStateError)) throw err;
  }
  const base = index ?? { versions: signedVersionsIn(current.signed, pkg.name), distTags: {} };
  const next = nextReleaseIndex(base, [pkg.version], { ...base.distTags, [opts.tag ?? 'latest']: pkg.version });
  signed.targets.set(releaseIndexPath(pkg.name), releaseIndexTarget(pkg.name, next));
  return new Metadata(signed);
}

export interface ReleaseRoleOptions {
  now: Date;
  expiresInSeconds?: number;
  /** the dist-tag the release is published under (default `latest`), signed into the release list */
  tag?: string;
}

/** Reads the tarball `npm pack` wrote and builds the release role on top of `current`. */
export async function prepareRelease(current: Metadata<Targets>, tarball: Uint8Array, opts: ReleaseRoleOptions): Promise<ReleaseRole> {
  const pkg = await readPackageTarball(tarball);
  return { pkg, role: buildReleaseRole(current, pkg, opts) };
}

/**
 * Adds signatures to a role. Signing twice with one key replaces that key's signature; signatures of
 * other keys are kept, which is how co-signing accumulates toward the threshold.
 */
export function signRole(role: Metadata<Targets>, signers: readonly Signer[]): void {
  for (const s of signers) role.sign(s, true);
}

/** Parses role metadata from bytes (a role file, or a JSON string in a publish document), strictly and bounded. */
export function parseRole(bytes: Uint8Array, what: string): Metadata<Targets> {
  try {
    return Metadata.fromJSON(parseJsonStrict(bytes, MAX_ROLE_BYTES), 'targets');
  } catch (err) {
    if (err instanceof MetadataParseError) throw new RoleRefusedError(`${what} is not valid targets metadata: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Role metadata given as a JSON value (the `_tufpm.role` field of a publish document) or a JSON string. */
export function roleFromJsonValue(value: unknown, what: string): Metadata<Targets> {
  if (typeof value === 'string') return parseRole(new TextEncoder().encode(value), what);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInputError(`${what} must be a JSON object`);
  // Re-serialise and parse strictly: the same rules (duplicate keys aside, which JSON.parse already folded) as for files.
  return parseRole(new TextEncoder().encode(JSON.stringify(value)), what);
}

/** The role file written next to a tarball by `tufpm sign`: `<tarball>.role.json`. */
export function roleFileFor(tarballPath: string): string {
  return `${tarballPath}.role.json`;
}
