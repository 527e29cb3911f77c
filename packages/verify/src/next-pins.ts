// What InstallVerifier.commit writes to tufpm-lock.json: the pins as they were, moved forward by what this
// install verified (the repository state, every resolved package, the keys that signed them, the claims and
// the unclaims it accepted). Pure: the verifier writes the result atomically.
import { LOCKFILE_VERSION, roleKeysName, type PinnedPackage, type RecordedClaim, type RoleKeys, type SideLockfile, type UnclaimPin } from './lockfile.js';
import type { TufState } from './tuf-session.js';
import type { SignedTarget } from './types.js';

export interface InstallOutcome {
  registryUrl: string;
  state: TufState;
  /** the pins the install started from */
  pins: SideLockfile | undefined;
  /** name@version -> the target verified in this session */
  resolved: ReadonlyMap<string, SignedTarget>;
  /** the Yarn checksum bound to name@version in this session */
  yarnChecksum: (key: string) => string | undefined;
  /** when given, only these name@version keys stay pinned */
  keep: Iterable<string> | undefined;
  /** claims recorded by recordClaims (init): they replace the pinned ones */
  recordedClaims: ReadonlyMap<string, RecordedClaim> | undefined;
  /** ADR 0026: names the trusted top-level targets records as unclaimed */
  unclaimed: ReadonlySet<string>;
  /** names whose registry-signed release was accepted because of their unclaim record */
  acceptedUnclaims: ReadonlySet<string>;
  /** the keys of the roles that signed the targets resolved in this session, by their `roles` entry name */
  signingKeys: ReadonlyMap<string, RoleKeys>;
  /** the project's auditors as the pins record them (merkle.auditors), when it has them */
  auditors: RoleKeys | undefined;
}

export function nextPins(outcome: InstallOutcome): SideLockfile {
  const { state, pins, unclaimed, signingKeys, auditors } = outcome;
  const packages = new Map<string, PinnedPackage>(pins?.packages ?? []);
  for (const [key, signed] of outcome.resolved) {
    const checksum = outcome.yarnChecksum(key) ?? packages.get(key)?.yarnChecksum;
    packages.set(key, {
      targetPath: signed.targetPath,
      role: signed.role,
      roleVersion: signed.roleVersion,
      length: signed.length,
      sha512: signed.sha512,
      ...(checksum === undefined ? {} : { yarnChecksum: checksum }),
      maintainerSigned: signed.maintainerSigned,
    });
  }
  if (outcome.keep) {
    const wanted = new Set(outcome.keep);
    for (const key of [...packages.keys()]) if (!wanted.has(key)) packages.delete(key);
  }
  // ADR 0026: a name the signed top-level targets records as unclaimed is no claim any more; the unclaims the
  // install accepted are noted for review (kept while the record stands, dropped once it is claimed again).
  const recorded = outcome.recordedClaims ?? pins?.claims;
  const claims = recorded === undefined ? undefined : new Map([...recorded].filter(([name]) => !unclaimed.has(name)));
  const unclaims = new Map<string, UnclaimPin>();
  for (const [name, u] of pins?.unclaims ?? []) if (unclaimed.has(name)) unclaims.set(name, u);
  for (const name of outcome.acceptedUnclaims) if (!unclaims.has(name)) unclaims.set(name, { targetsVersion: state.targets.version });
  // The keys of every role a kept pin names: as verified now, else as recorded before (ADR 0016).
  const roles = new Map<string, RoleKeys>();
  for (const pin of packages.values()) {
    const resolvedName = roleKeysName(pin.role, signingKeys);
    const name = resolvedName ?? roleKeysName(pin.role, pins?.roles);
    if (name !== undefined) roles.set(name, signingKeys.get(name) ?? pins!.roles!.get(name)!);
  }
  const top = (pin: { version: number; keyids: string[]; threshold: number }) => ({ version: pin.version, keyids: pin.keyids, threshold: pin.threshold });
  return {
    lockfileVersion: LOCKFILE_VERSION,
    registry: outcome.registryUrl,
    root: { version: state.root.version, sha256: state.root.sha256, keyids: state.root.keyids, threshold: state.root.threshold },
    timestamp: top(state.timestamp),
    snapshot: top(state.snapshot),
    targets: top(state.targets),
    // ADR 0022: the Merkle tree root and size this install was verified under (the snapshot pin's epoch)
    // and the auditors the project required for it (ADR 0022): a later change that drops them is refused
    ...(state.merkle === undefined
      ? {}
      : { merkle: { root: state.merkle.root, size: state.merkle.size, ...(auditors === undefined ? {} : { auditors }) } }),
    packages,
    roles,
    ...(claims === undefined ? {} : { claims }),
    ...(unclaims.size === 0 ? {} : { unclaims }),
  };
}
