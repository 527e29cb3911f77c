import semver from 'semver';
import type { LockfileDiff } from './lockfile-diff.js';
import { compareAuditors, type AuditorsChange } from './auditors-diff.js';
import { rootDigestKind, roleKeysName, type PinnedPackage, type RoleKeys, type SideLockfile } from '@tufpm/verify';

// What a reviewer needs to see in a change of tufpm-lock.json (ADR 0016): packages added, removed,
// upgraded or downgraded; who signs them (maintainers or the registry); the keys and threshold of their
// roles; the repository state the floors name. Pure: two parsed lockfiles in, a summary out. Role versions
// that moved only because the registry re-signed a hash bin (another package landed in it) are counted,
// not listed: they are most of a raw diff and say nothing about this project.

export type Signer = 'maintainer' | 'registry';

export interface PackageChange {
  name: string;
  /** absent for an added package */
  from?: string;
  /** absent for a removed package */
  to?: string;
  fromSigner?: Signer;
  toSigner?: Signer;
}

export interface SignerChange {
  name: string;
  from: Signer | 'mixed';
  to: Signer | 'mixed';
  /**
   * ADR 0026: the head pins note that the install accepted this change because the signed top-level targets
   * (this version) recorded the name as unclaimed on purpose: shown as UNCLAIMED, not SIGNER_DOWNGRADE.
   */
  unclaimed?: { targetsVersion: number };
}

export interface KeysChange {
  /** the `roles` / `claims` entry: a package's role, or `<prefix>-*` for the registry's hash bins */
  role: string;
  /** pinned packages (head, else base) that this role signs */
  packages: string[];
  from: RoleKeys | null;
  to: RoleKeys | null;
  addedKeyids: string[];
  removedKeyids: string[];
}

export interface StateChange {
  role: 'root' | 'timestamp' | 'snapshot' | 'targets';
  from: { version: number; sha256?: string; keyids: string[]; threshold?: number };
  to: { version: number; sha256?: string; keyids: string[]; threshold?: number };
  versionMoved: 'up' | 'down' | 'same';
  keysChanged: boolean;
  thresholdChanged: boolean;
  /** root only: a format-1 pin (sha256 of the signed part) next to a format-2 one: not comparable */
  sha256Comparable?: boolean;
}

export interface Warning {
  code:
    | 'LOCKFILE_DELETED'
    | 'DOWNGRADE'
    | 'SIGNER_DOWNGRADE'
    | 'SAME_VERSION_NEW_HASH'
    | 'KEYS_REPLACED'
    | 'THRESHOLD_LOWERED'
    | 'STATE_LOWERED'
    | 'ROLE_VERSION_LOWERED'
    | 'CLAIM_REMOVED'
    | 'UNCLAIMED'
    | 'ROOT_REPLACED'
    | 'REGISTRY_CHANGED'
    | 'LOCKFILE_NOT_PINNED'
    | 'MERKLE_TREE_LOWERED'
    | 'MERKLE_TREE_REPLACED'
    | 'AUDITORS_REMOVED'
    | 'AUDITORS_THRESHOLD_LOWERED'
    | 'AUDITORS_KEYS_REPLACED';
  message: string;
}

export interface PinsDiff {
  base: { present: boolean; lockfileVersion?: number; registry?: string };
  head: { present: boolean; lockfileVersion?: number; registry?: string };
  added: PackageChange[];
  removed: PackageChange[];
  upgraded: PackageChange[];
  downgraded: PackageChange[];
  /** same name@version pinned with another tarball (npm versions are immutable) */
  rehashed: Array<{ package: string; from: string; to: string }>;
  signers: SignerChange[];
  roleKeys: KeysChange[];
  claims: { added: string[]; removed: string[] };
  state: StateChange[];
  /** left out of the summary: role versions moved with the same tarball (hash bins re-signed, maintainer
   *  roles re-signed for another release), Yarn checksums re-recorded, keys recorded for the first time */
  hidden: { binResigns: number; roleResigns: number; yarnChecksums: number; keysFirstRecorded: number };
  warnings: Warning[];
  /** Merkle snapshot profile (ADR 0022): the pinned tree root and size, when they moved */
  merkle?: { from: { root: string; size: number } | null; to: { root: string; size: number } | null };
  /** the auditor requirement (ADR 0022) when it changed: tufpm-auditors.json (git sides) and merkle.auditors of the pins */
  auditors?: AuditorsChange[];
  /** registry packages changed in package-lock.json / npm-shrinkwrap.json / yarn.lock (git sides only) */
  lockfiles?: LockfileDiff[];
}

