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
// threshold, see TrustedMetadataSet.delegationDigest) under which THESE bytes verified on this machine,
// sealed with an HMAC-SHA256 under the machine's record key over the role name, that digest and the exact
// bytes (ADR 0011). The key lives outside the pack (the installer's state directory), so whoever can write
// the pack can neither make a record nor keep one for other bytes: such an entry has no record and its
// signatures are verified like a download's. Without a key no record is written or believed.
//
// Format (all integers big-endian), parsed strictly; anything unexpected discards the whole pack:
//   "tufpm-role-pack 2\n"
//   repeated: u16 name length | name (UTF-8) | u32 bytes length | bytes | u8 record length (0 or 64) |
//             record = delegation digest (32) | HMAC-SHA256(key, RECORD_CONTEXT | u16 name length | name | digest | bytes) (32)
// Version 1 packs (unauthenticated digests) fail the magic check: an empty cache.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CacheError } from './errors.js';
import { isErrno, writeFileAtomic } from './cache.js';

const MAGIC = Buffer.from('tufpm-role-pack 2\n', 'latin1');
const MAX_NAME_BYTES = 1024;
const DIGEST_BYTES = 32;
const RECORD_BYTES = 64;
const RECORD_CONTEXT = Buffer.from('tufpm-role-record 2\0', 'latin1');
/** Bytes of a record key (HMAC-SHA256: a key as long as the hash output). */
export const RECORD_KEY_BYTES = 32;
export const ROLE_PACK_FILE = 'delegated-roles.pack';

/** A role as the pack holds it: its bytes and, when sealed, the 64-byte verification record. */
export interface PackEntry {
  bytes: Uint8Array;
  record: Uint8Array | undefined;
}

/** A role as the Updater sees it: `verifiedUnder` is set only when the entry's record authenticated. */
export interface PackedRole {
  bytes: Uint8Array;
  /** hex sha256 of the delegation these bytes verified under, or undefined (verify the signatures) */
  verifiedUnder: string | undefined;
}

function recordMac(key: Uint8Array, name: string, digest: Uint8Array, bytes: Uint8Array): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const nameLength = Buffer.alloc(2);
  nameLength.writeUInt16BE(nameBytes.length, 0);
  // the name's length is framed so that no (name, bytes) pair reads as another
  return createHmac('sha256', key).update(RECORD_CONTEXT).update(nameLength).update(nameBytes).update(digest).update(bytes).digest();
}

/** The record stating that `bytes` of role `name` verified on this machine under the delegation `digestHex`. */
export function sealRecord(key: Uint8Array, name: string, bytes: Uint8Array, digestHex: string): Uint8Array {
  const digest = Buffer.from(digestHex, 'hex');
  if (digest.length !== DIGEST_BYTES) throw new CacheError('a delegation digest must be 32 bytes');
  return Buffer.concat([digest, recordMac(key, name, digest, bytes)]);
}

/** The delegation digest a record vouches for, or undefined when it was not made by `key` for these bytes. */
export function openRecord(key: Uint8Array, name: string, bytes: Uint8Array, record: Uint8Array): string | undefined {
  if (record.length !== RECORD_BYTES) return undefined;
  const digest = record.subarray(0, DIGEST_BYTES);
  const mac = recordMac(key, name, digest, bytes);
  return timingSafeEqual(mac, record.subarray(DIGEST_BYTES)) ? Buffer.from(digest).toString('hex') : undefined;
}

/** Parses a pack; returns undefined (the cache is then empty) on any malformation. Records are not checked here. */
export function parseRolePack(data: Uint8Array, maxRoleBytes: number): Map<string, PackEntry> | undefined {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const out = new Map<string, PackEntry>();
  let at = MAGIC.length;
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
    const recordLength = buf[at]!;
    at += 1;
    if ((recordLength !== 0 && recordLength !== RECORD_BYTES) || at + recordLength > buf.length) return undefined;
    const record = recordLength === 0 ? undefined : buf.subarray(at, at + recordLength);
    at += recordLength;
    if (out.has(name)) return undefined;
    out.set(name, { bytes, record });
  }
  return out;
}

