import { DelegatedRole, Key, Metadata, MetadataParseError, Targets, isReleaseIndexPath, parseJsonStrict, type TargetFile, type VerificationResult } from '@tufpm/models';
import { PackageClaimedError } from '../errors.js';
import { NpmRepository } from '../npm-api.js';
import { UNCLAIMED_ROLE, expiresIn } from '../npm-repository.js';
import { checkPackageName, packageOfTargetPath } from '../tarball.js';
import { ClaimError } from './errors.js';
import { checkRoleSignatures, identicalTarget } from './release-check.js';
import { DEFAULT_ROLE_EXPIRY_SECONDS, MAX_ROLE_BYTES } from './role-build.js';
import { clearUnclaimRecord, firstRoleVersion } from '../unclaim.js';

export const CLAIM_REQUEST_TYPE = 'tufpm-claim-request';

/**
 * A maintainer's request to take over a package (PEP 480 style): the keys and threshold the operator
 * should delegate the package to, and the package's first role (version 1), which lists the versions
 * already published (adopted from the registry-signed bins) and is signed by a threshold of the keys:
 * that proves the requesters hold them, and it is the role clients see the moment the claim is approved.
 */
export interface ClaimRequest {
  name: string;
  threshold: number;
  keys: Key[];
  role: Metadata<Targets>;
}

export function delegatedRoleFor(name: string, keys: readonly Key[], threshold: number): DelegatedRole {
  return new DelegatedRole({ name, terminating: true, paths: [`${name}/-/*`], threshold, keyids: keys.map((k) => k.keyid) });
}

/**
 * A new, unsigned claim request whose role adopts `existing` (the registry-signed versions of the package).
 * `version`: 1, or for a name unclaimed before one above its unclaim record's role version (ADR 0026).
 */
export function createClaimRequest(opts: { name: string; keys: Key[]; threshold: number; existing: readonly TargetFile[]; now: Date; expiresInSeconds?: number; version?: number }): ClaimRequest {
  checkPackageName(opts.name);
  checkKeysAndThreshold(opts.name, opts.keys, opts.threshold);
  const targets = new Map<string, TargetFile>();
  for (const t of opts.existing) targets.set(t.path, t);
  const role = new Metadata(new Targets({ version: opts.version ?? 1, expires: expiresIn(opts.now, opts.expiresInSeconds ?? DEFAULT_ROLE_EXPIRY_SECONDS), targets }));
  return { name: opts.name, threshold: opts.threshold, keys: [...opts.keys], role };
}

function checkKeysAndThreshold(name: string, keys: readonly Key[], threshold: number): void {
  const ids = new Set(keys.map((k) => k.keyid));
  if (keys.length === 0 || ids.size !== keys.length) throw new ClaimError(`claim of ${name}: give at least one key, each once`);
  for (const k of keys) {
    if (!k.isSupported()) throw new ClaimError(`claim of ${name}: key ${k.keyid} (${k.keytype}/${k.scheme}) is not supported`);
    if (k.computeKeyid() !== k.keyid) throw new ClaimError(`claim of ${name}: keyid ${k.keyid} is not the key's own id`);
  }
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > keys.length) {
    throw new ClaimError(`claim of ${name}: the threshold must be between 1 and ${keys.length} (the number of keys)`);
  }
}

export function claimRequestToJSON(req: ClaimRequest): Record<string, unknown> {
  const keys: Record<string, unknown> = {};
  for (const k of req.keys) keys[k.keyid] = k.toJSON();
  return { type: CLAIM_REQUEST_TYPE, name: req.name, threshold: req.threshold, keys, role: req.role.toJSON() };
}

