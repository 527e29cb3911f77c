// One file for all delegated roles of a metadata cache: `delegated-roles.pack`. With one role per npm
// package an install touches hundreds of roles; one file per role costs an open/write/rename each on a cold
// install (~0.3 ms of main-thread time a role, measured in real Yarn installs) and an open/read each on a
// warm one. The pack is read once and written once per session, atomically. It also holds a copy of the
// top-level targets (whose own file stays): one delegation per claimed package makes it the largest file a
// warm install reads, and its record spares the strict parse and signature check while it is unchanged.
//
// Trust: the pack is a cache, like the per-role files it replaces. Every role read from it faces the same
// TUF 5.6 checks as a downloaded one (snapshot version and hashes, expiry, delegation), except that the
// signature check may be answered by the entry's verification record: the digest of the delegation (keys +
// threshold, see TrustedMetadataSet.delegationDigest) under which THESE bytes verified on this machine. The
// records are believed only when the pack's seal opens: one HMAC-SHA256 under the machine's record key over
// the whole list of entries (names, exact bytes, digests), checked once when the pack is read (ADR 0011;
// one seal per file rather than one per entry, ADR 0020: a warm install reads every entry it needs anyway,
// and one HMAC over the file costs a fraction of hundreds of short ones). The key lives outside the pack
// (the installer's state directory), so whoever can write the pack can neither make a seal nor keep one
// for other bytes: a pack whose seal does not open has no records, each role's signatures are verified like
// a download's, and the next write seals only what this session verified. Without a key no record is
// written or believed.
//
// Format (all integers big-endian), parsed strictly; anything unexpected discards the whole pack:
//   "tufpm-role-pack 3\n" | u8 seal length (0 or 32) | seal | body
//   body, repeated: u16 name length | name (UTF-8) | u32 bytes length | bytes | u8 digest length (0 or 32) | digest
//   seal = HMAC-SHA256(key, SEAL_CONTEXT | body)
// Version 1 (unauthenticated digests) and 2 (one HMAC per entry) packs fail the magic check: an empty cache.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CacheError } from './errors.js';
import { writeFileAtomic } from '@tufpm/merkle';
import { PRIVATE_FILE_MODE, isErrno } from './cache.js';

const MAGIC = Buffer.from('tufpm-role-pack 3\n', 'latin1');
const MAX_NAME_BYTES = 1024;
const DIGEST_BYTES = 32;
const SEAL_BYTES = 32;
const SEAL_CONTEXT = Buffer.from('tufpm-role-pack-seal 3\0', 'latin1');
/** Bytes of a record key (HMAC-SHA256: a key as long as the hash output). */
export const RECORD_KEY_BYTES = 32;
export const ROLE_PACK_FILE = 'delegated-roles.pack';

/** A role as the pack holds it: its bytes and the delegation digest (32 bytes) it verified under, if recorded. */
export interface PackEntry {
  bytes: Uint8Array;
  digest: Uint8Array | undefined;
}

/** A parsed pack: its entries, its seal (if any) and the body the seal covers. */
export interface ParsedRolePack {
  roles: Map<string, PackEntry>;
  seal: Uint8Array | undefined;
  body: Uint8Array;
}

/** A role as the Updater sees it: `verifiedUnder` is set only when the entry's record authenticated. */
export interface PackedRole {
  bytes: Uint8Array;
  /** hex sha256 of the delegation these bytes verified under, or undefined (verify the signatures) */
  verifiedUnder: string | undefined;
}

function sealOf(key: Uint8Array, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update(SEAL_CONTEXT).update(body).digest();
}

/** True when the pack's seal was made with `key` over exactly this body: its records may then be believed. */
export function rolePackSealOpens(key: Uint8Array, pack: ParsedRolePack): boolean {
  return pack.seal !== undefined && timingSafeEqual(sealOf(key, pack.body), pack.seal);
}

/** Parses a pack; returns undefined (the cache is then empty) on any malformation. The seal is not checked here. */
export function parseRolePack(data: Uint8Array, maxRoleBytes: number): ParsedRolePack | undefined {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < MAGIC.length + 1 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const sealLength = buf[MAGIC.length]!;
  if ((sealLength !== 0 && sealLength !== SEAL_BYTES) || MAGIC.length + 1 + sealLength > buf.length) return undefined;
  const seal = sealLength === 0 ? undefined : buf.subarray(MAGIC.length + 1, MAGIC.length + 1 + sealLength);
  const bodyStart = MAGIC.length + 1 + sealLength;
  const out = new Map<string, PackEntry>();
  let at = bodyStart;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  while (at < buf.length) {
    // every length is bounded before it is used to read
    if (at + 2 > buf.length) return undefined;
    const nameLength = buf.readUInt16BE(at);
    at += 2;
    if (nameLength === 0 || nameLength > MAX_NAME_BYTES || at + nameLength + 4 > buf.length) return undefined;
    let name: string;
    try {
      name = decoder.decode(buf.subarray(at, at + nameLength));
    } catch {
      return undefined; // invalid UTF-8: TextDecoder's only failure
    }
    at += nameLength;
    const length = buf.readUInt32BE(at);
    at += 4;
    if (length > maxRoleBytes || at + length + 1 > buf.length) return undefined;
    const bytes = buf.subarray(at, at + length);
    at += length;
    const digestLength = buf[at]!;
    at += 1;
    if ((digestLength !== 0 && digestLength !== DIGEST_BYTES) || at + digestLength > buf.length) return undefined;
    const digest = digestLength === 0 ? undefined : buf.subarray(at, at + digestLength);
    at += digestLength;
    if (out.has(name)) return undefined;
    out.set(name, { bytes, digest });
  }
  return { roles: out, seal, body: buf.subarray(bodyStart) };
}

