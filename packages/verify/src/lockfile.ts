import { PRIVATE_FILE_MODE, writeFileAtomic } from '@tufpm/client';
import { readBoundedFile } from '@tufpm/merkle';
import { VerifyError } from './errors.js';
import { isValidPackageName, isValidVersion } from './target-path.js';

/**
 * tufpm-lock.json: the side lockfile committed beside yarn.lock / package-lock.json. It ties the
 * project's package pins to a signed repository state (DESIGN.md section 7). A pull request can edit it,
 * so it is parsed strictly and nothing in it can make an unsigned package acceptable: signed hashes and
 * checksums in it can only refuse. Its floors (versions, keyids) are only as good as the review of its
 * diffs, like yarn.lock: a change that lowers a version or replaces keyids weakens the rollback floor.
 */
export const LOCKFILE_VERSION = 2;
/**
 * Format 1 (read, never written): `root.sha256` was the sha256 of the root's canonical signed part, and
 * no thresholds or package-role keys were recorded. The next install that writes the file moves it to
 * format 2, whose `root.sha256` is the sha256 of the root file's bytes (what operators publish and
 * `init --root-sha256` checks). ADR 0016.
 */
export const LEGACY_LOCKFILE_VERSION = 1;
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

/** The keys a role's signatures are checked against and how many of them must sign. */
export interface RoleKeys {
  keyids: string[];
  threshold: number;
}

/** A package's own delegated role as the top-level targets listed it when the floors were recorded. */
export type RecordedClaim = RoleKeys;

/**
 * ADR 0026: a package an install accepted registry-signed after it was known maintainer-signed, because the
 * trusted top-level targets (this version) carried an unclaim record for it. A note for review (tufpm-diff
 * shows UNCLAIMED instead of SIGNER_DOWNGRADE); installs decide from the signed targets, never from it.
 */
export interface UnclaimPin {
  targetsVersion: number;
}

/** At most this many claims are recorded (the project's own dependencies, not the whole registry). */
export const MAX_RECORDED_CLAIMS = 100_000;
/** At most this many package-role key entries (one per claimed role, one per hash-bin delegation). */
export const MAX_RECORDED_ROLES = 100_000;

/** A top-level role's floor: version, and (for review; rotations reset floors, TUF 5.3.11) its keys. */
export interface TopRolePin {
  version: number;
  keyids: string[];
  /** absent in format 1 */
  threshold?: number;
}

export interface RootPin {
  version: number;
  /**
   * Format 2: sha256 (hex) of the root file's bytes, the digest operators publish. Format 1: sha256 of the
   * canonical signed part (see rootDigestKind).
   */
  sha256: string;
  /** the root role's own keys and threshold (absent in format 1) */
  keyids?: string[];
  threshold?: number;
}

export interface MerklePin {
  /** 64 lower-case hex characters */
  root: string;
  size: number;
  /**
   * The project's tufpm-auditors.json when these pins were recorded (its keyids and threshold): auditors
   * were required. A later install refuses a project whose auditors file is gone or weaker (ADR 0022,
   * TUF_AUDITORS_REMOVED); dropping this field is a reviewed change that tufpm-diff flags.
   */
  auditors?: RoleKeys;
}

