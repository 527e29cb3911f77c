import semver from 'semver';
import { atomicWrite } from './atomic.js';
import { RegistryError } from './errors.js';
import type { PublishEvent, PublishHook, VersionManifest } from './hooks.js';
import { registryLayout, packumentFile, tarballFile } from './layout.js';
import { pendingNames, type PendingPublish } from './publish-journal.js';
import { commitPublish, readPackumentFile, resumePublish } from './publish-transaction.js';
import { readRegularFile } from './safe-path.js';
import { assertPackageName, assertVersion, isValidDistTag, targetPathFor } from './names.js';
import type { StoredPackument } from './packument.js';
import { tarballDigests } from './integrity.js';
import { readTarballManifest, type ReadTarballLimits } from './tarball.js';
import { withDirLock } from './lock.js';

/** Reads a stored packument; undefined when the package does not exist. Symlinks are not followed. */
export async function readStoredPackument(dir: string, name: string): Promise<StoredPackument | undefined> {
  return (await readPackumentFile(dir, name))?.packument;
}

export async function writeStoredPackument(dir: string, packument: StoredPackument, durable = true): Promise<void> {
  await atomicWrite(packumentFile(dir, packument.name), `${JSON.stringify(packument, null, 2)}\n`, { durable });
}

/** Builds the stored manifest from the tarball's own package.json (never from the publish body). */
function storedManifest(
  pkgJson: Record<string, unknown>,
  name: string,
  version: string,
  targetPath: string,
  integrity: string,
  shasum: string,
  extra: { hasShrinkwrap: boolean; hasBindingGyp: boolean },
): VersionManifest {
  const out: Record<string, unknown> = {};
  // `_`-fields are the registry's to set; a package must not smuggle in `_resolved` or `_integrity`.
  for (const [k, v] of Object.entries(pkgJson)) if (!k.startsWith('_')) out[k] = v;
  const scripts = (pkgJson['scripts'] ?? {}) as Record<string, unknown>;
  const hasInstallScript =
    extra.hasBindingGyp || ['preinstall', 'install', 'postinstall'].some((s) => typeof scripts[s] === 'string');
  return {
    ...out,
    name,
    version,
    _id: `${name}@${version}`,
    ...(extra.hasShrinkwrap ? { _hasShrinkwrap: true } : {}),
    ...(hasInstallScript ? { hasInstallScript: true } : {}),
    dist: { tarball: targetPath, integrity, shasum },
  };
}

/** Latest = highest release version (highest prerelease only when there is no release). */
function defaultLatest(versions: string[]): string | undefined {
  const releases = versions.filter((v) => semver.prerelease(v) === null);
  const pool = releases.length > 0 ? releases : versions;
  return pool.sort(semver.rcompare)[0];
}

export interface AcceptOptions {
  /** Publish time (default now). */
  time?: Date | string;
  /** Dist-tags to set; default: `latest` recomputed to the highest release. */
  distTags?: Record<string, string>;
  /** The name/version the publisher claimed; must match the tarball's package.json. */
  claimed?: { name: string; version: string };
  hooks?: PublishHook | PublishHook[];
  user?: string;
  document?: Record<string, unknown>;
  limits?: ReadTarballLimits;
  /** fsync writes (default true). */
  durable?: boolean;
}

export interface AddedVersion {
  name: string;
  version: string;
  tarballPath: string;
  tarballFile: string;
  integrity: string;
  shasum: string;
  length: number;
  hashes: { sha256: string; sha512: string };
}

/** A publish that passed every check that needs only its own bytes (prepareVersion). */
export interface PreparedVersion {
  name: string;
  version: string;
  tarballPath: string;
  /** the version manifest as stored: the tarball's package.json minus `_`-fields, plus dist */
  manifest: VersionManifest;
  integrity: string;
  shasum: string;
  length: number;
  hashes: { sha256: string; sha512: string };
}

/**
 * The checks of a new version that need only its tarball: a readable package tarball (entry rules, size
 * limits), whose package.json names the claimed name and version, valid dist-tags that point at it.
 * Shared by tufpm-registry (acceptVersion) and the Verdaccio plugin (ADR 0018).
 */
export async function prepareVersion(
  tarball: Uint8Array,
  options: { claimed?: { name: string; version: string }; distTags?: Record<string, string>; limits?: ReadTarballLimits } = {},
): Promise<PreparedVersion> {
  const contents = await readTarballManifest(tarball, options.limits);
  const pkgName = contents.manifest['name'];
  const pkgVersion = contents.manifest['version'];
  if (options.claimed !== undefined && (pkgName !== options.claimed.name || pkgVersion !== options.claimed.version)) {
    throw new RegistryError(
      'REGISTRY_TARBALL_MISMATCH',
      `tarball contains ${String(pkgName)}@${String(pkgVersion)}, not the claimed ${options.claimed.name}@${options.claimed.version}`,
    );
  }
  const name = assertPackageName(pkgName);
  const version = assertVersion(pkgVersion);
  for (const [tag, v] of Object.entries(options.distTags ?? {})) {
    if (!isValidDistTag(tag)) throw new RegistryError('REGISTRY_BAD_REQUEST', `invalid dist-tag ${JSON.stringify(tag)}`);
    if (v !== version) throw new RegistryError('REGISTRY_BAD_REQUEST', `dist-tag ${tag} must point at the published version`);
  }
  const digests = tarballDigests(tarball);
  const tarballPath = targetPathFor(name, version);
  return {
    name,
    version,
    tarballPath,
    manifest: storedManifest(contents.manifest, name, version, tarballPath, digests.integrity, digests.shasum, contents),
    integrity: digests.integrity,
    shasum: digests.shasum,
    length: digests.length,
    hashes: { sha256: digests.sha256Hex, sha512: digests.sha512Hex },
  };
}