/** The pack file of `roles`, sealed with `key`; without a key, unsealed and without digests (nothing to believe). */
export function serializeRolePack(roles: ReadonlyMap<string, PackEntry>, key?: Uint8Array): Uint8Array {
  const parts: Buffer[] = [];
  for (const [name, role] of roles) {
    const nameBytes = Buffer.from(name, 'utf8');
    if (nameBytes.length === 0 || nameBytes.length > MAX_NAME_BYTES) throw new CacheError(`role name of ${nameBytes.length} bytes cannot be packed`);
    const head = Buffer.alloc(2 + nameBytes.length + 4);
    head.writeUInt16BE(nameBytes.length, 0);
    nameBytes.copy(head, 2);
    head.writeUInt32BE(role.bytes.length, 2 + nameBytes.length);
    const digest = key === undefined || role.digest === undefined ? Buffer.alloc(0) : Buffer.from(role.digest.buffer, role.digest.byteOffset, role.digest.byteLength);
    if (digest.length !== 0 && digest.length !== DIGEST_BYTES) throw new CacheError(`a delegation digest must be ${DIGEST_BYTES} bytes`);
    parts.push(head, Buffer.from(role.bytes.buffer, role.bytes.byteOffset, role.bytes.byteLength), Buffer.from([digest.length]), digest);
  }
  const body = Buffer.concat(parts);
  const seal = key === undefined ? Buffer.alloc(0) : sealOf(key, body);
  return Buffer.concat([MAGIC, Buffer.from([seal.length]), seal, body]);
}

/** The delegated roles of one metadata directory, loaded on first use and written back by flush(). */
export class RolePack {
  readonly path: string;
  readonly #recordKey: Uint8Array | undefined;
  #roles: Map<string, PackEntry> | undefined;
  /** name -> what get() answered (compared by set(): a role read back unchanged is not rewritten) */
  readonly #answered = new Map<string, PackedRole>();
  #dirty = false;

  /** `recordKey` (RECORD_KEY_BYTES, kept outside the pack's directory tree by the caller): without it no record is made or believed. */
  constructor(dir: string, private readonly maxRoleBytes: number, private readonly maxPackBytes: number, recordKey?: Uint8Array) {
    this.path = join(dir, ROLE_PACK_FILE);
    if (recordKey !== undefined && recordKey.length !== RECORD_KEY_BYTES) throw new CacheError(`a record key must be ${RECORD_KEY_BYTES} bytes`);
    this.#recordKey = recordKey;
  }

  #load(): Map<string, PackEntry> {
    if (this.#roles !== undefined) return this.#roles;
    let pack: ParsedRolePack | undefined;
    try {
      const st = statSync(this.path);
      // bound before reading: a pack larger than the limit is discarded like a corrupt one
      if (st.isFile() && st.size <= this.maxPackBytes) pack = parseRolePack(readFileSync(this.path), this.maxRoleBytes);
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw new CacheError(`cannot read ${this.path}`, { cause: err });
    }
    const roles = pack?.roles ?? new Map<string, PackEntry>();
    // A seal that does not open (no key, another key, any byte of the body changed) vouches for no entry.
    // Its digests are dropped here, not merely ignored: the next write seals every entry it holds, and must
    // not seal a digest this session did not verify.
    const key = this.#recordKey;
    if (pack !== undefined && (key === undefined || !rolePackSealOpens(key, pack))) {
      for (const [name, entry] of roles) if (entry.digest !== undefined) roles.set(name, { bytes: entry.bytes, digest: undefined });
    }
    this.#roles = roles;
    return roles;
  }

  get(name: string): PackedRole | undefined {
    const answered = this.#answered.get(name);
    if (answered !== undefined) return answered;
    const entry = this.#load().get(name);
    if (entry === undefined) return undefined;
    // #load kept a digest only under a seal that opened with this machine's key; without one the bytes
    // face the signature check like downloaded ones, never accepted on the pack's word.
    const role = { bytes: entry.bytes, verifiedUnder: entry.digest === undefined ? undefined : Buffer.from(entry.digest).toString('hex') };
    this.#answered.set(name, role);
    return role;
  }

  set(name: string, role: PackedRole): void {
    const roles = this.#load();
    // A warm install sets every role it read back unchanged (the very same bytes, the same record): no
    // rewrite, and no seal to compute.
    const old = this.#answered.get(name);
    if (old !== undefined && old.verifiedUnder === role.verifiedUnder && (old.bytes === role.bytes || Buffer.from(old.bytes).equals(role.bytes))) return;
    let digest: Buffer | undefined;
    if (this.#recordKey !== undefined && role.verifiedUnder !== undefined) {
      digest = Buffer.from(role.verifiedUnder, 'hex');
      if (digest.length !== DIGEST_BYTES) throw new CacheError('a delegation digest must be 32 bytes');
    }
    roles.set(name, { bytes: role.bytes, digest });
    this.#answered.set(name, role);
    this.#dirty = true;
  }

  /** Writes the pack when it changed (atomically; no fsync: a lost pack costs downloads, not security). */
  async flush(): Promise<void> {
    if (!this.#dirty || this.#roles === undefined) return;
    const data = serializeRolePack(this.#roles, this.#recordKey);
    try {
      await writeFileAtomic(this.path, data, { mode: PRIVATE_FILE_MODE, durable: false });
    } catch (err) {
      throw new CacheError(`cannot write ${this.path}`, { cause: err });
    }
    this.#dirty = false;
  }
}