type Lock = Pick<SideLockfile, 'lockfileVersion' | 'registry' | 'root' | 'timestamp' | 'snapshot' | 'targets' | 'packages' | 'roles' | 'claims' | 'merkle' | 'unclaims'>;

function splitKey(key: string): { name: string; version: string } {
  const at = key.lastIndexOf('@');
  return { name: key.slice(0, at), version: key.slice(at + 1) };
}

function byName(lock: Lock | undefined): Map<string, Map<string, PinnedPackage>> {
  const out = new Map<string, Map<string, PinnedPackage>>();
  for (const [key, pin] of lock?.packages ?? []) {
    const { name, version } = splitKey(key);
    let versions = out.get(name);
    if (versions === undefined) out.set(name, (versions = new Map()));
    versions.set(version, pin);
  }
  return out;
}

const signerOf = (pin: PinnedPackage): Signer => (pin.maintainerSigned ? 'maintainer' : 'registry');
export const compareVersions = (a: string, b: string): number => (semver.valid(a) && semver.valid(b) ? semver.compare(a, b) : a < b ? -1 : a > b ? 1 : 0);
const sortedBy = <T>(items: T[], key: (t: T) => string): T[] => items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

function packageSigner(versions: Map<string, PinnedPackage> | undefined): Signer | 'mixed' | undefined {
  if (versions === undefined || versions.size === 0) return undefined;
  const kinds = new Set([...versions.values()].map(signerOf));
  return kinds.size === 1 ? [...kinds][0]! : 'mixed';
}

/** Versions only in base paired with ones only in head, highest with highest; the rest added or removed. */
export function pairVersionLists(base: ReadonlySet<string>, head: ReadonlySet<string>): { pairs: Array<[string, string]>; added: string[]; removed: string[] } {
  const gone = [...base].filter((v) => !head.has(v)).sort(compareVersions).reverse();
  const fresh = [...head].filter((v) => !base.has(v)).sort(compareVersions).reverse();
  const n = Math.min(gone.length, fresh.length);
  return { pairs: gone.slice(0, n).map((from, i) => [from, fresh[i]!]), added: fresh.slice(n), removed: gone.slice(n) };
}

/** Versions of one package: pinned only in base paired with ones pinned only in head. */
function pairVersions(name: string, base: Map<string, PinnedPackage>, head: Map<string, PinnedPackage>, out: PinsDiff): void {
  const { pairs, added, removed } = pairVersionLists(new Set(base.keys()), new Set(head.keys()));
  for (const [from, to] of pairs) {
    const change = { name, from, to, fromSigner: signerOf(base.get(from)!), toSigner: signerOf(head.get(to)!) };
    if (compareVersions(to, from) >= 0) out.upgraded.push(change);
    else {
      out.downgraded.push(change);
      out.warnings.push({ code: 'DOWNGRADE', message: `${name} goes down from ${from} to ${to}: a downgrade can bring back a fixed vulnerability` });
    }
  }
  for (const to of added) out.added.push({ name, to, toSigner: signerOf(head.get(to)!) });
  for (const from of removed) out.removed.push({ name, from, fromSigner: signerOf(base.get(from)!) });
}