/** Parses a claim request strictly (it is attacker-controlled input on the registry and the operator's machine). */
export function parseClaimRequest(bytes: Uint8Array): ClaimRequest {
  try {
    const obj = parseJsonStrict(bytes, MAX_ROLE_BYTES) as Record<string, unknown>;
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || obj['type'] !== CLAIM_REQUEST_TYPE) throw new ClaimError(`not a ${CLAIM_REQUEST_TYPE}`);
    const name = obj['name'];
    const threshold = obj['threshold'];
    const keysObj = obj['keys'];
    if (typeof name !== 'string' || typeof threshold !== 'number' || typeof keysObj !== 'object' || keysObj === null || Array.isArray(keysObj)) {
      throw new ClaimError('claim request needs name, threshold and keys');
    }
    checkPackageName(name);
    const keys = Object.entries(keysObj as Record<string, unknown>).map(([id, k]) => Key.fromJSON(id, k));
    const role = Metadata.fromJSON(obj['role'], 'targets');
    return { name, threshold, keys, role };
  } catch (err) {
    if (err instanceof MetadataParseError) throw new ClaimError(`malformed claim request: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Checks a claim request on its own: keys and threshold sane, role version `firstVersion` (when given: 1,
 * or one above the role of a name unclaimed before, ADR 0026; the registry and the operator know it), not
 * expired, no delegations, every target under `<name>/-/`, signatures only by the requested keys and all
 * valid. Returns the signature count; `verified` is false while co-signatures are missing.
 */
export function verifyClaimRequest(req: ClaimRequest, now: Date, opts: { firstVersion?: number } = {}): VerificationResult {
  checkPackageName(req.name);
  checkKeysAndThreshold(req.name, req.keys, req.threshold);
  const s = req.role.signed;
  if (opts.firstVersion !== undefined && s.version !== opts.firstVersion) {
    throw new ClaimError(`claim of ${req.name}: the first role must have version ${opts.firstVersion}, not ${s.version}` +
      (opts.firstVersion > 1 ? ` (the name was unclaimed at role version ${opts.firstVersion - 1}: build the request again with tufpm claim request)` : ''));
  }
  if (s.expires.getTime() <= now.getTime()) throw new ClaimError(`claim of ${req.name}: the role expired at ${s.expires.toISOString()}`);
  if (s.delegations !== undefined) throw new ClaimError(`claim of ${req.name}: a package role may not delegate`);
  const role = delegatedRoleFor(req.name, req.keys, req.threshold);
  for (const path of s.targets.keys()) {
    if (packageOfTargetPath(path) !== req.name || !role.isDelegatedPath(path)) throw new ClaimError(`claim of ${req.name}: target ${JSON.stringify(path)} is not under ${req.name}/-/`);
  }
  return checkRoleSignatures(req.name, { role, keys: new Map(req.keys.map((k) => [k.keyid, k])) }, req.role);
}

export interface ApproveClaimResult {
  name: string;
  keyids: string[];
  threshold: number;
  /** versions moved from the registry-signed bins into the maintainers' role */
  adopted: string[];
  targetsVersion: number;
}

/**
 * The operator's approval (run where the offline `targets` key is): delegates the package to the
 * requested keys and threshold, listed before `unclaimed` and terminating, so from the next snapshot on
 * the package's bin entries no longer apply; installs the maintainers' role v1 as signed; removes the
 * adopted versions from the bins. Refused unless the request is complete and its role lists exactly
 * the versions the bins sign now (a version published after the request would otherwise be lost).
 */
export async function approveClaim(repo: NpmRepository, req: ClaimRequest): Promise<ApproveClaimResult> {
  const { result } = await repo.transaction(async (r) => {
    if (repo.claimedRole(req.name) !== undefined) throw new PackageClaimedError(`package ${req.name} is already claimed`);
    const v = verifyClaimRequest(req, repo.now(), { firstVersion: firstRoleVersion(r, req.name) });
    if (!v.verified) throw new ClaimError(`claim of ${req.name}: the role has ${v.distinctKeys} of ${v.threshold} signatures; co-signers must sign it first`);
    // The versions and the release list (ADR 0013) move into the role exactly as the registry signed them.
    const inBins = repo.coverage(req.name).targets;
    const wanted = req.role.signed.targets;
    for (const { path, role } of inBins) {
      const mine = wanted.get(path);
      if (mine === undefined || !identicalTarget(mine, r.targetsRole(role).signed.targets.get(path)!)) {
        throw new ClaimError(`claim of ${req.name}: ${path} is signed by the registry ${mine === undefined ? 'but missing from' : 'with other hashes than'} the claim's role; the maintainers must sign a new claim request`);
      }
    }
    const binPaths = new Set(inBins.map((t) => t.path));
    for (const path of wanted.keys()) {
      if (!binPaths.has(path)) throw new ClaimError(`claim of ${req.name}: the role lists ${path}, which the registry never signed`);
    }
    r.delegate('targets', delegatedRoleFor(req.name, [], req.threshold), req.keys, { expires: req.role.signed.expires, before: UNCLAIMED_ROLE, replacesRetired: true });
    // delegate() created an empty first version; the maintainers' signed one (same version) takes its place.
    r.delegated.set(req.name, req.role);
    clearUnclaimRecord(r, req.name);
    const bins = new Set<string>();
    for (const { path, role } of inBins) {
      r.removeTarget(role, path);
      bins.add(role);
    }
    for (const bin of bins) await repo.signRole(bin);
    await repo.signRole('targets');
    await repo.resignSnapshotAndTimestamp();
    return { name: req.name, keyids: req.keys.map((k) => k.keyid), threshold: req.threshold, adopted: inBins.map((t) => t.path).filter((p) => !isReleaseIndexPath(p)), targetsVersion: r.targets.signed.version };
  });
  return result;
}
