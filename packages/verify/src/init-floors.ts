import { join } from 'node:path';
import { readBoundedFile } from '@tufpm/merkle';
import type { RecordedClaim } from './lockfile.js';
import type { VerifierOptions } from './types.js';
import { InstallVerifier } from './verifier.js';

// `tufpm-npm init` / `yarn tuf init`: a project's trust starts here, not at its first install. Without a
// tufpm-lock.json the first install accepts whatever unexpired state a registry holding the online keys
// serves (for example a snapshot listing a top-level targets from before a package was claimed, which stays
// valid for its whole expiry). init verifies the current state once and writes its versions and the
// project's claims into tufpm-lock.json, so the first install faces the same floors as every later one.

export interface FloorsResult {
  lockfilePath: string;
  root: number;
  timestamp: number;
  snapshot: number;
  targets: number;
  /** the project's packages that have a delegated role of their own, as recorded */
  claims: Array<{ name: string } & RecordedClaim>;
  /** packages already pinned (kept as they were) */
  pinned: number;
}

/**
 * Refreshes the TUF metadata (refusing a state below the pins already there), records the floors and, of
 * `packageNames`, the claims the verified top-level targets lists, in the project's tufpm-lock.json. Pins of
 * packages already in it are kept. Nothing else in the project is touched.
 */
export async function recordProjectFloors(options: VerifierOptions & { packageNames: readonly string[] }): Promise<FloorsResult> {
  const { packageNames, ...verifierOptions } = options;
  const verifier = await InstallVerifier.open(verifierOptions);
  try {
    const claims = await verifier.recordClaims(packageNames);
    await verifier.commit();
    const summary = verifier.summary();
    return {
      lockfilePath: verifier.lockfilePath,
      root: summary.root.version,
      timestamp: summary.timestamp.version,
      snapshot: summary.snapshot.version,
      targets: summary.targets.version,
      claims: [...claims].map(([name, claim]) => ({ name, ...claim })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      pinned: summary.pinned?.packages ?? 0,
    };
  } finally {
    await verifier.close();
  }
}

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

// The project's package.json / lockfile (a pull request writes them): bounded before they are read; absent,
// too large, not a regular file or not JSON, they name no floors (npm itself reports a broken manifest).
async function readJson(path: string): Promise<unknown> {
  const read = await readBoundedFile(path, MAX_MANIFEST_BYTES);
  if (read.kind !== 'file') return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(read.bytes));
  } catch (error) {
    if (error instanceof SyntaxError) return undefined; // npm itself reports a broken manifest
    throw error;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Dependency names a package.json declares (every kind), and the `npm:` alias targets they name. */
export function manifestDependencyNames(manifest: unknown): string[] {
  const names: string[] = [];
  if (!isObject(manifest)) return names;
  for (const field of DEPENDENCY_FIELDS) {
    const deps = manifest[field];
    if (!isObject(deps)) continue;
    for (const [name, range] of Object.entries(deps)) {
      names.push(name);
      if (typeof range === 'string' && range.startsWith('npm:')) {
        const spec = range.slice(4);
        const at = spec.lastIndexOf('@');
        names.push(at > 0 ? spec.slice(0, at) : spec);
      }
    }
  }
  return names;
}

/**
 * The package names an npm project is known to use before its first install: package.json's dependencies
 * and, when there is one, every package of package-lock.json / npm-shrinkwrap.json.
 */
export async function npmProjectPackageNames(projectDir: string): Promise<string[]> {
  const names = manifestDependencyNames(await readJson(join(projectDir, 'package.json')));
  for (const file of ['npm-shrinkwrap.json', 'package-lock.json']) {
    const lock = await readJson(join(projectDir, file));
    if (!isObject(lock) || !isObject(lock.packages)) continue;
    for (const [location, entry] of Object.entries(lock.packages)) {
      const at = location.lastIndexOf('node_modules/');
      if (at < 0) continue;
      names.push(isObject(entry) && typeof entry.name === 'string' ? entry.name : location.slice(at + 'node_modules/'.length));
    }
    break;
  }
  return [...new Set(names)];
}
