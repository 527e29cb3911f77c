import { VerifyError } from '@tufpm/verify';

/**
 * One package of a project lockfile (package-lock.json or yarn.lock) as the standalone verifier sees it,
 * read without npm or Yarn. Only `registry` entries are looked up in TUF; the project's own workspaces and
 * packages bundled inside another package's (signed) tarball need no lookup of their own; git, file and
 * remote sources are signed by nobody and refused.
 */
export type EntryKind = 'registry' | 'workspace' | 'bundled' | 'git' | 'file' | 'remote';

export interface LockEntry {
  kind: EntryKind;
  /** the package name the entry installs (the alias target for `npm:` aliases) */
  name: string;
  version: string;
  /** where it sits: `node_modules/a/node_modules/b` (npm) or the yarn.lock resolution */
  location: string;
  /** npm: `resolved`; Yarn: the resolution's reference */
  source?: string;
  /** npm: `integrity` (SRI) */
  integrity?: string;
  /** Yarn: the archive checksum (`10c0/<hex>`) */
  checksum?: string;
  /** Yarn `patch:` over a registry package: the package is looked up, the patched archive binds to nothing */
  patched?: boolean;
  /** npm: the entry itself (dependencies and manifest fields npm installs from) */
  fields?: Record<string, unknown>;
}

/** A lockfile that is not one: parse errors, wrong shapes, sizes beyond any real project. */
export function malformedLock(path: string, what: string): VerifyError {
  return new VerifyError('TUF_LOCK_MALFORMED', `${path}: ${what}`, {
    attack: 'malformed or edited lockfile',
    recovery: 'restore the lockfile from version control, or regenerate it with a verified install (tufpm-npm install, yarn install with the tuf plugin)',
  });
}

/** Lockfiles larger than this are refused before parsing (npm's and Yarn's for ~10^5 packages stay below). */
export const MAX_LOCK_BYTES = 128 * 1024 * 1024;
/** At most this many entries (npm has ~3.6M packages; no project installs a tenth of them). */
export const MAX_LOCK_ENTRIES = 500_000;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