/** Same name@version in both: the tarball must not change; a role version going down lowers a floor. */
function compareSamePins(key: string, b: PinnedPackage, h: PinnedPackage, out: PinsDiff): void {
  if (b.sha512 !== h.sha512 || b.length !== h.length) {
    out.rehashed.push({ package: key, from: b.sha512.slice(0, 16), to: h.sha512.slice(0, 16) });
    out.warnings.push({ code: 'SAME_VERSION_NEW_HASH', message: `${key} is pinned with another tarball (sha512 ${b.sha512.slice(0, 16)}… -> ${h.sha512.slice(0, 16)}…): npm versions are immutable` });
  }
  if (b.role === h.role && h.roleVersion < b.roleVersion) {
    out.warnings.push({ code: 'ROLE_VERSION_LOWERED', message: `${key}: role ${h.role} pinned at version ${h.roleVersion}, below ${b.roleVersion}: lowers that role's rollback floor` });
  } else if (b.role === h.role && h.roleVersion !== b.roleVersion) {
    if (h.maintainerSigned) out.hidden.roleResigns++;
    else out.hidden.binResigns++;
  }
  if (b.yarnChecksum !== undefined && h.yarnChecksum !== undefined && b.yarnChecksum !== h.yarnChecksum) out.hidden.yarnChecksums++;
}

function keysEqual(a: RoleKeys, b: RoleKeys): boolean {
  return a.threshold === b.threshold && a.keyids.length === b.keyids.length && a.keyids.every((id) => b.keyids.includes(id));
}

function compareKeys(role: string, from: RoleKeys, to: RoleKeys, packages: string[], out: PinsDiff): void {
  if (keysEqual(from, to)) return;
  const addedKeyids = to.keyids.filter((id) => !from.keyids.includes(id)).sort();
  const removedKeyids = from.keyids.filter((id) => !to.keyids.includes(id)).sort();
  out.roleKeys.push({ role, packages, from, to, addedKeyids, removedKeyids });
  if (to.threshold < from.threshold) {
    out.warnings.push({ code: 'THRESHOLD_LOWERED', message: `role ${role} needs ${to.threshold} signature(s) now, ${from.threshold} before` });
  }
  if (removedKeyids.length > 0 && removedKeyids.length === from.keyids.length) {
    out.warnings.push({ code: 'KEYS_REPLACED', message: `role ${role}: every key was replaced (check the rotation with its maintainers or the registry operator)` });
  }
}

/** Which pinned packages (head first, else base) a `roles` entry signs. */
function packagesOfRole(entry: string, locks: Array<Lock | undefined>): string[] {
  for (const lock of locks) {
    const names = new Set<string>();
    for (const [key, pin] of lock?.packages ?? []) if (roleKeysName(pin.role, lock?.roles) === entry) names.add(splitKey(key).name);
    if (names.size > 0) return [...names].sort();
  }
  return [];
}

function compareRoleKeys(base: Lock | undefined, head: Lock | undefined, out: PinsDiff): void {
  const from = base?.roles;
  const to = head?.roles;
  if (to === undefined) return;
  for (const [role, keys] of to) {
    const before = from?.get(role);
    if (before === undefined) {
      // a role new to the pins comes with a package that is listed as added; format 1 had no keys at all
      out.hidden.keysFirstRecorded++;
      continue;
    }
    compareKeys(role, before, keys, packagesOfRole(role, [head, base]), out);
  }
}

/**
 * The `unclaims` note is written by the install that checked the offline-signed record, but the file is
 * a pull request's to edit like every pin: a note added by hand would turn a signer downgrade into a
 * quiet line. So the change stays a warning, one per name, that says what to check; the install itself
 * accepts the registry-signed package only while the trusted top-level targets carries the record.
 */
function warnUnclaimed(name: string, targetsVersion: number, out: PinsDiff): void {
  if (out.warnings.some((w) => w.code === 'UNCLAIMED' && w.message.startsWith(`${name} `))) return;
  out.warnings.push({
    code: 'UNCLAIMED',
    message: `${name} was signed by its maintainers and is now signed by the registry; these pins say it was unclaimed on purpose (record in top-level targets v${targetsVersion}). tufpm-diff cannot check that record: make sure the registry's operator unclaimed it (tufpm-repo unclaim), since a hand-edited note would hide a downgrade from review`,
  });
}