export interface SideLockfile {
  lockfileVersion: typeof LOCKFILE_VERSION | typeof LEGACY_LOCKFILE_VERSION;
  registry: string;
  root: RootPin;
  /** keyids: the role's keys in the root at pin time; a rotation away from them resets the floor (TUF 5.3.11) */
  timestamp: TopRolePin;
  snapshot: TopRolePin;
  targets: TopRolePin;
  /**
   * Merkle snapshot profile (format 2, ADR 0022): the tree root and size the timestamp signed for the epoch
   * `snapshot.version` pins. A later install refuses a smaller tree, and another root for the same epoch.
   */
  merkle?: MerklePin;
  packages: Map<string, PinnedPackage>;
  /**
   * Format 2: the keys and threshold of the roles that signed pinned packages, keyed by the delegation that
   * holds them: a claimed package's role name, or `<name_prefix>-*` for registry hash bins (TAP 15: every
   * bin shares one keyids/threshold). Informative, for review (`tufpm diff`): the verifier checks each
   * signature against the delegation in the signed metadata, never against this map.
   */
  roles?: Map<string, RoleKeys>;
  /**
   * `tufpm-npm init` / `yarn tuf init`: the packages of the project that had their own delegated role (a
   * claim) in the targets version of the floor. A claimed package later served from an unclaimed bin is
   * refused (TUF_CLAIM_DROPPED), also on the first install, before any package is pinned. Absent in
   * lockfiles written by installs alone.
   */
  claims?: Map<string, RecordedClaim>;
  /** Format 2, ADR 0026: deliberate unclaims the install accepted, by package name (see UnclaimPin). */
  unclaims?: Map<string, UnclaimPin>;
}

/** What `root.sha256` of these pins is the sha256 of. */
export function rootDigestKind(lock: Pick<SideLockfile, 'lockfileVersion'>): 'file' | 'signed-part' {
  return lock.lockfileVersion === LEGACY_LOCKFILE_VERSION ? 'signed-part' : 'file';
}

/**
 * The entry of `roles` that holds the keys of `role`: its own name, else the hash-bin delegation
 * `<prefix>-*` it belongs to (`unclaimed-3a` -> `unclaimed-*`). Package names hold no `*`, so the two never
 * collide.
 */
export function roleKeysName(role: string, roles: ReadonlyMap<string, RoleKeys> | undefined): string | undefined {
  if (roles === undefined) return undefined;
  if (roles.has(role)) return role;
  const bin = /^(.+)-[0-9a-f]{1,8}$/.exec(role);
  if (bin !== null && roles.has(`${bin[1]}-*`)) return `${bin[1]}-*`;
  return undefined;
}

