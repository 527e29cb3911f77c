import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '@tufpm/client';
import { VerifyError } from './errors.js';
import { isValidPackageName, isValidVersion } from './target-path.js';

/**
 * tufpm-lock.json: the side lockfile committed beside yarn.lock / package-lock.json. It ties the
 * project's package pins to a signed repository state (DESIGN.md section 7). A pull request can edit it,
 * so it is parsed strictly and nothing in it can make an unsigned package acceptable: signed hashes and
 * checksums in it can only refuse. Its floors (versions, keyids) are only as good as the review of its
 * diffs, like yarn.lock: a change that lowers a version or replaces keyids weakens the rollback floor.
 */
export const LOCKFILE_VERSION = 1;
export const DEFAULT_LOCKFILE_NAME = 'tufpm-lock.json';
const MAX_LOCKFILE_BYTES = 64 * 1024 * 1024;

export interface PinnedPackage {
  targetPath: string;
  role: string;
  roleVersion: number;
  length: number;
  sha512: string;
  yarnChecksum?: string;
  maintainerSigned: boolean;
}

/** A package's own delegated role as the top-level targets listed it when the floors were recorded. */
export interface RecordedClaim {
  keyids: string[];
  threshold: number;
}

/** At most this many claims are recorded (the project's own dependencies, not the whole registry). */
export const MAX_RECORDED_CLAIMS = 100_000;

export interface SideLockfile {
  lockfileVersion: typeof LOCKFILE_VERSION;
  registry: string;
  root: { version: number; sha256: string };
  /** keyids: the role's keys in the root at pin time; a rotation away from them resets the floor (TUF 5.3.11) */
  timestamp: { version: number; keyids: string[] };
  snapshot: { version: number; keyids: string[] };
  targets: { version: number; keyids: string[] };
  packages: Map<string, PinnedPackage>;
  /**
   * `tufpm-npm init` / `yarn tuf init`: the packages of the project that had their own delegated role (a
   * claim) in the targets version of the floor. A claimed package later served from an unclaimed bin is
   * refused (TUF_CLAIM_DROPPED), also on the first install, before any package is pinned. Absent in
   * lockfiles written by installs alone.
   */
  claims?: Map<string, RecordedClaim>;
}

function fail(path: string, what: string): never {
  throw new VerifyError('TUF_LOCKFILE', `${path}: ${what}`, {
    attack: 'malformed or edited side lockfile',
    recovery: `restore ${DEFAULT_LOCKFILE_NAME} from version control; never edit it by hand`,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positiveInt(path: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) fail(path, `${field} must be an integer >= 1`);
  return value;
}

function hex(path: string, field: string, value: unknown, length: number): string {
  if (typeof value !== 'string' || value.length !== length || !/^[0-9a-f]+$/.test(value)) {
    fail(path, `${field} must be ${length} lower-case hex characters`);
  }
  return value;
}

function keyids(path: string, field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > 64) fail(path, `${field} must be a list of 1 to 64 keyids`);
  return value.map((id, i) => hex(path, `${field}[${i}]`, id, 64));
}

function onlyKeys(path: string, where: string, obj: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) fail(path, `unknown field ${where}.${key}`);
}

export function parseLockfile(text: string, path: string): SideLockfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) fail(path, `not JSON (${error.message})`);
    throw error;
  }
  if (!isObject(raw)) fail(path, 'top level must be an object');
  onlyKeys(path, '', raw, ['lockfileVersion', 'registry', 'root', 'timestamp', 'snapshot', 'targets', 'packages', 'claims']);
  if (raw.lockfileVersion !== LOCKFILE_VERSION) fail(path, `unsupported lockfileVersion ${String(raw.lockfileVersion)}`);
  if (typeof raw.registry !== 'string' || raw.registry.length > 2048) fail(path, 'registry must be a URL string');
  const { root, timestamp, snapshot, targets, packages } = raw;
  if (!isObject(root) || !isObject(timestamp) || !isObject(snapshot) || !isObject(targets) || !isObject(packages)) {
    fail(path, 'root, timestamp, snapshot, targets and packages must be objects');
  }
  onlyKeys(path, 'root', root, ['version', 'sha256']);
  onlyKeys(path, 'timestamp', timestamp, ['version', 'keyids']);
  onlyKeys(path, 'snapshot', snapshot, ['version', 'keyids']);
  onlyKeys(path, 'targets', targets, ['version', 'keyids']);
  const pins = new Map<string, PinnedPackage>();
  for (const [key, value] of Object.entries(packages)) {
    const at = key.lastIndexOf('@');
    if (at <= 0 || !isValidPackageName(key.slice(0, at)) || !isValidVersion(key.slice(at + 1))) {
      fail(path, `bad package key ${JSON.stringify(key.slice(0, 300))}`);
    }
    if (!isObject(value)) fail(path, `packages[${key}] must be an object`);
    onlyKeys(path, `packages[${key}]`, value, ['targetPath', 'role', 'roleVersion', 'length', 'sha512', 'yarnChecksum', 'maintainerSigned']);
    if (typeof value.targetPath !== 'string' || typeof value.role !== 'string' || value.role.length > 300) {
      fail(path, `packages[${key}] needs targetPath and role strings`);
    }
    if (typeof value.length !== 'number' || !Number.isSafeInteger(value.length) || value.length < 0) {
      fail(path, `packages[${key}].length must be a non-negative integer`);
    }
    if (value.yarnChecksum !== undefined && (typeof value.yarnChecksum !== 'string' || value.yarnChecksum.length > 300)) {
      fail(path, `packages[${key}].yarnChecksum must be a string`);
    }
    if (typeof value.maintainerSigned !== 'boolean') fail(path, `packages[${key}].maintainerSigned must be a boolean`);
    pins.set(key, {
      targetPath: value.targetPath,
      role: value.role,
      roleVersion: positiveInt(path, `packages[${key}].roleVersion`, value.roleVersion),
      length: value.length,
      sha512: hex(path, `packages[${key}].sha512`, value.sha512, 128),
      ...(value.yarnChecksum === undefined ? {} : { yarnChecksum: value.yarnChecksum }),
      maintainerSigned: value.maintainerSigned,
    });
  }
  const claims = raw.claims === undefined ? undefined : parseClaims(path, raw.claims);
  return {
    lockfileVersion: LOCKFILE_VERSION,
    registry: raw.registry,
    root: { version: positiveInt(path, 'root.version', root.version), sha256: hex(path, 'root.sha256', root.sha256, 64) },
    timestamp: { version: positiveInt(path, 'timestamp.version', timestamp.version), keyids: keyids(path, 'timestamp.keyids', timestamp.keyids) },
    snapshot: { version: positiveInt(path, 'snapshot.version', snapshot.version), keyids: keyids(path, 'snapshot.keyids', snapshot.keyids) },
    targets: { version: positiveInt(path, 'targets.version', targets.version), keyids: keyids(path, 'targets.keyids', targets.keyids) },
    packages: pins,
    ...(claims === undefined ? {} : { claims }),
  };
}

