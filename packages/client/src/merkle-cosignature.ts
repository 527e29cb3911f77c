// Auditor cosignatures on a Merkle tree root (TAP 16 "auditors", ADR 0022; format fixed in the Merkle
// contract, plus the epoch). An auditor signs {epoch, root, size, timestamp_version} only after replaying the tree's delta against
// its own replica; the client counts valid cosignatures from the keys the USER configured (never keys the
// registry names) and refuses a root below the user's threshold.
import { Key, MetadataParseError, canonicalize, parseJsonStrict, type Signer } from '@tufpm/models';
import type { MerkleTreeHead } from './merkle-profile.js';

export const COSIGNATURE_TYPE = 'tufpm-merkle-cosignature';
/** Bound on a cosignature file, checked before parsing (one signature of at most a few hundred bytes). */
export const COSIGNATURE_MAX_LENGTH = 4096;

export interface CosignedTree {
  _type: typeof COSIGNATURE_TYPE;
  /** the snapshot epoch the auditor verified this root at: a cosignature counts for that epoch only */
  epoch: number;
  root: string;
  size: number;
  timestamp_version: number;
}

/** The user's auditor policy: which keys count, and how many distinct ones must have cosigned the root. */
export interface AuditorPolicy {
  threshold: number;
  keys: ReadonlyMap<string, Key>;
}

/** `merkle/<root>/auditors/<keyid>.json`, below the metadata base URL. */
export function cosignatureFileName(root: string, keyid: string): string {
  return `merkle/${root}/auditors/${keyid}.json`;
}

/** The bytes an auditor writes for `head` (canonical JSON, as every signed file of tufpm). */
export function signCosignature(head: Pick<MerkleTreeHead, 'epoch' | 'root' | 'size'>, timestampVersion: number, signer: Signer): Uint8Array {
  const signed: CosignedTree = { _type: COSIGNATURE_TYPE, epoch: head.epoch, root: head.root, size: head.size, timestamp_version: timestampVersion };
  const sig = signer.sign(canonicalize(signed));
  return canonicalize({ signatures: [{ keyid: signer.key.keyid, sig }], signed });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * TAP 16: does `bytes` hold `key`'s valid cosignature of exactly this tree root and size? Returns a reason
 * when not (a missing, malformed, foreign or wrong-root cosignature simply does not count).
 */
export function checkCosignature(bytes: Uint8Array, key: Key, head: Pick<MerkleTreeHead, 'epoch' | 'root' | 'size'>): string | undefined {
  let value: unknown;
  try {
    value = parseJsonStrict(bytes, COSIGNATURE_MAX_LENGTH);
  } catch (err) {
    if (err instanceof MetadataParseError) return `malformed (${err.message})`;
    throw err;
  }
  if (!isObject(value) || !isObject(value.signed) || !Array.isArray(value.signatures)) return 'not a cosignature envelope';
  const signed = value.signed;
  if (Object.keys(signed).sort().join(',') !== '_type,epoch,root,size,timestamp_version' || signed._type !== COSIGNATURE_TYPE) return 'not a tree cosignature';
  if (typeof signed.timestamp_version !== 'number' || !Number.isSafeInteger(signed.timestamp_version) || signed.timestamp_version < 1) return 'bad timestamp_version';
  // TAP 16 (auditors): the cosignature vouches for this root at the epoch the auditor saw it. Without the
  // epoch, the registry could sign a later timestamp naming an older audited root (a rollback of every role
  // for a fresh machine), or show two users two audited roots at one epoch (split view): red team 5.
  if (signed.epoch !== head.epoch) return `cosigns epoch ${String(signed.epoch).slice(0, 20)}, not the timestamp's epoch ${head.epoch}`;
  // the root and size this client pinned, not the ones the file claims to be about
  if (signed.root !== head.root || signed.size !== head.size) return `cosigns another tree (root ${String(signed.root).slice(0, 64)}, size ${String(signed.size).slice(0, 20)})`;
  const data = canonicalize(signed);
  for (const s of value.signatures) {
    if (!isObject(s) || s.keyid !== key.keyid || typeof s.sig !== 'string') continue;
    if (key.verify(data, s.sig)) return undefined;
  }
  return 'no valid signature by the auditor key';
}

/**
 * Strict reader of the user's auditor policy (JSON: {"threshold": n, "keys": {keyid: TUF key}}), from the
 * project's own files (tufpm-auditors.json), never from the registry. Each keyid must be the key's TUF keyid.
 */
export function parseAuditorPolicy(value: unknown, where: string): AuditorPolicy {
  const fail = (what: string): never => {
    throw new MetadataParseError(`${where}: ${what}`);
  };
  if (!isObject(value)) fail('must be an object');
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) if (k !== 'threshold' && k !== 'keys') fail(`unknown field ${k.slice(0, 40)}`);
  if (!isObject(obj.keys)) fail('keys must be an object of keyid -> key');
  const entries = Object.entries(obj.keys as Record<string, unknown>);
  if (entries.length < 1 || entries.length > 64) fail('keys must list 1 to 64 auditor keys');
  const keys = new Map<string, Key>();
  const fingerprints = new Set<string>();
  for (const [keyid, raw] of entries) {
    const key = Key.fromJSON(keyid, raw);
    if (key.computeKeyid() !== keyid) fail(`keyid ${keyid.slice(0, 64)} is not the TUF keyid of its key`);
    if (!key.isSupported()) fail(`key ${keyid} is of an unsupported type or malformed`);
    // one key under two keyids would count twice toward the threshold
    if (fingerprints.has(key.publicKeyFingerprint)) fail(`key ${keyid} is listed twice`);
    fingerprints.add(key.publicKeyFingerprint);
    keys.set(keyid, key);
  }
  const threshold = obj.threshold;
  if (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold < 1 || threshold > keys.size) {
    fail(`threshold must be an integer from 1 to the number of keys (${keys.size})`);
  }
  return { threshold: threshold as number, keys };
}