// String() of a nested array recurses through Array.prototype.join and blows the stack on deep nesting
// (a RangeError, not TUF_LOCKFILE: found by fuzzing, issue 19); only scalars are shown.
function shownFormat(format: unknown): string {
  return typeof format === 'object' && format !== null ? (Array.isArray(format) ? 'an array' : 'an object') : String(format).slice(0, 40);
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

function threshold(path: string, field: string, value: unknown, ids: string[]): number {
  const t = positiveInt(path, field, value);
  if (t > ids.length) fail(path, `${field} is above its number of keyids`);
  return t;
}

/** A top-level role's pin: version and keyids (both formats), threshold (format 2). */
function topRolePin(path: string, field: string, value: Record<string, unknown>, legacy: boolean): TopRolePin {
  onlyKeys(path, field, value, legacy ? ['version', 'keyids'] : ['version', 'keyids', 'threshold']);
  const ids = keyids(path, `${field}.keyids`, value.keyids);
  return {
    version: positiveInt(path, `${field}.version`, value.version),
    keyids: ids,
    ...(legacy ? {} : { threshold: threshold(path, `${field}.threshold`, value.threshold, ids) }),
  };
}

function rootPin(path: string, value: Record<string, unknown>, legacy: boolean): RootPin {
  onlyKeys(path, 'root', value, legacy ? ['version', 'sha256'] : ['version', 'sha256', 'keyids', 'threshold']);
  const pin: RootPin = { version: positiveInt(path, 'root.version', value.version), sha256: hex(path, 'root.sha256', value.sha256, 64) };
  if (legacy) return pin;
  const ids = keyids(path, 'root.keyids', value.keyids);
  return { ...pin, keyids: ids, threshold: threshold(path, 'root.threshold', value.threshold, ids) };
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
  const format = raw.lockfileVersion;
  if (format !== LOCKFILE_VERSION && format !== LEGACY_LOCKFILE_VERSION) fail(path, `unsupported lockfileVersion ${shownFormat(format)}`);
  const legacy = format === LEGACY_LOCKFILE_VERSION;
  const fields = ['lockfileVersion', 'registry', 'root', 'timestamp', 'snapshot', 'targets', 'packages', 'claims'];
  onlyKeys(path, '', raw, legacy ? fields : [...fields, 'roles', 'merkle', 'unclaims']);
  if (typeof raw.registry !== 'string' || raw.registry.length > 2048) fail(path, 'registry must be a URL string');
  const { root, timestamp, snapshot, targets, packages } = raw;
  if (!isObject(root) || !isObject(timestamp) || !isObject(snapshot) || !isObject(targets) || !isObject(packages)) {
    fail(path, 'root, timestamp, snapshot, targets and packages must be objects');
  }
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
  let merkle: MerklePin | undefined;
  if (raw.merkle !== undefined) {
    if (!isObject(raw.merkle)) fail(path, 'merkle must be an object');
    onlyKeys(path, 'merkle', raw.merkle, ['root', 'size', 'auditors']);
    const size = raw.merkle.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) fail(path, 'merkle.size must be a non-negative integer');
    merkle = { root: hex(path, 'merkle.root', raw.merkle.root, 64), size: size as number };
    const auditors = raw.merkle.auditors;
    if (auditors !== undefined) {
      if (!isObject(auditors)) fail(path, 'merkle.auditors must be an object');
      onlyKeys(path, 'merkle.auditors', auditors, ['keyids', 'threshold']);
      const ids = keyids(path, 'merkle.auditors.keyids', auditors.keyids);
      if (new Set(ids).size !== ids.length) fail(path, 'merkle.auditors.keyids lists a keyid twice');
      merkle.auditors = { keyids: ids, threshold: threshold(path, 'merkle.auditors.threshold', auditors.threshold, ids) };
    }
  }
  const claims = raw.claims === undefined ? undefined : parseRoleKeysMap(path, 'claims', raw.claims, MAX_RECORDED_CLAIMS, isValidPackageName);
  const unclaims = raw.unclaims === undefined ? undefined : parseUnclaims(path, raw.unclaims);
  if (!legacy && raw.roles === undefined) fail(path, 'roles must be an object');
  const roles = legacy ? undefined : parseRoleKeysMap(path, 'roles', raw.roles, MAX_RECORDED_ROLES, isRoleKeysName);
  return {
    lockfileVersion: legacy ? LEGACY_LOCKFILE_VERSION : LOCKFILE_VERSION,
    registry: raw.registry,
    root: rootPin(path, root, legacy),
    timestamp: topRolePin(path, 'timestamp', timestamp, legacy),
    snapshot: topRolePin(path, 'snapshot', snapshot, legacy),
    targets: topRolePin(path, 'targets', targets, legacy),
    ...(merkle === undefined ? {} : { merkle }),
    packages: pins,
    ...(roles === undefined ? {} : { roles }),
    ...(claims === undefined ? {} : { claims }),
    ...(unclaims === undefined ? {} : { unclaims }),
  };
}

function parseUnclaims(path: string, value: unknown): Map<string, UnclaimPin> {
  if (!isObject(value)) fail(path, 'unclaims must be an object');
  const entries = Object.entries(value);
  if (entries.length > MAX_RECORDED_CLAIMS) fail(path, `more than ${MAX_RECORDED_CLAIMS} unclaims`);
  const out = new Map<string, UnclaimPin>();
  for (const [name, entry] of entries) {
    if (!isValidPackageName(name)) fail(path, `bad unclaims name ${JSON.stringify(name.slice(0, 300))}`);
    if (!isObject(entry)) fail(path, `unclaims[${name}] must be an object`);
    onlyKeys(path, `unclaims[${name}]`, entry, ['targetsVersion']);
    out.set(name, { targetsVersion: positiveInt(path, `unclaims[${name}].targetsVersion`, entry.targetsVersion) });
  }
  return out;
}

/** A `roles` entry names a role (at most 300 printable characters, as a pin's `role`) or a bin delegation `<prefix>-*`. */
function isRoleKeysName(name: string): boolean {
  return name.length > 0 && name.length <= 300 && /^[\x21-\x7e]+$/.test(name) && (!name.includes('*') || /^[^*]+-\*$/.test(name));
}

