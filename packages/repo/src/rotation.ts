import { generateEd25519KeyPair, isTopLevelRole, signerFromPem, type Key, type Signer } from '@tufpm/models';
import { InvalidInputError, KeyMismatchError, UnknownPackageError } from './errors.js';
import { roleSigners } from './keys.js';
import { beginRotation, finishRotation, type RotationJournal } from './rotation-journal.js';
import { NpmRepositoryCore, UNCLAIMED_ROLE, expiresIn } from './npm-repository.js';

/** The replacement key of a rotation: a private key (kept in the keys dir when the role is the registry's), or only a public key. */
export type NewKey = { privateKeyPem: string } | { publicKey: Key };

export interface RotateOptions {
  /** Maintainer signers to re-sign a package role with its new keys. */
  signers?: Signer[];
}

export interface RotateResult {
  role: string;
  oldKeyid: string;
  newKeyid: string;
  /** where the new private key was stored (registry roles only) */
  newKeyFile?: string;
  /** where the old private key file was moved */
  retiredKeyFile?: string;
  /** roles re-signed, with their new versions */
  versions: Record<string, number>;
}

function keysWithout(keys: ReadonlyMap<string, Key>, keyids: readonly string[], drop: string): Key[] {
  return keyids.filter((id) => id !== drop).map((id) => keys.get(id)!).filter((k) => k !== undefined);
}

/**
 * Replaces one key of a role.
 * - root: root N+1 lists the new key instead of the old one and is signed by the old root keys
 *   (cross-signing, so clients trusting N accept N+1) and by the new key (so it meets its own threshold).
 * - targets/snapshot/timestamp: root N+1 (signed by root keys) and a new version of the role signed by
 *   the new key; then snapshot and timestamp.
 * - unclaimed: the delegation in targets (offline key) and the succinct delegation in unclaimed, then
 *   every bin re-signed by the new key.
 * - a package: its delegation in targets; the package role is re-signed when maintainer signers are given.
 */
