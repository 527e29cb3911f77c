import { timingSafeEqual } from 'node:crypto';
import { VerifyError } from './errors.js';
import { rootDigestKind, type PinnedPackage, type RecordedClaim, type SideLockfile } from './lockfile.js';
import type { RootChainEntry } from '@tufpm/client';
import type { TufState } from './tuf-session.js';
import type { SignedTarget } from './types.js';

// The checks that tufpm-lock.json adds to the TUF client: the pins play the part of the previously trusted
// state on a fresh machine (DESIGN.md section 7), and carry the team's signer policy.

export function equalHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The pins say which repository state this project was last verified under: never go below it. */
export function checkStateAgainstPins(
  pins: SideLockfile,
  state: TufState,
  rootChain: ReadonlyArray<RootChainEntry>,
  lockfilePath: string,
): void {
  const rollback = (what: string, have: number, pinned: number): never => {
    throw new VerifyError('TUF_PIN_ROLLBACK', `the registry serves ${what} version ${have}, older than version ${pinned} pinned in ${lockfilePath}`, {
      role: what,
      attack: `rollback of ${what} below the pinned state (or a frozen repository)`,
      recovery: 'the registry or a mirror serves an old repository state; retry against the real registry. Never lower the pins by hand.',
    });
  };
  // TUF 5.3.5 / 5.4.3 / 5.5.5 applied to the pinned floor instead of a local cache (fresh machines).
  if (state.root.version < pins.root.version) rollback('root', state.root.version, pins.root.version);
  // The pinned root must lie on the chain this refresh walked: a fork signed with rotated-away root keys
  // has other roots at those versions, and a chain that starts ABOVE the pinned version (a forged higher
  // root as the anchor) never met the pin at all. The session starts from the pinned root (pinned-root.ts).
  // Format 2 pins hold the root file's sha256, format 1 pins the sha256 of its canonical signed part.
  const onChain = rootChain.find((r) => r.version === pins.root.version);
  const chainDigest = onChain === undefined ? undefined : rootDigestKind(pins) === 'file' ? onChain.sha256 : onChain.signedSha256;
  if (chainDigest === undefined || !equalHex(chainDigest, pins.root.sha256)) {
    throw new VerifyError('TUF_PIN_MISMATCH', `root version ${pins.root.version} on the chain the registry serves differs from the root pinned in ${lockfilePath}`, {
      role: 'root',
      attack: 'a second, different root with the pinned version (root key compromise or substitution)',
      recovery: 'do not install; compare the registry root with the one your team pinned and report it to the registry operator',
    });
  }
  // TUF 5.3.11 applied to pins: after the root rotated a role's keys away from the ones pinned, a version
  // pinned under the old keys may be a fast-forward attack, so that floor no longer applies.
  const rotated = (pinnedKeyids: string[], current: string[]): boolean => pinnedKeyids.some((id) => !current.includes(id));
  const timestampRotated = rotated(pins.timestamp.keyids, state.timestamp.keyids);
  const snapshotRotated = rotated(pins.snapshot.keyids, state.snapshot.keyids);
  // A rotation of either key drops both floors, as the spec drops both cached files.
  if (!timestampRotated && !snapshotRotated) {
    if (state.timestamp.version < pins.timestamp.version) rollback('timestamp', state.timestamp.version, pins.timestamp.version);
    if (state.snapshot.version < pins.snapshot.version) rollback('snapshot', state.snapshot.version, pins.snapshot.version);
    checkTreeAgainstPin(pins, state, lockfilePath);
  }
  if (!rotated(pins.targets.keyids, state.targets.keyids) && state.targets.version < pins.targets.version) {
    rollback('targets', state.targets.version, pins.targets.version);
  }
}

/**
 * TAP 16 applied to pins (ADR 0022): the Merkle tree never shrinks (leaves are never removed), and one epoch
 * has one tree. Applies while the timestamp and snapshot keys are the pinned ones (the caller's condition).
 */