function compareClaims(base: Lock | undefined, head: Lock | undefined, out: PinsDiff): void {
  const from = base?.claims ?? new Map<string, RoleKeys>();
  const to = head?.claims ?? new Map<string, RoleKeys>();
  for (const name of to.keys()) if (!from.has(name)) out.claims.added.push(name);
  for (const [name, keys] of from) {
    const now = to.get(name);
    if (now === undefined) {
      out.claims.removed.push(name);
      // ADR 0026: a deliberate unclaim the install accepted is listed under signers as UNCLAIMED
      const unclaim = head?.unclaims?.get(name);
      if (unclaim !== undefined) {
        warnUnclaimed(name, unclaim.targetsVersion, out);
        continue;
      }
      out.warnings.push({ code: 'CLAIM_REMOVED', message: `${name} is no longer recorded as claimed by its maintainers: installs would accept it registry-signed` });
    } else if (head?.roles?.has(name) !== true) {
      // the role's keys are compared once, through `roles`, when both sides recorded them there
      compareKeys(name, keys, now, [name], out);
    }
  }
  out.claims.added.sort();
  out.claims.removed.sort();
}

function compareState(base: Lock, head: Lock, out: PinsDiff): void {
  for (const role of ['root', 'timestamp', 'snapshot', 'targets'] as const) {
    const b = base[role];
    const h = head[role];
    const bKeys = b.keyids ?? [];
    const hKeys = h.keyids ?? [];
    // keys recorded on one side only (format 1 had no root keys) are not a change
    const keysChanged = bKeys.length > 0 && hKeys.length > 0 && !keysEqual({ keyids: bKeys, threshold: 0 }, { keyids: hKeys, threshold: 0 });
    const thresholdChanged = b.threshold !== undefined && h.threshold !== undefined && b.threshold !== h.threshold;
    const versionMoved = h.version > b.version ? 'up' : h.version < b.version ? 'down' : 'same';
    const comparable = role !== 'root' || rootDigestKind(base) === rootDigestKind(head);
    const shaChanged = role === 'root' && comparable && base.root.sha256 !== head.root.sha256;
    if (versionMoved === 'same' && !keysChanged && !thresholdChanged && !shaChanged) continue;
    const side = (pin: typeof b, lock: Lock) => ({
      version: pin.version,
      ...(role === 'root' && rootDigestKind(lock) === 'file' ? { sha256: lock.root.sha256 } : {}),
      keyids: [...(pin.keyids ?? [])].sort(),
      ...(pin.threshold === undefined ? {} : { threshold: pin.threshold }),
    });
    out.state.push({ role, from: side(b, base), to: side(h, head), versionMoved, keysChanged, thresholdChanged, ...(role === 'root' ? { sha256Comparable: comparable } : {}) });
    if (versionMoved === 'down') out.warnings.push({ code: 'STATE_LOWERED', message: `the ${role} floor goes down from version ${b.version} to ${h.version}: lowers the rollback protection` });
    if (versionMoved === 'same' && shaChanged) out.warnings.push({ code: 'ROOT_REPLACED', message: `root version ${h.version} is pinned with another sha256: a second root with the same version` });
    if (thresholdChanged && h.threshold! < b.threshold!) out.warnings.push({ code: 'THRESHOLD_LOWERED', message: `the ${role} role needs ${h.threshold} signature(s) now, ${b.threshold} before` });
  }
}

/** ADR 0022: the Merkle tree pin never shrinks, and one snapshot epoch has one tree. */
function compareMerkle(base: Lock, head: Lock, out: PinsDiff): void {
  const b = base.merkle;
  const h = head.merkle;
  if (b?.root === h?.root && b?.size === h?.size) return;
  out.merkle = { from: b ?? null, to: h ?? null };
  if (b === undefined || h === undefined) return;
  if (h.size < b.size) out.warnings.push({ code: 'MERKLE_TREE_LOWERED', message: `the pinned Merkle tree goes down from ${b.size} to ${h.size} leaves: lowers the rollback protection` });
  if (base.snapshot.version === head.snapshot.version && b.root !== h.root) {
    out.warnings.push({ code: 'MERKLE_TREE_REPLACED', message: `snapshot epoch ${head.snapshot.version} is pinned with another Merkle tree root (${h.root}, was ${b.root}): two trees for one epoch (split view)` });
  }
}

