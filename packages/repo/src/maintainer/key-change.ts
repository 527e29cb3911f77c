import { Key, Metadata, MetadataParseError, Targets, canonicalize, digestHex, parseJsonStrict, type Signer } from '@tufpm/models';
import { UnknownPackageError } from '../errors.js';
import { NpmRepository } from '../npm-api.js';
import { expiresIn } from '../npm-repository.js';
import { checkPackageName } from '../tarball.js';
import { delegatedRoleFor } from './claims.js';
import { ClaimError } from './errors.js';
import { checkRoleSignatures, identicalTarget } from './release-check.js';
import { DEFAULT_ROLE_EXPIRY_SECONDS, MAX_ROLE_BYTES } from './role-build.js';

export const KEY_CHANGE_TYPE = 'tufpm-key-change';

/**
 * Maintainers at threshold change their own keys (rotate one, revoke one, change the threshold): the
 * new key set and threshold, approved by a threshold of the CURRENT keys, plus the package role
 * re-signed (version N+1, same targets) by a threshold of the NEW keys, so the package stays installable
 * the moment the change is applied. The operator applies it with the offline key that signs claims
 * (the delegation lives in top-level targets); the registry's online keys play no part.
 */
export interface KeyChangeRequest {
  name: string;
  keys: Key[];
  threshold: number;
  role: Metadata<Targets>;
  /** keyid (a current key) -> hex signature over approvalBytes() */
  approvals: Map<string, string>;
}

/** What the current keys sign: the new keys, threshold, and the exact re-signed role content. */
export function approvalBytes(req: Pick<KeyChangeRequest, 'name' | 'keys' | 'threshold' | 'role'>): Uint8Array {
  return canonicalize({
    type: KEY_CHANGE_TYPE, name: req.name, keyids: req.keys.map((k) => k.keyid).sort(), threshold: req.threshold,
    role: { version: req.role.signed.version, sha256: digestHex('sha256', req.role.signedBytes()) },
  });
}

/** A new key-change request built on the current (verified) role: keys minus `remove` plus `add`. */
export function createKeyChange(opts: { name: string; currentKeys: Key[]; currentRole: Metadata<Targets>; remove?: string[]; add?: Key[]; threshold: number; now: Date; expiresInSeconds?: number }): KeyChangeRequest {
  checkPackageName(opts.name);
  const removed = new Set(opts.remove ?? []);
  for (const id of removed) if (!opts.currentKeys.some((k) => k.keyid === id)) throw new ClaimError(`key ${id} is not a key of ${opts.name}`);
  const keys = [...opts.currentKeys.filter((k) => !removed.has(k.keyid)), ...(opts.add ?? [])];
  const signed = Targets.fromJSON(opts.currentRole.signed.toJSON());
  signed.version = opts.currentRole.signed.version + 1;
  signed.expires = expiresIn(opts.now, opts.expiresInSeconds ?? DEFAULT_ROLE_EXPIRY_SECONDS);
  return { name: opts.name, keys, threshold: opts.threshold, role: new Metadata(signed), approvals: new Map() };
}

/** Adds what this signer can give: an approval if it is a current key, a role signature if it is a new key. */
export function signKeyChange(req: KeyChangeRequest, signer: Signer, currentKeyids: readonly string[]): { approved: boolean; signedRole: boolean } {
  const approved = currentKeyids.includes(signer.key.keyid);
  const signedRole = req.keys.some((k) => k.keyid === signer.key.keyid);
  if (signedRole) req.role.sign(signer, true);
  // After the role signature: the approval covers the role's signed bytes (unchanged by signatures).
  if (approved) req.approvals.set(signer.key.keyid, signer.sign(approvalBytes(req)));
  if (!approved && !signedRole) throw new ClaimError(`key ${signer.key.keyid} is neither a current nor a new key of ${req.name}`);
  return { approved, signedRole };
}

export function keyChangeToJSON(req: KeyChangeRequest): Record<string, unknown> {
  const keys: Record<string, unknown> = {};
  for (const k of req.keys) keys[k.keyid] = k.toJSON();
  return { type: KEY_CHANGE_TYPE, name: req.name, threshold: req.threshold, keys, role: req.role.toJSON(), approvals: Object.fromEntries(req.approvals) };
}