function checkTreeAgainstPin(pins: SideLockfile, state: TufState, lockfilePath: string): void {
  const pinned = pins.merkle;
  const tree = state.merkle;
  if (pinned === undefined || tree === undefined) return;
  if (state.snapshot.version === pins.snapshot.version && (tree.root !== pinned.root || tree.size !== pinned.size)) {
    throw new VerifyError('TUF_PIN_MISMATCH', `the registry signs tree root ${tree.root} (size ${tree.size}) for snapshot epoch ${state.snapshot.version}, but ${lockfilePath} pins root ${pinned.root} (size ${pinned.size}) for that epoch`, {
      role: 'snapshot',
      attack: 'split view or forked history: two Merkle trees signed for one snapshot epoch',
      recovery: 'do not install; the registry signed two histories (online key compromise): report it to the registry operator and your auditors',
    });
  }
  if (tree.size < pinned.size) {
    throw new VerifyError('TUF_PIN_ROLLBACK', `the registry serves a Merkle tree of ${tree.size} leaves, fewer than the ${pinned.size} pinned in ${lockfilePath}`, {
      role: 'snapshot',
      attack: 'rollback of the Merkle tree (leaves removed; the registry only ever adds leaves or tombstones)',
      recovery: 'the registry or a mirror serves an old or forked tree; retry against the real registry. Never lower the pins by hand.',
    });
  }
}

/**
 * TAP 16 with pins (ADR 0022): the tree's proven version of every role a pinned package was signed in never
 * goes below the version pinned for it, checked as soon as the proofs are in (before any install step, and
 * also for packages the install does not need to download again). A role the tree no longer proves present
 * is left to the lookup of the package (TUF_PACKAGE_NOT_SIGNED, or the claim checks).
 */
export function checkProvenRolesAgainstPins(pins: SideLockfile, proven: ReadonlyMap<string, number | undefined>, lockfilePath: string): void {
  for (const [key, pin] of pins.packages) {
    const version = proven.get(pin.role);
    if (version === undefined || version >= pin.roleVersion) continue;
    const at = key.lastIndexOf('@');
    throw new VerifyError('TUF_PIN_ROLLBACK', `the registry's Merkle tree lists role ${pin.role} at version ${version}, older than version ${pin.roleVersion} pinned for ${key} in ${lockfilePath}`, {
      packageName: key.slice(0, at),
      version: key.slice(at + 1),
      role: pin.role,
      attack: `rollback of the delegated role ${pin.role} in a new Merkle tree`,
      recovery: 'the registry or a mirror serves an old or forked tree; retry against the real registry and report it to its operator',
    });
  }
}

/** A package's signed target against its own pin. */
export function checkPackageAgainstPin(signed: SignedTarget, pin: PinnedPackage | undefined, lockfilePath: string): void {
  if (!pin) return;
  if (pin.length !== signed.length || !equalHex(pin.sha512, signed.sha512)) {
    throw new VerifyError('TUF_PIN_MISMATCH', `${signed.name}@${signed.version} is signed with a different tarball hash than the one pinned in ${lockfilePath}`, {
      packageName: signed.name,
      version: signed.version,
      role: signed.role,
      attack: 'substituted package (a republished or forged tarball for a pinned version)',
      recovery: 'npm versions are immutable: do not install; report it to the maintainers and the registry operator',
    });
  }
  // TUF 5.6.5 applied to pins: a delegated role never goes back below the version the project saw.
  if (pin.role === signed.role && signed.roleVersion < pin.roleVersion) {
    throw new VerifyError('TUF_PIN_ROLLBACK', `role ${signed.role} is at version ${signed.roleVersion}, older than version ${pin.roleVersion} pinned for ${signed.name}@${signed.version}`, {
      packageName: signed.name,
      version: signed.version,
      role: signed.role,
      attack: `rollback of the delegated role ${signed.role}`,
      recovery: 'the registry or a mirror serves an old role; retry against the real registry',
    });
  }
}

/**
 * The claims recorded by `init` carry "this package is signed by its maintainers" to the first install,
 * before any version of it is pinned: served from an unclaimed bin now, it was unclaimed since, or the
 * registry routes around the claim (a targets from before it, or a forged bin entry). `unclaimed`: the names
 * the trusted top-level targets carries an unclaim record for (ADR 0026), the only way past this refusal.
 */
