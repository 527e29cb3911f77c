import { isValidNpmPackageName, npmTarballTargetPath } from '@tufpm/models';
import { VerifyError } from './errors.js';

// A version as it appears in a tarball file name: semver, possibly with prerelease/build parts.
const VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Installers accept every name npm ever allowed, upper-case legacy names included (they exist). */
export function isValidPackageName(name: string): boolean {
  return isValidNpmPackageName(name, { legacy: true });
}

export function isValidVersion(version: string): boolean {
  return version.length <= 256 && VERSION.test(version);
}

/** The key of a package version in the pins and the verifier's session maps: `name@version`. */
export function pkgKey(name: string, version: string): string {
  return `${name}@${version}`;
}

/**
 * The TUF target path of a package version: the tarball's path on the registry.
 * 'lodash','4.17.21' -> 'lodash/-/lodash-4.17.21.tgz'; '@babel/core','7.24.0' -> '@babel/core/-/core-7.24.0.tgz'.
 */
export function targetPathFor(name: string, version: string): string {
  if (!isValidPackageName(name)) {
    throw new VerifyError('TUF_BAD_TARBALL_URL', `invalid package name ${JSON.stringify(name)}`, {
      packageName: name,
      attack: 'malformed package name',
      recovery: 'check the dependency name in package.json',
    });
  }
  if (!isValidVersion(version)) {
    throw new VerifyError('TUF_BAD_TARBALL_URL', `invalid version ${JSON.stringify(version)} for ${name}`, {
      packageName: name,
      version,
      attack: 'malformed package version',
      recovery: 'check the version in the lockfile',
    });
  }
  return npmTarballTargetPath(name, version);
}

/**
 * Parses a tarball URL of `registryUrl` back into name, version and target path. Returns null when the URL
 * is not a canonical tarball URL under that registry (the caller decides whether that is allowed).
 */
export function parseTarballUrl(
  url: string,
  registryUrl: string,
): { name: string; version: string; targetPath: string } | null {
  let parsed: URL;
  let base: URL;
  try {
    parsed = new URL(url);
    base = new URL(registryUrl.endsWith('/') ? registryUrl : `${registryUrl}/`);
  } catch (error) {
    if (error instanceof TypeError) return null;
    throw error;
  }
  if (parsed.origin !== base.origin || !parsed.pathname.startsWith(base.pathname)) return null;
  if (parsed.search !== '' || parsed.hash !== '') return null;
  // npm clients encode the scope separator as %2f in some URLs; undo only that.
  const rest = parsed.pathname.slice(base.pathname.length).replace(/%2f/gi, '/');
  const match = /^((?:@[^/]+\/)?[^/]+)\/-\/([^/]+)\.tgz$/.exec(rest);
  if (!match) return null;
  const name = match[1]!;
  const file = match[2]!;
  const baseName = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  if (!file.startsWith(`${baseName}-`)) return null;
  const version = file.slice(baseName.length + 1);
  if (!isValidPackageName(name) || !isValidVersion(version)) return null;
  return { name, version, targetPath: `${name}/-/${file}.tgz` };
}
