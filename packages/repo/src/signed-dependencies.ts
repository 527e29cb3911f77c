import { TarballError } from './errors.js';

/**
 * The dependency declarations of a tarball's own package.json, signed into its TUF target as
 * `custom.npm`. Installers compare the manifest they resolve from (packument, package-lock.json,
 * yarn.lock) with these, which stops a registry or a lockfile edit from adding dependencies that the
 * signed package does not declare (TUF "extraneous dependencies").
 */
export interface SignedDependencies {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export const SIGNED_DEPENDENCY_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;

/** Bounds: every signed version carries these maps in its role's metadata, which every client downloads. */
export const MAX_DEPENDENCIES_PER_MAP = 4096;
export const MAX_DEPENDENCY_NAME_CHARS = 214;
export const MAX_DEPENDENCY_RANGE_CHARS = 2048;

/**
 * Reads the maps that are present. A map that is not an object of strings, or exceeds the bounds, refuses
 * the tarball: signing a cleaned-up version would make installers flag the real declarations.
 */
export function signedDependenciesOf(manifest: Record<string, unknown>): SignedDependencies {
  const out: SignedDependencies = {};
  for (const field of SIGNED_DEPENDENCY_FIELDS) {
    if (!Object.prototype.hasOwnProperty.call(manifest, field)) continue;
    const map = manifest[field];
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new TarballError(`package.json ${field} is not an object`);
    const entries = Object.entries(map as Record<string, unknown>);
    if (entries.length > MAX_DEPENDENCIES_PER_MAP) throw new TarballError(`package.json ${field} lists ${entries.length} packages, more than ${MAX_DEPENDENCIES_PER_MAP}`);
    for (const [name, range] of entries) {
      if (name.length === 0 || name.length > MAX_DEPENDENCY_NAME_CHARS) throw new TarballError(`package.json ${field} has a name of ${name.length} characters`);
      if (typeof range !== 'string') throw new TarballError(`package.json ${field}.${name} is not a string`);
      if (range.length > MAX_DEPENDENCY_RANGE_CHARS) throw new TarballError(`package.json ${field}.${name} is longer than ${MAX_DEPENDENCY_RANGE_CHARS} characters`);
    }
    // Object.fromEntries defines `__proto__` as a plain own key, as JSON.parse did.
    out[field] = Object.fromEntries(entries as Array<[string, string]>);
  }
  return out;
}