/** The reviewer's summary of a change from `base` to `head` (either absent: the file was added or deleted). */
export function diffPins(base: Lock | undefined, head: Lock | undefined): PinsDiff {
  const side = (lock: Lock | undefined) => (lock === undefined ? { present: false } : { present: true, lockfileVersion: lock.lockfileVersion, registry: lock.registry });
  const out: PinsDiff = {
    base: side(base),
    head: side(head),
    added: [], removed: [], upgraded: [], downgraded: [], rehashed: [], signers: [], roleKeys: [],
    claims: { added: [], removed: [] },
    state: [],
    hidden: { binResigns: 0, roleResigns: 0, yarnChecksums: 0, keysFirstRecorded: 0 },
    warnings: [],
  };
  if (base !== undefined && head === undefined) {
    out.warnings.push({ code: 'LOCKFILE_DELETED', message: 'tufpm-lock.json is deleted: the project loses its floors, claims and pins (the next install accepts any validly signed state)' });
  }
  if (base !== undefined && head !== undefined && base.registry !== head.registry) {
    out.warnings.push({ code: 'REGISTRY_CHANGED', message: `the pinned registry changes from ${base.registry} to ${head.registry}` });
  }
  const baseNames = byName(base);
  const headNames = byName(head);
  for (const name of [...new Set([...baseNames.keys(), ...headNames.keys()])].sort()) {
    const b = baseNames.get(name) ?? new Map<string, PinnedPackage>();
    const h = headNames.get(name) ?? new Map<string, PinnedPackage>();
    pairVersions(name, b, h, out);
    for (const [version, pin] of h) {
      const before = b.get(version);
      if (before !== undefined) compareSamePins(`${name}@${version}`, before, pin, out);
    }
    const from = packageSigner(b);
    const to = packageSigner(h);
    if (from !== undefined && to !== undefined && from !== to) {
      const unclaim = from !== 'registry' && to !== 'maintainer' ? head?.unclaims?.get(name) : undefined;
      out.signers.push({ name, from, to, ...(unclaim === undefined ? {} : { unclaimed: { targetsVersion: unclaim.targetsVersion } }) });
      if (from !== 'registry' && to !== 'maintainer') {
        if (unclaim === undefined) out.warnings.push({ code: 'SIGNER_DOWNGRADE', message: `${name} was signed by its maintainers and is now ${to === 'mixed' ? 'partly ' : ''}signed only by the registry` });
        else warnUnclaimed(name, unclaim.targetsVersion, out);
      }
    }
  }
  compareRoleKeys(base, head, out);
  compareClaims(base, head, out);
  if (base !== undefined && head !== undefined) compareState(base, head, out);
  if (base !== undefined && head !== undefined) compareMerkle(base, head, out);
  // a deleted lockfile already warns LOCKFILE_DELETED; otherwise a dropped merkle.auditors is its own warning
  if (head !== undefined) compareAuditors('pins', base?.merkle?.auditors, head.merkle?.auditors, out);
  sortedBy(out.roleKeys, (k) => k.role);
  return out;
}

/** True when the diff has anything for the summary (hidden counts alone are not a change to review). */
export function hasChanges(diff: PinsDiff): boolean {
  return (
    diff.base.present !== diff.head.present ||
    diff.added.length + diff.removed.length + diff.upgraded.length + diff.downgraded.length + diff.rehashed.length > 0 ||
    diff.signers.length + diff.roleKeys.length + diff.claims.added.length + diff.claims.removed.length + diff.state.length > 0 ||
    diff.warnings.length > 0 ||
    diff.merkle !== undefined ||
    (diff.auditors ?? []).length > 0 ||
    (diff.lockfiles ?? []).some((l) => l.base.present !== l.head.present || l.added.length + l.removed.length + l.upgraded.length + l.downgraded.length > 0)
  );
}