export async function rotateKey(core: NpmRepositoryCore, role: string, oldKeyid: string, newKey?: NewKey, opts: RotateOptions = {}): Promise<RotateResult> {
  const registryRole = isTopLevelRole(role) || role === UNCLAIMED_ROLE;
  if (!registryRole && core.claimedRole(role) === undefined) throw new UnknownPackageError(`"${role}" is neither a registry role nor a claimed package`);
  let pem: string | undefined;
  let key: Key;
  if (newKey === undefined) {
    if (!registryRole) throw new InvalidInputError(`rotating a maintainer key of ${role} needs the new public key`);
    const pair = generateEd25519KeyPair();
    pem = pair.privateKeyPem;
    key = pair.key;
  } else if ('privateKeyPem' in newKey) {
    pem = newKey.privateKeyPem;
    key = signerFromPem(pem).key;
  } else {
    key = newKey.publicKey;
  }
  const newSigner = pem === undefined ? undefined : signerFromPem(pem);
  let journal: RotationJournal | undefined;
  let oldKeyFile: string | undefined;
  const base = `${role}.${key.keyid.slice(0, 16)}`;

  // The journal and the new private key (under a pending name) are stored before the metadata that
  // trusts the key; once the metadata is persisted the rotation is finished below. A kill anywhere in
  // between is finished by the next repository command from what the metadata on disk says.
  const txOpts = {
    rootLast: false,
    beforePersist: async (): Promise<void> => {
      if (!registryRole) return;
      journal = await beginRotation(core.keysDir, { role, oldKeyid, newKeyid: key.keyid, ...(oldKeyFile === undefined ? {} : { oldKeyFile }) }, pem === undefined ? undefined : { base, privateKeyPem: pem });
    },
  };
  const { result } = await core.transaction(async (repo) => {
    const parent = repo.parentOf(role);
    if (!parent.role.keyids.includes(oldKeyid)) throw new KeyMismatchError(`key ${oldKeyid} is not a key of role "${role}" (it has ${parent.role.keyids.join(', ')})`);
    if (parent.role.keyids.includes(key.keyid)) throw new InvalidInputError(`key ${key.keyid} is already a key of role "${role}"`);
    const versions: Record<string, number> = {};
    // The role's current key files (this also proves the old key is there); kept = all but the old one.
    let kept: Signer[] = [];
    let oldSigner: Signer | undefined;
    if (registryRole) {
      const files = await roleSigners(core.keysDir, role, parent.role.keyids);
      const old = files.find((f) => f.signer.key.keyid === oldKeyid);
      oldKeyFile = old?.path;
      oldSigner = old?.signer;
      kept = files.filter((f) => f.signer.key.keyid !== oldKeyid).map((f) => f.signer);
    }
    const rotated = [...kept, ...(newSigner === undefined ? [] : [newSigner])];
    // A top-level role (not root) whose old key is at hand is signed by old and new keys, and root N+1 is
    // written last: readers between the writes (or after a kill) meet metadata valid under root N and N+1.
    const dualSigned = role !== 'root' && isTopLevelRole(role) && oldSigner !== undefined;
    if (dualSigned) txOpts.rootLast = true;
    const signersOf = async (r: string): Promise<Signer[]> => (r === role ? (dualSigned ? [...rotated, oldSigner!] : rotated) : core.signersFor(r));
    if (isTopLevelRole(role)) {
      const rootSigners = await core.signersFor('root');
      repo.revokeKey(role, oldKeyid);
      repo.addKey(role, key);
      // Root N+1 is signed by the keys of root N (cross-signing) and, for a root rotation, by the new key.
      repo.sign('root', role === 'root' ? [...rootSigners, ...rotated.filter((s) => s.key.keyid === key.keyid)] : rootSigners);
      versions['root'] = repo.root.signed.version;
      if (role === 'targets') {
        repo.edit('targets');
        repo.sign('targets', await signersOf('targets'));
      }
    } else if (role === UNCLAIMED_ROLE) {
      const keys = [...keysWithout(parent.keys, parent.role.keyids, oldKeyid), key];
      repo.setDelegatedKeys('targets', UNCLAIMED_ROLE, keys, parent.role.threshold);
      const bins = core.unclaimedBins();
      repo.setDelegatedKeys(UNCLAIMED_ROLE, bins.getRoleForTarget(''), keys, bins.threshold);
      for (const bin of [...bins.getRoles()]) {
        repo.edit(bin);
        repo.sign(bin, rotated);
      }
      repo.sign(UNCLAIMED_ROLE, rotated);
      await core.signRole('targets');
      versions[UNCLAIMED_ROLE] = repo.targetsRole(UNCLAIMED_ROLE).signed.version;
    } else {
      const keys = [...keysWithout(parent.keys, parent.role.keyids, oldKeyid), key];
      repo.setDelegatedKeys('targets', role, keys, parent.role.threshold);
      if ((opts.signers ?? []).length > 0) {
        repo.edit(role);
        repo.sign(role, opts.signers!);
        versions[role] = repo.targetsRole(role).signed.version;
      }
      await core.signRole('targets');
    }
    if (role !== 'root') {
      repo.updateSnapshot({ lengthAndHashes: core.config.snapshotLengthAndHashes });
      repo.sign('snapshot', await signersOf('snapshot'));
      repo.updateTimestamp();
      repo.sign('timestamp', await signersOf('timestamp'));
    }
    versions['targets'] ??= repo.targets.signed.version;
    versions['snapshot'] = repo.snapshot.signed.version;
    versions['timestamp'] = repo.timestamp.signed.version;
    return { role, oldKeyid, newKeyid: key.keyid, versions };
  }, txOpts);
  const out: RotateResult = { ...result };
  if (journal !== undefined) {
    const finished = await finishRotation(core.keysDir, journal, [...core.repo.parentOf(role).role.keyids]);
    if (journal.newKeyFile !== undefined) out.newKeyFile = journal.newKeyFile;
    if (finished.retiredKeyFile !== undefined) out.retiredKeyFile = finished.retiredKeyFile;
  }
  return out;
}

