// npm package names as they appear in the npm profile of TUF: a role name (claimed packages) and the first
// segments of a target path (`<name>/-/<file>.tgz`). One definition for the repository, the registry and
// the installers, so that what one side signs the other can look up.

// URL-safe characters only (no '/', '%', '*', '!'), no leading '.' or '_': every name is a safe path
// component and a clean URL segment.
const LOWER_PART = /^[a-z0-9~-][a-z0-9._~-]*$/;
// npm once allowed upper case; such packages still exist (JSONStream) and must stay installable and
// importable, but no new package may take such a name.
const LEGACY_PART = /^[A-Za-z0-9~-][A-Za-z0-9._~-]*$/;
export const MAX_NPM_NAME_LENGTH = 214;

export interface NpmNameOptions {
  /** accept the upper-case names npm allowed before 2017 (existing packages); default false */
  legacy?: boolean;
}

export function isValidNpmPackageName(name: unknown, opts: NpmNameOptions = {}): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NPM_NAME_LENGTH) return false;
  const part = opts.legacy === true ? LEGACY_PART : LOWER_PART;
  if (!name.startsWith('@')) return !name.includes('/') && part.test(name);
  const slash = name.indexOf('/');
  if (slash < 2 || slash !== name.lastIndexOf('/')) return false;
  return part.test(name.slice(1, slash)) && part.test(name.slice(slash + 1));
}

/** `@babel/core` -> `core`; `lodash` -> `lodash` */
export function unscopedNpmName(name: string): string {
  const slash = name.indexOf('/');
  return slash === -1 ? name : name.slice(slash + 1);
}

/**
 * The TUF target path of a package version: its tarball's path on the registry.
 * `lodash`,`4.17.21` -> `lodash/-/lodash-4.17.21.tgz`; `@babel/core`,`7.24.0` -> `@babel/core/-/core-7.24.0.tgz`.
 * Callers validate name and version first.
 */
export function npmTarballTargetPath(name: string, version: string): string {
  return `${name}/-/${unscopedNpmName(name)}-${version}.tgz`;
}