function parseClaims(path: string, value: unknown): Map<string, RecordedClaim> {
  if (!isObject(value)) fail(path, 'claims must be an object');
  const entries = Object.entries(value);
  if (entries.length > MAX_RECORDED_CLAIMS) fail(path, `more than ${MAX_RECORDED_CLAIMS} claims`);
  const claims = new Map<string, RecordedClaim>();
  for (const [name, claim] of entries) {
    if (!isValidPackageName(name)) fail(path, `bad claimed package name ${JSON.stringify(name.slice(0, 300))}`);
    if (!isObject(claim)) fail(path, `claims[${name}] must be an object`);
    onlyKeys(path, `claims[${name}]`, claim, ['keyids', 'threshold']);
    const ids = keyids(path, `claims[${name}].keyids`, claim.keyids);
    const threshold = positiveInt(path, `claims[${name}].threshold`, claim.threshold);
    if (threshold > ids.length) fail(path, `claims[${name}].threshold is above its number of keyids`);
    claims.set(name, { keyids: ids, threshold });
  }
  return claims;
}

/** Reads the side lockfile, or returns undefined when the project has none yet. */
export async function readLockfile(path: string): Promise<SideLockfile | undefined> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (size > MAX_LOCKFILE_BYTES) fail(path, `larger than ${MAX_LOCKFILE_BYTES} bytes`);
  return parseLockfile(await readFile(path, 'utf8'), path);
}

function sortedObject<T>(entries: Iterable<[string, T]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[key] = value;
  return out;
}

export function serializeLockfile(lock: SideLockfile): string {
  const packages = sortedObject(
    [...lock.packages].map(([key, pin]) => {
      const ordered: Record<string, unknown> = {
        targetPath: pin.targetPath,
        role: pin.role,
        roleVersion: pin.roleVersion,
        maintainerSigned: pin.maintainerSigned,
        length: pin.length,
        sha512: pin.sha512,
      };
      if (pin.yarnChecksum !== undefined) ordered.yarnChecksum = pin.yarnChecksum;
      return [key, ordered];
    }),
  );
  const body = {
    lockfileVersion: lock.lockfileVersion,
    registry: lock.registry,
    root: { version: lock.root.version, sha256: lock.root.sha256 },
    timestamp: { version: lock.timestamp.version, keyids: [...lock.timestamp.keyids].sort() },
    snapshot: { version: lock.snapshot.version, keyids: [...lock.snapshot.keyids].sort() },
    targets: { version: lock.targets.version, keyids: [...lock.targets.keyids].sort() },
    packages,
    ...(lock.claims === undefined
      ? {}
      : { claims: sortedObject([...lock.claims].map(([name, c]) => [name, { keyids: [...c.keyids].sort(), threshold: c.threshold }])) }),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Writes the side lockfile atomically; an unchanged file is left alone (no mtime change, no VCS noise). */
export async function writeLockfile(path: string, lock: SideLockfile): Promise<void> {
  const bytes = Buffer.from(serializeLockfile(lock), 'utf8');
  try {
    // bytes, not decoded text: a file with invalid UTF-8 must not pass for an equal one
    if ((await stat(path)).size === bytes.length && (await readFile(path)).equals(bytes)) return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await writeFileAtomic(path, bytes);
}