export function serializeRolePack(roles: ReadonlyMap<string, PackEntry>): Uint8Array {
  const parts: Buffer[] = [MAGIC];
  for (const [name, role] of roles) {
    const nameBytes = Buffer.from(name, 'utf8');
    if (nameBytes.length === 0 || nameBytes.length > MAX_NAME_BYTES) throw new CacheError(`role name of ${nameBytes.length} bytes cannot be packed`);
    const head = Buffer.alloc(2 + nameBytes.length + 4);
    head.writeUInt16BE(nameBytes.length, 0);
    nameBytes.copy(head, 2);
    head.writeUInt32BE(role.bytes.length, 2 + nameBytes.length);
    const record = role.record === undefined ? Buffer.alloc(0) : Buffer.from(role.record.buffer, role.record.byteOffset, role.record.byteLength);
    if (record.length !== 0 && record.length !== RECORD_BYTES) throw new CacheError(`a verification record must be ${RECORD_BYTES} bytes`);
    parts.push(head, Buffer.from(role.bytes.buffer, role.bytes.byteOffset, role.bytes.byteLength), Buffer.from([record.length]), record);
  }
  return Buffer.concat(parts);
}

/** The delegated roles of one metadata directory, loaded on first use and written back by flush(). */
export class RolePack {
  readonly path: string;
  readonly #recordKey: Uint8Array | undefined;
  #roles: Map<string, PackEntry> | undefined;
  /** name -> what get() answered (the record opened once per session: it costs an HMAC over the bytes) */
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
    let roles: Map<string, PackEntry> | undefined;
    try {
      const st = statSync(this.path);
      // bound before reading: a pack larger than the limit is discarded like a corrupt one
      if (st.isFile() && st.size <= this.maxPackBytes) roles = parseRolePack(readFileSync(this.path), this.maxRoleBytes);
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw new CacheError(`cannot read ${this.path}`, { cause: err });
    }
    this.#roles = roles ?? new Map();
    return this.#roles;
  }

  get(name: string): PackedRole | undefined {
    const answered = this.#answered.get(name);
    if (answered !== undefined) return answered;
    const entry = this.#load().get(name);
    if (entry === undefined) return undefined;
    // A record that does not authenticate (no key, another key, other bytes, another name) is no record:
    // the bytes then face the signature check like downloaded ones, never accepted on its word.
    const key = this.#recordKey;
    const verifiedUnder = key === undefined || entry.record === undefined ? undefined : openRecord(key, name, entry.bytes, entry.record);
    const role = { bytes: entry.bytes, verifiedUnder };
    this.#answered.set(name, role);
    return role;
  }

  set(name: string, role: PackedRole): void {
    const roles = this.#load();
    // A warm install sets every role it read back unchanged (the very same bytes, the same record): no
    // rewrite, and no HMAC to compute.
    const old = this.#answered.get(name);
    if (old !== undefined && old.verifiedUnder === role.verifiedUnder && (old.bytes === role.bytes || Buffer.from(old.bytes).equals(role.bytes))) return;
    const key = this.#recordKey;
    const record = key === undefined || role.verifiedUnder === undefined ? undefined : sealRecord(key, name, role.bytes, role.verifiedUnder);
    roles.set(name, { bytes: role.bytes, record });
    this.#answered.set(name, role);
    this.#dirty = true;
  }

  /** Writes the pack when it changed (atomically; no fsync: a lost pack costs downloads, not security). */
  async flush(): Promise<void> {
    if (!this.#dirty || this.#roles === undefined) return;
    const data = serializeRolePack(this.#roles);
    try {
      await writeFileAtomic(this.path, data, { durable: false });
    } catch (err) {
      throw new CacheError(`cannot write ${this.path}`, { cause: err });
    }
    this.#dirty = false;
  }
}
