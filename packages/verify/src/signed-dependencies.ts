import { VerifyError } from './errors.js';

/** The dependency declarations a package version's signers put in its target's `custom.npm`. */
export interface SignedDependencies {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** The dependency maps an installer resolved for a package version (packument, lockfile, Yarn). */
export interface DeclaredDependencies {
  dependencies?: unknown;
  optionalDependencies?: unknown;
  peerDependencies?: unknown;
}

const FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;
// The same bounds the repository signs under (@tufpm/repo signed-dependencies.ts).
const MAX_ENTRIES = 4096;
const MAX_NAME_CHARS = 214;
const MAX_RANGE_CHARS = 2048;
/** How many differences one error names (the rest are counted). */
const MAX_LISTED = 10;

export type ParsedSignedDependencies = { kind: 'absent' } | { kind: 'signed'; value: SignedDependencies } | { kind: 'malformed'; reason: string };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads `custom.npm` of a signed target strictly. Absent: the target was signed by a repository that did
 * not record dependencies yet. Malformed is kept apart (not thrown) so that only an install that compares
 * dependencies fails on it.
 */
export function parseSignedDependencies(custom: unknown): ParsedSignedDependencies {
  if (custom === undefined || !isPlainObject(custom) || !Object.prototype.hasOwnProperty.call(custom, 'npm')) return { kind: 'absent' };
  const npm = custom['npm'];
  if (!isPlainObject(npm)) return { kind: 'malformed', reason: 'custom.npm is not an object' };
  const value: SignedDependencies = {};
  for (const field of FIELDS) {
    if (!Object.prototype.hasOwnProperty.call(npm, field)) continue;
    const map = npm[field];
    if (!isPlainObject(map)) return { kind: 'malformed', reason: `custom.npm.${field} is not an object` };
    const entries = Object.entries(map);
    if (entries.length > MAX_ENTRIES) return { kind: 'malformed', reason: `custom.npm.${field} lists more than ${MAX_ENTRIES} packages` };
    for (const [name, range] of entries) {
      if (name.length === 0 || name.length > MAX_NAME_CHARS || typeof range !== 'string' || range.length > MAX_RANGE_CHARS) {
        return { kind: 'malformed', reason: `custom.npm.${field} has an invalid entry` };
      }
    }
    value[field] = Object.fromEntries(entries as Array<[string, string]>);
  }
  return { kind: 'signed', value };
}

function entriesOf(map: unknown): Array<[string, unknown]> {
  if (map === undefined || map === null) return [];
  // A map of another shape cannot match anything signed: each of its entries is reported.
  if (!isPlainObject(map)) return [['(not an object)', String(map).slice(0, 80)]];
  return Object.entries(map);
}

function signedRanges(...maps: Array<Record<string, string> | undefined>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const map of maps) {
    for (const [name, range] of Object.entries(map ?? {})) out.set(name, (out.get(name) ?? new Set()).add(range));
  }
  return out;
}

/**
 * Every dependency the installer resolved must be one the signed package.json declares, with the same
 * range: `dependencies` and `optionalDependencies` against the union of the signed ones (npm lists an
 * optional dependency in both maps), `peerDependencies` against the signed peers. A signed dependency
 * that the installer does not see is no attack (nothing extra gets installed) and is not reported.
 */
export function extraneousDependencies(signed: SignedDependencies, declared: DeclaredDependencies): string[] {
  const problems: string[] = [];
  const compare = (fields: Array<'dependencies' | 'optionalDependencies' | 'peerDependencies'>, allowed: Map<string, Set<string>>): void => {
    for (const field of fields) {
      for (const [name, range] of entriesOf(declared[field])) {
        const ranges = allowed.get(name);
        const shown = typeof range === 'string' ? range.slice(0, 100) : JSON.stringify(range)?.slice(0, 100);
        if (ranges === undefined) problems.push(`${field} ${name}@${shown} is not declared by the signed package`);
        else if (typeof range !== 'string' || !ranges.has(range)) problems.push(`${field} ${name}@${shown} differs from the signed range ${[...ranges].join(' / ').slice(0, 100)}`);
      }
    }
  };
  compare(['dependencies', 'optionalDependencies'], signedRanges(signed.dependencies, signed.optionalDependencies));
  compare(['peerDependencies'], signedRanges(signed.peerDependencies));
  return problems;
}

export function extraneousDependencyError(name: string, version: string, role: string, problems: string[]): VerifyError {
  const listed = problems.slice(0, MAX_LISTED).join('; ');
  const more = problems.length > MAX_LISTED ? `; and ${problems.length - MAX_LISTED} more` : '';
  return new VerifyError('TUF_EXTRANEOUS_DEPENDENCY', `${name}@${version}: the resolved manifest differs from the dependencies signed by role ${role}: ${listed}${more}`, {
    packageName: name,
    version,
    role,
    attack: 'extraneous dependencies (a dependency the signed package does not declare)',
    recovery: 'nothing was installed; the registry, a mirror or an edited lockfile changed this version\'s dependencies: restore the lockfile from version control, retry against the real registry, and report it',
  });
}