export interface RevokeOptions {
  /** New threshold, required when the remaining keys are fewer than the current threshold. */
  threshold?: number;
}

/** Removes a (compromised) maintainer key from a claimed package's delegation; signed by the targets key. */
export async function revokeKey(core: NpmRepositoryCore, pkg: string, keyid: string, opts: RevokeOptions = {}): Promise<{ name: string; keyids: string[]; threshold: number; targetsVersion: number }> {
  const { result } = await core.transaction(async (repo) => {
    const claimed = core.claimedRole(pkg);
    if (claimed === undefined) throw new UnknownPackageError(`package ${pkg} is not claimed (no role to revoke a key from)`);
    if (!claimed.keyids.includes(keyid)) throw new KeyMismatchError(`key ${keyid} is not a key of package ${pkg} (it has ${claimed.keyids.join(', ')})`);
    const keys = keysWithout(repo.targets.signed.delegations!.keys, claimed.keyids, keyid);
    if (keys.length === 0) throw new InvalidInputError(`${keyid} is the last key of ${pkg}; add a new key (rotate-key) instead of revoking it`);
    const threshold = opts.threshold ?? claimed.threshold;
    if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > keys.length) {
      throw new InvalidInputError(`after revoking, ${pkg} has ${keys.length} key(s): the threshold must be between 1 and ${keys.length} (pass a new threshold)`);
    }
    repo.setDelegatedKeys('targets', pkg, keys, threshold);
    await core.signRole('targets');
    await core.resignSnapshotAndTimestamp();
    return { name: pkg, keyids: keys.map((k) => k.keyid), threshold, targetsVersion: repo.targets.signed.version };
  });
  return result;
}

/**
 * Gives roles a new expiry date (now + the configured duration) and a new version, re-signed.
 * `which`: a role name, `online` (unclaimed and its bins), `bins`, or `all` (every registry-signed role).
 * A package role is refreshed only by name, with its maintainers' signers.
 */
export async function refreshExpiry(core: NpmRepositoryCore, which: string, opts: { signers?: Signer[] } = {}): Promise<Record<string, string>> {
  const { result } = await core.transaction(async (repo) => {
    const e = core.config.expiries;
    const bins = [...core.unclaimedBins().getRoles()];
    let roles: string[];
    if (which === 'all') roles = ['root', 'targets', UNCLAIMED_ROLE, ...bins];
    else if (which === 'online') roles = [UNCLAIMED_ROLE, ...bins];
    else if (which === 'bins') roles = bins;
    else if (repo.hasRole(which)) roles = [which];
    else throw new UnknownPackageError(`no role "${which}" (use a role name, online, bins or all)`);
    const out: Record<string, string> = {};
    for (const role of roles) {
      if (role === 'snapshot' || role === 'timestamp') continue; // refreshed below in any case
      const seconds = role === 'root' ? e.root : role === 'targets' ? e.targets : role === UNCLAIMED_ROLE || core.isBin(role) ? e.unclaimed : e.package;
      repo.setExpires(role, expiresIn(core.now(), seconds));
      if (isTopLevelRole(role) || role === UNCLAIMED_ROLE || core.isBin(role)) await core.signRole(role);
      else repo.sign(role, (opts.signers ?? []).filter((s) => repo.parentOf(role).role.keyids.includes(s.key.keyid)));
      out[role] = repo.role(role).signed.expires.toISOString();
    }
    // updateSnapshot/updateTimestamp edit (and so bump) both; their new expiry is set first.
    if (which !== 'timestamp') {
      repo.setExpires('snapshot', expiresIn(core.now(), e.snapshot));
      repo.updateSnapshot({ lengthAndHashes: core.config.snapshotLengthAndHashes });
      await core.signRole('snapshot');
    }
    repo.setExpires('timestamp', expiresIn(core.now(), e.timestamp));
    repo.updateTimestamp();
    await core.signRole('timestamp');
    if (which !== 'timestamp') out['snapshot'] = repo.snapshot.signed.expires.toISOString();
    out['timestamp'] = repo.timestamp.signed.expires.toISOString();
    return out;
  });
  return result;
}