export function parseKeyChange(bytes: Uint8Array): KeyChangeRequest {
  try {
    const obj = parseJsonStrict(bytes, MAX_ROLE_BYTES) as Record<string, unknown>;
    if (typeof obj !== 'object' || obj === null || obj['type'] !== KEY_CHANGE_TYPE) throw new ClaimError(`not a ${KEY_CHANGE_TYPE} request`);
    const { name, threshold, keys, approvals } = obj;
    if (typeof name !== 'string' || typeof threshold !== 'number' || typeof keys !== 'object' || keys === null || typeof approvals !== 'object' || approvals === null) {
      throw new ClaimError('key change request needs name, threshold, keys and approvals');
    }
    checkPackageName(name);
    const appr = new Map<string, string>();
    for (const [id, sig] of Object.entries(approvals as Record<string, unknown>)) {
      if (typeof sig !== 'string') throw new ClaimError('approvals must map keyids to hex signatures');
      appr.set(id, sig);
    }
    return { name, threshold, keys: Object.entries(keys as Record<string, unknown>).map(([id, k]) => Key.fromJSON(id, k)), role: Metadata.fromJSON(obj['role'], 'targets'), approvals: appr };
  } catch (err) {
    if (err instanceof MetadataParseError) throw new ClaimError(`malformed key change request: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * The current maintainers at their threshold, each distinct key once, approve this exact change. Checked
 * by the registry before it stores a submitted change (issue 19) and again by the operator's apply.
 */
export function checkKeyChangeApprovals(req: KeyChangeRequest, claimed: { keyids: readonly string[]; threshold: number }, delegationKeys: ReadonlyMap<string, Key>): void {
  const data = approvalBytes(req);
  const approvedBy = new Set<string>();
  for (const [keyid, sig] of req.approvals) {
    const key = delegationKeys.get(keyid);
    if (!claimed.keyids.includes(keyid) || key === undefined) throw new ClaimError(`approval by ${keyid}, which is not a current key of ${req.name}`);
    if (!key.verify(data, sig)) throw new ClaimError(`the approval of ${keyid} does not verify`);
    approvedBy.add(key.publicKeyFingerprint);
  }
  if (approvedBy.size < claimed.threshold) throw new ClaimError(`key change of ${req.name}: ${approvedBy.size} of ${claimed.threshold} current maintainers approved it`);
}

/**
 * The operator's side: checks the approvals against the keys and threshold the delegation lists now,
 * the re-signed role against the new keys and threshold (version N+1, exactly the current targets),
 * then rewrites the delegation (targets key) and installs the role; snapshot and timestamp follow.
 */
export async function applyKeyChange(repo: NpmRepository, req: KeyChangeRequest): Promise<{ name: string; keyids: string[]; threshold: number; roleVersion: number }> {
  const { result } = await repo.transaction(async (r) => {
    const claimed = repo.claimedRole(req.name);
    if (claimed === undefined) throw new UnknownPackageError(`package ${req.name} is not claimed`);
    checkKeyChangeApprovals(req, claimed, r.targets.signed.delegations!.keys);
    const role = delegatedRoleFor(req.name, req.keys, req.threshold);
    if (new Set(req.keys.map((k) => k.keyid)).size !== req.keys.length || req.keys.length === 0 || req.threshold < 1 || req.threshold > req.keys.length || !Number.isSafeInteger(req.threshold)) {
      throw new ClaimError(`key change of ${req.name}: the threshold must be between 1 and the number of distinct keys`);
    }
    for (const k of req.keys) {
      if (!k.isSupported() || k.computeKeyid() !== k.keyid) throw new ClaimError(`key change of ${req.name}: key ${k.keyid} is unsupported or not its own id`);
    }
    const current = r.targetsRole(req.name).signed;
    const next = req.role.signed;
    if (next.version !== current.version + 1) throw new ClaimError(`key change of ${req.name}: the role must be version ${current.version + 1}, it is ${next.version}`);
    if (next.expires.getTime() <= repo.now().getTime() || next.delegations !== undefined) throw new ClaimError(`key change of ${req.name}: the role is expired or delegates`);
    if (next.targets.size !== current.targets.size || [...current.targets].some(([p, t]) => { const n = next.targets.get(p); return n === undefined || !identicalTarget(n, t); })) {
      throw new ClaimError(`key change of ${req.name}: the re-signed role must list exactly the current targets`);
    }
    const v = checkRoleSignatures(req.name, { role, keys: new Map(req.keys.map((k) => [k.keyid, k])) }, req.role);
    if (!v.verified) throw new ClaimError(`key change of ${req.name}: the role has ${v.distinctKeys} of ${v.threshold} signatures of the new keys`);
    r.setDelegatedKeys('targets', req.name, req.keys, req.threshold);
    r.delegated.set(req.name, req.role);
    r.changed.add(req.name);
    await repo.signRole('targets');
    await repo.resignSnapshotAndTimestamp();
    return { name: req.name, keyids: req.keys.map((k) => k.keyid), threshold: req.threshold, roleVersion: next.version };
  });
  return result;
}