/**
 * The package's dist-tags once a publish is stored: the given tags merged over the existing ones, or
 * (none given) `latest` recomputed to the highest release. A signing hook signs exactly these (ADR 0013).
 */
export function distTagsAfterPublish(
  existing: { tags: Record<string, string>; versions: readonly string[] } | undefined,
  version: string,
  distTags: Record<string, string> | undefined,
): Record<string, string> {
  const out: Record<string, string> = { ...(existing?.tags ?? {}) };
  if (distTags === undefined) {
    const latest = defaultLatest([...(existing?.versions ?? []), version]);
    if (latest !== undefined) out['latest'] = latest;
  } else {
    Object.assign(out, distTags);
  }
  return out;
}

/**
 * Validates a tarball, runs the hooks and stores it as a new version (publish-transaction.ts: the files
 * are written before any metadata names them, a failure undoes them, a kill is finished later). Nothing
 * is written when a check or a beforeAccept hook refuses.
 */
export async function acceptVersion(dir: string, tarball: Uint8Array, options: AcceptOptions = {}): Promise<AddedVersion> {
  const prepared = await prepareVersion(tarball, {
    ...(options.claimed === undefined ? {} : { claimed: options.claimed }),
    ...(options.distTags === undefined ? {} : { distTags: options.distTags }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const { name, version, tarballPath, manifest } = prepared;
  const time = options.time === undefined ? new Date() : new Date(options.time);
  if (Number.isNaN(time.getTime())) throw new RegistryError('REGISTRY_BAD_REQUEST', 'invalid publish time');
  const root = registryLayout(dir).root;
  const file = tarballFile(root, tarballPath);
  const hooks = options.hooks === undefined ? [] : Array.isArray(options.hooks) ? options.hooks : [options.hooks];
  const durable = options.durable !== false;
  const added: AddedVersion = {
    name, version, tarballPath, tarballFile: file, integrity: prepared.integrity, shasum: prepared.shasum,
    length: prepared.length, hashes: { ...prepared.hashes },
  };

  return withDirLock(root, async () => {
    // A publish of this package that a kill interrupted is finished first (its hooks run again).
    const resumed = await resumePublish(root, name, hooks, durable);
    const existing = await readPackumentFile(root, name);
    if (existing !== undefined && Object.hasOwn(existing.packument.versions, version)) {
      // The retry of a publish that was interrupted after its files were stored: now finished.
      if (resumed?.version === version && resumed.integrity === prepared.integrity) return added;
      throw new RegistryError('REGISTRY_CONFLICT', `cannot publish over the previously published version ${name}@${version}`);
    }
    // A tarball without a packument entry is left over from an interrupted store. The same bytes are
    // stored again; other bytes are refused: never serve different bytes under a path that may be cached.
    const leftover = await readRegularFile(root, file, prepared.length, () => new RegistryError('REGISTRY_CONFLICT', `tarball ${tarballPath} already exists`));
    if (leftover !== undefined && Buffer.compare(leftover, Buffer.from(tarball)) !== 0) {
      throw new RegistryError('REGISTRY_CONFLICT', `tarball ${tarballPath} already exists`);
    }
    // The packument's dist-tags after this publish, known before the hooks run so that a signing hook signs
    // exactly the tags the packument will serve (ADR 0013).
    const packumentDistTags = distTagsAfterPublish(
      existing === undefined ? undefined : { tags: existing.packument['dist-tags'], versions: Object.keys(existing.packument.versions) },
      version,
      options.distTags,
    );
    const pending: PendingPublish = {
      name, version, tarballPath, integrity: prepared.integrity, length: prepared.length, hashes: { ...prepared.hashes },
      manifest, time: time.toISOString(), distTags: options.distTags ?? {}, packumentDistTags,
      user: options.user, document: options.document ?? {},
    };
    await commitPublish(root, { pending, tarball, hooks, existing, tarballWasThere: leftover !== undefined, durable });
    const event: PublishEvent = {
      dir: root, name, version, tarball, manifest, tarballPath, tarballFile: file, length: prepared.length,
      hashes: { ...prepared.hashes }, distTags: { ...pending.distTags }, packumentDistTags: { ...packumentDistTags },
      user: options.user, document: pending.document,
    };
    for (const hook of hooks) await hook.afterAccept?.(event);
    return added;
  });
}

/** Finishes the publishes a killed registry left behind (at start); returns the failures by package. */
export async function resumeInterruptedPublishes(dir: string, hooks: readonly PublishHook[], durable = true): Promise<Array<{ name: string; error: unknown }>> {
  const root = registryLayout(dir).root;
  const failures: Array<{ name: string; error: unknown }> = [];
  for (const name of await pendingNames(root)) {
    try {
      await withDirLock(root, () => resumePublish(root, name, hooks, durable));
    } catch (error) {
      failures.push({ name, error });
    }
  }
  return failures;
}

export interface AddPackageVersionOptions {
  time?: Date | string;
  distTags?: Record<string, string>;
  hooks?: PublishHook | PublishHook[];
  durable?: boolean;
}

/** Programmatic publish for fixtures and tests: writes the tarball and updates the packument. */
export async function addPackageVersion(dir: string, tarball: Uint8Array, options: AddPackageVersionOptions = {}): Promise<AddedVersion> {
  return acceptVersion(dir, tarball, options);
}
