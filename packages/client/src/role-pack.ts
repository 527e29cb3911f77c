// One file for all delegated roles of a metadata cache: `delegated-roles.pack`. With one role per npm
// package an install touches hundreds of roles; one file per role costs an open/write/rename each on a cold
// install (~0.3 ms of main-thread time a role, measured in real Yarn installs) and an open/read each on a
// warm one. The pack is read once and written once per session, atomically. It also holds a copy of the
// top-level targets (whose own file stays): one delegation per claimed package makes it the largest file a
// warm install reads, and its record spares the strict parse and signature check while it is unchanged.
//
// Trust: the pack is a cache, like the per-role files it replaces. Every role read from it faces the same
// TUF 5.6 checks as a downloaded one (snapshot version and hashes, expiry, delegation), except that the
// signature check may be answered by `verifiedUnder`: the digest of the delegation (keys + threshold) under
// which THESE bytes verified on this machine (see TrustedMetadataSet.delegationDigest). The cache directory
// is private (0700) and already holds the root the client starts from, so it is trusted to the same degree.
//
// Format (all integers big-endian), parsed strictly; anything unexpected discards the whole pack:
//   "tufpm-role-pack 1\n"
//   repeated: u16 name length | name (UTF-8) | u32 bytes length | bytes | u8 digest length (0 or 32) | digest
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CacheError } from './errors.js';
import { isErrno, writeFileAtomic } from './cache.js';

const MAGIC = Buffer.from('tufpm-role-pack 1\n', 'latin1');
const MAX_NAME_BYTES = 1024;
const DIGEST_BYTES = 32;
export const ROLE_PACK_FILE = 'delegated-roles.pack';

export interface PackedRole {
  bytes: Uint8Array;
  /** hex sha256 of the delegation these bytes verified under, or undefined (verify the signatures) */
  verifiedUnder: string | undefined;
}

/** Parses a pack; returns undefined (the cache is then empty) on any malformation. */
export function parseRolePack(data: Uint8Array, maxRoleBytes: number): Map<string, PackedRole> | undefined {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const out = new Map<string, PackedRole>();
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
    const digestLength = buf[at]!;
    at += 1;
    if ((digestLength !== 0 && digestLength !== DIGEST_BYTES) || at + digestLength > buf.length) return undefined;
    const verifiedUnder = digestLength === 0 ? undefined : buf.subarray(at, at + digestLength).toString('hex');
    at += digestLength;
    if (out.has(name)) return undefined;
    out.set(name, { bytes, verifiedUnder });
  }
  return out;
}

export function serializeRolePack(roles: ReadonlyMap<string, PackedRole>): Uint8Array {
  const parts: Buffer[] = [MAGIC];
  for (const [name, role] of roles) {
    const nameBytes = Buffer.from(name, 'utf8');
    if (nameBytes.length === 0 || nameBytes.length > MAX_NAME_BYTES) throw new CacheError(`role name of ${nameBytes.length} bytes cannot be packed`);
    const head = Buffer.alloc(2 + nameBytes.length + 4);
    head.writeUInt16BE(nameBytes.length, 0);
    nameBytes.copy(head, 2);
    head.writeUInt32BE(role.bytes.length, 2 + nameBytes.length);
    const digest = role.verifiedUnder === undefined ? Buffer.alloc(0) : Buffer.from(role.verifiedUnder, 'hex');
    if (digest.length !== 0 && digest.length !== DIGEST_BYTES) throw new CacheError('a role digest must be 32 bytes');
    parts.push(head, Buffer.from(role.bytes.buffer, role.bytes.byteOffset, role.bytes.byteLength), Buffer.from([digest.length]), digest);
  }
  return Buffer.concat(parts);
}

/** The delegated roles of one metadata directory, loaded on first use and written back by flush(). */
export class RolePack {
  readonly path: string;
  #roles: Map<string, PackedRole> | undefined;
  #dirty = false;

  constructor(dir: string, private readonly maxRoleBytes: number, private readonly maxPackBytes: number) {
    this.path = join(dir, ROLE_PACK_FILE);
  }

  #load(): Map<string, PackedRole> {
    if (this.#roles !== undefined) return this.#roles;
    let roles: Map<string, PackedRole> | undefined;
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
    return this.#load().get(name);
  }

  set(name: string, role: PackedRole): void {
    const roles = this.#load();
    const old = roles.get(name);
    // A warm install sets every role it read back unchanged (the very same bytes): no rewrite then.
    if (old !== undefined && old.verifiedUnder === role.verifiedUnder && (old.bytes === role.bytes || Buffer.from(old.bytes).equals(role.bytes))) return;
    roles.set(name, role);
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