export function checkRecordedClaim(signed: SignedTarget, claims: ReadonlyMap<string, RecordedClaim> | undefined, lockfilePath: string, unclaimed: ReadonlySet<string> = new Set()): void {
  if (signed.maintainerSigned || claims?.has(signed.name) !== true) return;
  // TUF 5.6.3 + TUF 4 (unrecognized fields are signed): the record is read only from the top-level targets the
  // root's targets keys (offline) signed; a registry holding the online keys cannot write one there (ADR 0026).
  if (unclaimed.has(signed.name)) return;
  throw new VerifyError('TUF_CLAIM_DROPPED', `${signed.name}@${signed.version} had its own maintainer role when ${lockfilePath} was initialised, but is now signed only by the registry (role ${signed.role})`, {
    packageName: signed.name,
    version: signed.version,
    role: signed.role,
    attack: 'claim dropped: a registry holding the online keys serves the package from an unclaimed bin (rollback to targets from before the claim, or an unclaimed package)',
    recovery: 'do not install; a deliberate unclaim is signed into the top-level targets by the registry operator (tufpm-repo unclaim), and installs accept it then: this one was not. Report it to the registry operator',
  });
}

export interface SignerPolicy {
requireMaintainerSigned?: boolean | string[];
minimumThreshold?: number;
}

function requiresMaintainer(policyOptions: SignerPolicy, name: string): boolean {
  const policy = policyOptions.requireMaintainerSigned;
  if (policy === undefined || policy === false) return false;
  if (policy === true) return true;
  return policy.some((entry) => (entry.endsWith('/*') ? name.startsWith(entry.slice(0, -1)) : entry === name));
}

/**
 * Team policy (PEP 480): maintainer-signed packages, and no downgrade to registry signing. `unclaimed`: the
 * names the trusted top-level targets carries an unclaim record for (ADR 0026): their registry-signed releases
 * are a deliberate unclaim, not a downgrade (the policy below still applies to them).
 */
export function checkSignerPolicy(signed: SignedTarget, pin: PinnedPackage | undefined, maintainerSignedNames: ReadonlySet<string>, policy: SignerPolicy, unclaimed: ReadonlySet<string> = new Set()): void {
  // Per package name, not per version: once any pinned version of a package was signed by its maintainers,
  // a registry-signed version of it (old or new) is a downgrade (a registry compromise routing around the claim),
  // unless the offline-signed top-level targets records the name as unclaimed (TUF 5.6.3, TUF 4: ADR 0026).
  if (!signed.maintainerSigned && (pin?.maintainerSigned || maintainerSignedNames.has(signed.name)) && !unclaimed.has(signed.name)) {
    throw new VerifyError('TUF_SIGNER_DOWNGRADE', `${signed.name}@${signed.version} was signed by its maintainers when pinned, but is now signed only by the registry (role ${signed.role})`, {
      packageName: signed.name,
      version: signed.version,
      role: signed.role,
      attack: 'downgrade from maintainer signing to registry signing (registry compromise)',
      recovery: 'do not install; report it to the package maintainers and the registry operator (a deliberate unclaim is signed into the top-level targets with tufpm-repo unclaim, and installs accept it then)',
    });
  }
  if (!requiresMaintainer(policy, signed.name)) return;
  if (!signed.maintainerSigned) {
    throw new VerifyError('TUF_NOT_MAINTAINER_SIGNED', `${signed.name}@${signed.version} is signed by the registry (role ${signed.role}), but policy requires its maintainers' signatures`, {
      packageName: signed.name,
      version: signed.version,
      role: signed.role,
      attack: 'package not signed by its maintainers (policy)',
      recovery: 'ask the maintainers to claim the package and sign releases, or relax requireMaintainerSigned for it',
    });
  }
  const minimum = policy.minimumThreshold ?? 1;
  if (signed.threshold < minimum) {
    throw new VerifyError('TUF_NOT_MAINTAINER_SIGNED', `${signed.name}@${signed.version}: its role ${signed.role} needs ${signed.threshold} signature(s), policy requires at least ${minimum}`, {
      packageName: signed.name,
      version: signed.version,
      role: signed.role,
      attack: 'package signed below the required maintainer threshold (policy)',
      recovery: 'ask the maintainers to raise the threshold of their role, or lower minimumThreshold',
    });
  }
}