function parseRoleKeysMap(path: string, field: string, value: unknown, max: number, validName: (name: string) => boolean): Map<string, RoleKeys> {
  if (!isObject(value)) fail(path, `${field} must be an object`);
  const entries = Object.entries(value);
  if (entries.length > max) fail(path, `more than ${max} ${field}`);
  const out = new Map<string, RoleKeys>();
  for (const [name, entry] of entries) {
    if (!validName(name)) fail(path, `bad ${field} name ${JSON.stringify(name.slice(0, 300))}`);
    if (!isObject(entry)) fail(path, `${field}[${name}] must be an object`);
    onlyKeys(path, `${field}[${name}]`, entry, ['keyids', 'threshold']);
    const ids = keyids(path, `${field}[${name}].keyids`, entry.keyids);
    out.set(name, { keyids: ids, threshold: threshold(path, `${field}[${name}].threshold`, entry.threshold, ids) });
  }
  return out;
}

/** Reads the side lockfile, or returns undefined when the project has none yet. */
export async function readLockfile(path: string): Promise<SideLockfile | undefined> {
  const read = await readBoundedFile(path, MAX_LOCKFILE_BYTES);
  if (read.kind === 'missing') return undefined;
  if (read.kind === 'not-a-file') fail(path, 'not a regular file');
  if (read.kind === 'too-large') fail(path, `larger than ${MAX_LOCKFILE_BYTES} bytes`);
  return parseLockfile(new TextDecoder().decode(read.bytes), path);
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
  const keysMap = (map: ReadonlyMap<string, RoleKeys>): Record<string, RoleKeys> =>
    sortedObject([...map].map(([name, k]) => [name, { keyids: [...k.keyids].sort(), threshold: k.threshold }]));
  const top = (pin: TopRolePin): Record<string, unknown> => ({
    version: pin.version,
    keyids: [...pin.keyids].sort(),
    ...(pin.threshold === undefined ? {} : { threshold: pin.threshold }),
  });
  const root: Record<string, unknown> = { version: lock.root.version, sha256: lock.root.sha256 };
  if (lock.root.keyids !== undefined) root.keyids = [...lock.root.keyids].sort();
  if (lock.root.threshold !== undefined) root.threshold = lock.root.threshold;
  const body = {
    lockfileVersion: lock.lockfileVersion,
    registry: lock.registry,
    root,
    timestamp: top(lock.timestamp),
    snapshot: top(lock.snapshot),
    targets: top(lock.targets),
    ...(lock.merkle === undefined
      ? {}
      : {
          merkle: {
            root: lock.merkle.root,
            size: lock.merkle.size,
            ...(lock.merkle.auditors === undefined ? {} : { auditors: { keyids: [...lock.merkle.auditors.keyids].sort(), threshold: lock.merkle.auditors.threshold } }),
          },
        }),
    packages,
    ...(lock.lockfileVersion === LEGACY_LOCKFILE_VERSION ? {} : { roles: keysMap(lock.roles ?? new Map()) }),
    ...(lock.claims === undefined ? {} : { claims: keysMap(lock.claims) }),
    ...(lock.unclaims === undefined || lock.unclaims.size === 0 ? {} : { unclaims: sortedObject([...lock.unclaims].map(([name, u]) => [name, { targetsVersion: u.targetsVersion }])) }),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Writes the side lockfile atomically; an unchanged file is left alone (no mtime change, no VCS noise). */
export async function writeLockfile(path: string, lock: SideLockfile): Promise<void> {
  const bytes = Buffer.from(serializeLockfile(lock), 'utf8');
  // bytes, not decoded text: a file with invalid UTF-8 must not pass for an equal one; a longer file is not read
  const old = await readBoundedFile(path, bytes.length);
  if (old.kind === 'file' && bytes.equals(old.bytes)) return;
  await writeFileAtomic(path, bytes, { mode: PRIVATE_FILE_MODE });
}
