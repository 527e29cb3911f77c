// The Merkle profile's proof cache (TAP 16, ADR 0022): the proofs (and auditor cosignatures) verified under
// one tree root, kept in the metadata cache so that a warm install under an unchanged root, or an offline
// one (`unsafeOffline`), makes no proof requests. One file, `merkle-proofs.cache` (role files end in .json,
// so no role can collide with it), read once and written once per session, atomically, like the role pack.
//
// Trust: none. Every proof read back is verified again against the session's pinned root by the trusted set
// (a proof of another root, or a tampered one, fails and is fetched again); every cosignature is checked
// again against the pinned epoch, root and size. The file only spares the round trips.
//
// Bounds: the file holds the entries of ONE root (the session's pinned one replaces an older file), at most
// MAX_ENTRIES proofs and as many cosignatures, each at most its download bound; the whole file at most
// MAX_FILE_BYTES, checked before it is read. Parsed strictly (parseJsonStrict, exact fields); anything
// unexpected discards the whole file (an empty cache).
//
// Format: {"cosignatures": {<keyid>: <base64>}, "format": 1, "proofs": {<role>: <base64>}, "root": <hex>}
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MetadataParseError, canonicalize, parseJsonStrict } from '@tufpm/models';
import { writeFileAtomic } from '@tufpm/merkle';
import { PRIVATE_FILE_MODE, isErrno } from './cache.js';
import { CacheError } from './errors.js';
import { COSIGNATURE_MAX_LENGTH } from './merkle-cosignature.js';
import { MERKLE_PROOF_MAX_LENGTH } from './merkle-view.js';

export const PROOF_CACHE_FILE = 'merkle-proofs.cache';
/** proofs (and cosignatures) kept for one root: a project's roles, not the registry's */
export const MAX_ENTRIES = 100_000;
/** a role name's bound in the file (role names of the profile are far shorter) */
const MAX_NAME_LENGTH = 1024;
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface StoredProofs {
  root: string;
  proofs: Map<string, Uint8Array>;
  cosignatures: Map<string, Uint8Array>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function entries(value: unknown, maxBytes: number, validName: (name: string) => boolean): Map<string, Uint8Array> | undefined {
  if (!isObject(value)) return undefined;
  const names = Object.keys(value);
  if (names.length > MAX_ENTRIES) return undefined;
  const out = new Map<string, Uint8Array>();
  for (const name of names) {
    const text = value[name];
    // base64 of at most maxBytes bytes
    if (!validName(name) || typeof text !== 'string' || text.length > Math.ceil(maxBytes / 3) * 4 || text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
    out.set(name, new Uint8Array(Buffer.from(text, 'base64')));
  }
  return out;
}

/** Parses the cache file; undefined (an empty cache) on anything unexpected. Nothing in it is trusted. */
export function parseStoredProofs(bytes: Uint8Array): StoredProofs | undefined {
  let value: unknown;
  try {
    value = parseJsonStrict(bytes, MAX_FILE_BYTES);
  } catch (err) {
    if (err instanceof MetadataParseError) return undefined;
    throw err;
  }
  if (!isObject(value) || Object.keys(value).sort().join(',') !== 'cosignatures,format,proofs,root' || value.format !== 1) return undefined;
  if (typeof value.root !== 'string' || !/^[0-9a-f]{64}$/.test(value.root)) return undefined;
  const proofs = entries(value.proofs, MERKLE_PROOF_MAX_LENGTH, (n) => n.length > 0 && n.length <= MAX_NAME_LENGTH);
  const cosignatures = entries(value.cosignatures, COSIGNATURE_MAX_LENGTH, (n) => /^[0-9a-f]{64}$/.test(n));
  if (proofs === undefined || cosignatures === undefined) return undefined;
  return { root: value.root, proofs, cosignatures };
}

export function serializeStoredProofs(stored: StoredProofs): Uint8Array {
  const b64 = (map: Map<string, Uint8Array>) => Object.fromEntries([...map].map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return canonicalize({ cosignatures: b64(stored.cosignatures), format: 1, proofs: b64(stored.proofs), root: stored.root });
}

/** The cache file of one metadata directory: read once, written (when anything was added) on flush. */
export class MerkleProofCache {
  readonly path: string;
  #loaded: Promise<StoredProofs | undefined> | undefined;
  #root: string | undefined;
  readonly #added: StoredProofs = { root: '', proofs: new Map(), cosignatures: new Map() };

  constructor(metadataDir: string) {
    this.path = join(metadataDir, PROOF_CACHE_FILE);
  }

  #load(): Promise<StoredProofs | undefined> {
    this.#loaded ??= (async () => {
      try {
        const st = statSync(this.path);
        if (!st.isFile() || st.size > MAX_FILE_BYTES) return undefined;
        return parseStoredProofs(new Uint8Array(await readFile(this.path)));
      } catch (err) {
        if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
        throw new CacheError(`cannot read ${this.path}`, { cause: err });
      }
    })();
    return this.#loaded;
  }

  /** The stored proof bytes of `role` under `root` (unverified: the caller verifies them against the root). */
  async proof(root: string, role: string): Promise<Uint8Array | undefined> {
    const stored = await this.#load();
    return stored?.root === root ? stored.proofs.get(role) : undefined;
  }

  /** The stored cosignature bytes of `keyid` under `root` (unverified: the caller checks them). */
  async cosignature(root: string, keyid: string): Promise<Uint8Array | undefined> {
    const stored = await this.#load();
    return stored?.root === root ? stored.cosignatures.get(keyid) : undefined;
  }

  /** Remember bytes verified in this session under `root` (one root per session). */
  add(root: string, kind: 'proofs' | 'cosignatures', name: string, bytes: Uint8Array): void {
    if (this.#root !== undefined && this.#root !== root) throw new CacheError(`proof cache: one root per session (${this.#root}, not ${root})`);
    this.#root = root;
    this.#added[kind].set(name, bytes);
  }

  /** Writes the stored entries of this root plus the ones added, atomically; a no-op when nothing was added. */
  async flush(): Promise<void> {
    const root = this.#root;
    if (root === undefined || this.#added.proofs.size + this.#added.cosignatures.size === 0) return;
    const stored = await this.#load();
    const keep = stored?.root === root ? stored : undefined;
    const merge = (kind: 'proofs' | 'cosignatures'): Map<string, Uint8Array> => {
      const out = new Map(keep?.[kind] ?? []);
      for (const [name, bytes] of this.#added[kind]) out.set(name, bytes);
      // bounded: past MAX_ENTRIES the entries of this session win, the oldest stored ones go
      while (out.size > MAX_ENTRIES) out.delete(out.keys().next().value!);
      return out;
    };
    const next: StoredProofs = { root, proofs: merge('proofs'), cosignatures: merge('cosignatures') };
    const bytes = serializeStoredProofs(next);
    try {
      // a cache: losing it after a power cut costs round trips, not security (no fsync)
      if (bytes.length <= MAX_FILE_BYTES) await writeFileAtomic(this.path, bytes, { mode: PRIVATE_FILE_MODE, durable: false });
    } catch (err) {
      throw new CacheError(`cannot write ${this.path}`, { cause: err });
    }
    this.#loaded = Promise.resolve(next);
    this.#added.proofs.clear();
    this.#added.cosignatures.clear();
  }
}
