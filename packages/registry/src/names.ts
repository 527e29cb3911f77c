import semver from 'semver';
import { isValidNpmPackageName, npmTarballTargetPath, unscopedNpmName } from '@tufpm/models';
import { RegistryError } from './errors.js';

// The rules npm applies to new package names (validate-npm-package-name, "validForNewPackages"):
// lower case, URL-safe characters, no leading '.' or '_', at most 214 characters. We are stricter than
// npm on '*' and '!' so that every name is also a safe path component and a clean URL segment.
const RESERVED = new Set(['node_modules', 'favicon.ico']);

export function isValidPackageName(name: unknown): name is string {
  return isValidNpmPackageName(name) && !RESERVED.has(name);
}

export function assertPackageName(name: unknown): string {
  if (!isValidPackageName(name)) {
    throw new RegistryError('REGISTRY_INVALID_NAME', `invalid package name ${JSON.stringify(String(name).slice(0, 240))}`);
  }
  return name;
}

/** Only canonical semver (what `semver.valid` gives back unchanged) becomes a file name. */
export function isValidVersion(version: unknown): version is string {
  return typeof version === 'string' && version.length <= 256 && semver.valid(version) === version;
}

export function assertVersion(version: unknown): string {
  if (!isValidVersion(version)) {
    throw new RegistryError('REGISTRY_INVALID_VERSION', `invalid version ${JSON.stringify(String(version).slice(0, 260))}`);
  }
  return version;
}

/** Dist-tag names: not empty, not a semver range (npm refuses those too), URL-safe. */
export function isValidDistTag(tag: unknown): tag is string {
  return (
    typeof tag === 'string' &&
    tag.length > 0 &&
    tag.length <= 128 &&
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(tag) &&
    semver.validRange(tag) === null
  );
}

/** npm's tarball file name: `core-7.24.0.tgz` for `@babel/core@7.24.0`. */
export function tarballFileName(name: string, version: string): string {
  return `${unscopedNpmName(name)}-${version}.tgz`;
}

/**
 * The TUF target path of a version, which is also its URL path below the registry root:
 * `lodash/-/lodash-4.17.21.tgz`, `@babel/core/-/core-7.24.0.tgz`.
 */
export function targetPathFor(name: string, version: string): string {
  return npmTarballTargetPath(assertPackageName(name), assertVersion(version));
}
