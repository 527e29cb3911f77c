// In-memory TUF repository for tests: metadata built as plain JSON, signed with real ed25519 keys
// (models' canonical JSON + signer), served over real HTTP on 127.0.0.1:0, every request counted.
// Mutate the JSON, then publish()/updateSnapshot() to make a new repository state visible.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalize, generateEcdsaP256KeyPair, generateEd25519KeyPair, type Signer } from '@tufpm/models';

export interface SimKey {
  signer: Signer;
  keyid: string;
  json: Record<string, unknown>;
}

export function newKey(type: 'ed25519' | 'ecdsa' = 'ed25519'): SimKey {
  const { signer, key } = type === 'ecdsa' ? generateEcdsaP256KeyPair() : generateEd25519KeyPair();
  return { signer, keyid: key.keyid, json: key.toJSON() };
}

type Json = Record<string, any>;
type Override = Uint8Array | ((req: http.IncomingMessage, res: http.ServerResponse) => void);

const DAY = 86_400_000;
export function isoIn(ms: number): string {
  return new Date(Math.floor((Date.now() + ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function sha256hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function signEnvelope(signed: Json, keys: SimKey[], canonical = false): Uint8Array {
  const bytes = canonicalize(signed);
  const signatures = keys.map((k) => ({ keyid: k.keyid, sig: k.signer.sign(bytes) }));
  // canonical: the whole file as canonical JSON, as tufpm-repo writes it
  return canonical ? canonicalize({ signatures, signed }) : new TextEncoder().encode(JSON.stringify({ signatures, signed }));
}

export interface DelegationSpec {
  name: string;
  paths?: string[];
  pathHashPrefixes?: string[];
  terminating?: boolean;
  threshold?: number;
  keys?: SimKey[];
}

export class RepoSim {
  readonly safeExpiry = isoIn(30 * DAY);
  computeHashes = false;
  /** write every file as canonical JSON (tufpm-repo does; python-tuf and this simulator by default do not) */
  canonicalFiles = false;
  prefixTargetsWithHash = true;
  /** signers per role (top-level and delegated) */
  readonly signers = new Map<string, SimKey[]>();
  /** current (mutable) signed part of every role */
  readonly signed = new Map<string, Json>();
  /** published bytes: role -> version -> bytes, and the latest per role */
  readonly published = new Map<string, Map<number, Uint8Array>>();
  readonly latest = new Map<string, Uint8Array>();
  readonly artifacts = new Map<string, { data: Uint8Array; hashes: Record<string, string> }>();
  /** every request path below the server root, in order */
  readonly requests: string[] = [];
  /** path (below the server root, e.g. 'metadata/timestamp.json') -> attacker-chosen response */
  readonly overrides = new Map<string, Override>();
  #server: http.Server | undefined;
  baseUrl = '';

  constructor() {
    for (const role of ['root', 'timestamp', 'snapshot', 'targets']) this.signers.set(role, [newKey()]);
    const keys: Json = {};
    const roles: Json = {};
    for (const role of ['root', 'timestamp', 'snapshot', 'targets']) {
      const k = this.signers.get(role)![0]!;
      keys[k.keyid] = k.json;
      roles[role] = { keyids: [k.keyid], threshold: 1 };
    }
    this.signed.set('root', { _type: 'root', spec_version: '1.0.31', version: 1, expires: this.safeExpiry, consistent_snapshot: true, keys, roles });
    this.signed.set('targets', { _type: 'targets', spec_version: '1.0.31', version: 1, expires: this.safeExpiry, targets: {} });
    this.signed.set('snapshot', { _type: 'snapshot', spec_version: '1.0.31', version: 1, expires: this.safeExpiry, meta: { 'targets.json': { version: 1 } } });
    this.signed.set('timestamp', { _type: 'timestamp', spec_version: '1.0.31', version: 1, expires: this.safeExpiry, meta: { 'snapshot.json': { version: 1 } } });
    for (const role of ['root', 'targets', 'snapshot', 'timestamp']) this.publish(role, false);
  }

  get root(): Json { return this.signed.get('root')!; }
  get timestamp(): Json { return this.signed.get('timestamp')!; }
  get snapshot(): Json { return this.signed.get('snapshot')!; }
  get targets(): Json { return this.signed.get('targets')!; }
  role(name: string): Json { return this.signed.get(name)!; }

  rootBytes(version = 1): Uint8Array {
    return this.published.get('root')!.get(version)!;
  }

  /** sign the role's current JSON (bumping its version when it was published before) and serve it */
  publish(role: string, bump = true, signers?: SimKey[]): Uint8Array {
    const signed = this.signed.get(role)!;
    const versions = this.published.get(role) ?? new Map<number, Uint8Array>();
    if (bump && versions.size > 0) signed.version += 1;
    const bytes = signEnvelope(signed, signers ?? this.signers.get(role)!, this.canonicalFiles);
    versions.set(signed.version, bytes);
    this.published.set(role, versions);
    this.latest.set(role, bytes);
    return bytes;
  }

  #metaFor(role: string): Json {
    const bytes = this.latest.get(role)!;
    const meta: Json = { version: this.signed.get(role)!.version };
    if (this.computeHashes) {
      meta.length = bytes.length;
      meta.hashes = { sha256: sha256hex(bytes) };
    }
    return meta;
  }

  updateTimestamp(): void {
    this.timestamp.meta = { 'snapshot.json': this.#metaFor('snapshot') };
    this.publish('timestamp');
  }

  /** list every published targets role in snapshot, publish snapshot and timestamp */
  updateSnapshot(): void {
    const meta: Json = {};
    for (const role of this.published.keys()) {
      if (['root', 'timestamp', 'snapshot'].includes(role)) continue;
      meta[`${role}.json`] = this.#metaFor(role);
    }
    this.snapshot.meta = meta;
    this.publish('snapshot');
    this.updateTimestamp();
  }

  /** add an artifact to `role`'s targets (sha256 + sha512 hashes) */
  addTarget(role: string, path: string, data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const hashes = { sha256: sha256hex(bytes), sha512: createHash('sha512').update(bytes).digest('hex') };
    this.role(role).targets[path] = { length: bytes.length, hashes };
    this.artifacts.set(path, { data: bytes, hashes });
  }

  /** delegate from `delegator` to a new (or existing) role, listed last; creates and publishes the role */
  addDelegation(delegator: string, spec: DelegationSpec): SimKey[] {
    const d = this.role(delegator);
    d.delegations ??= { keys: {}, roles: [] };
    const keys = spec.keys ?? this.signers.get(spec.name) ?? [newKey()];
    for (const k of keys) d.delegations.keys[k.keyid] = k.json;
    const entry: Json = { name: spec.name, keyids: keys.map((k) => k.keyid), threshold: spec.threshold ?? 1, terminating: spec.terminating ?? false };
    if (spec.pathHashPrefixes) entry.path_hash_prefixes = spec.pathHashPrefixes;
    else entry.paths = spec.paths ?? ['*'];
    d.delegations.roles.push(entry);
    if (!this.signers.has(spec.name)) this.signers.set(spec.name, keys);
    if (!this.signed.has(spec.name)) {
      this.signed.set(spec.name, { _type: 'targets', spec_version: '1.0.31', version: 1, expires: this.safeExpiry, targets: {} });
      this.publish(spec.name, false);
    }
    return keys;
  }

  /**
   * The delegation most tests start from: `targets` delegates pkg/* to role `pkg`, which signs pkg/a.tgz
   * ('a'); pkg (v2), targets and the snapshot are published.
   */
  publishPkgRole(): void {
    this.addDelegation('targets', { name: 'pkg', paths: ['pkg/*'] });
    this.addTarget('pkg', 'pkg/a.tgz', 'a');
    this.publish('pkg');
    this.publish('targets');
    this.updateSnapshot();
  }

  /** TAP 15 succinct hash bins under `delegator`, all signed by one new key */
  addSuccinctRoles(delegator: string, bitLength: number, namePrefix: string): string[] {
    const key = newKey();
    const d = this.role(delegator);
    d.delegations = { keys: { [key.keyid]: key.json }, succinct_roles: { keyids: [key.keyid], threshold: 1, bit_length: bitLength, name_prefix: namePrefix } };
    const names: string[] = [];
    const width = Math.ceil(bitLength / 4);
    for (let i = 0; i < 2 ** bitLength; i++) {
      const name = `${namePrefix}-${i.toString(16).padStart(width, '0')}`;
      names.push(name);
      this.signers.set(name, [key]);
      this.signed.set(name, { _type: 'targets', spec_version: '1.0.31', version: 1, expires: this.safeExpiry, targets: {} });
      this.publish(name, false);
    }
    return names;
  }

  static binFor(targetPath: string, bitLength: number, namePrefix: string): string {
    const h = createHash('sha256').update(targetPath).digest();
    const bin = h.readUInt32BE(0) >>> (32 - bitLength);
    return `${namePrefix}-${bin.toString(16).padStart(Math.ceil(bitLength / 4), '0')}`;
  }

  /** replace the keys of a top-level role in root with `count` new ones (root itself is not published) */
  rotateKeys(role: string, count = 1): SimKey[] {
    const fresh = Array.from({ length: count }, () => newKey());
    for (const k of fresh) this.root.keys[k.keyid] = k.json;
    this.root.roles[role] = { keyids: fresh.map((k) => k.keyid), threshold: count };
    this.signers.set(role, fresh);
    return fresh;
  }

  metadataRequests(): string[] {
    return this.requests.filter((r) => r.startsWith('metadata/')).map((r) => r.slice('metadata/'.length));
  }

  count(path: string): number {
    return this.requests.filter((r) => r === path).length;
  }

  #respond(path: string): Uint8Array | undefined {
    if (path.startsWith('metadata/')) {
      const file = decodeURIComponent(path.slice('metadata/'.length));
      if (!file.endsWith('.json')) return undefined;
      const stem = file.slice(0, -'.json'.length);
      const m = /^(\d+)\.(.+)$/.exec(stem);
      const consistent = this.root.consistent_snapshot === true;
      if (m && (m[2] === 'root' || (consistent && m[2] !== 'timestamp'))) {
        return this.published.get(m[2]!)?.get(Number(m[1]));
      }
      if (stem === 'root' || (consistent && stem !== 'timestamp')) return undefined;
      return this.latest.get(stem);
    }
    if (path.startsWith('targets/')) {
      const parts = decodeURIComponent(path.slice('targets/'.length)).split('/');
      let prefix: string | undefined;
      if (this.root.consistent_snapshot === true && this.prefixTargetsWithHash) {
        const base = parts.pop()!;
        const dot = base.indexOf('.');
        if (dot < 0) return undefined;
        prefix = base.slice(0, dot);
        parts.push(base.slice(dot + 1));
      }
      const artifact = this.artifacts.get(parts.join('/'));
      if (artifact === undefined) return undefined;
      if (prefix !== undefined && !Object.values(artifact.hashes).includes(prefix)) return undefined;
      return artifact.data;
    }
    return undefined;
  }

  async serve(): Promise<void> {
    this.#server = http.createServer((req, res) => {
      const path = (req.url ?? '/').replace(/^\//, '');
      this.requests.push(path);
      const override = this.overrides.get(path);
      if (typeof override === 'function') return override(req, res);
      const body = override ?? this.#respond(path);
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(body);
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  get metadataUrl(): string { return `${this.baseUrl}/metadata/`; }
  get targetsUrl(): string { return `${this.baseUrl}/targets/`; }

  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
