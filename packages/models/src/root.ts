import { MetadataParseError, RepositoryError } from './errors.js';
import { FieldReader, defineField, type JsonObject } from './fields.js';
import { Key } from './key.js';
import type { Metadata } from './metadata.js';
import { Role } from './role.js';
import { Signed, TOP_LEVEL_ROLE_NAMES, isTopLevelRole, readCommonFields, type SignedOptions, type TopLevelRole } from './signed.js';
import { getVerificationResult, verifyThreshold, type VerificationResult } from './verification.js';
import { MAX_ROOT_KEYS } from './limits.js';

export interface RootOptions extends SignedOptions {
  keys?: Map<string, Key>;
  roles?: Map<TopLevelRole, Role>;
  consistentSnapshot?: boolean;
}

/** root.json: the keys and thresholds of the four top-level roles. */
export class Root extends Signed {
  readonly type = 'root' as const;
  keys: Map<string, Key>;
  roles: Map<TopLevelRole, Role>;
  consistentSnapshot: boolean;
  // python-tuf treats consistent_snapshot as optional; remember whether it was there so that
  // re-serialising an old root reproduces the signed bytes.
  private consistentSnapshotListed: boolean;

  constructor(opts: RootOptions = {}) {
    super(opts);
    this.keys = opts.keys ?? new Map();
    this.roles = opts.roles ?? new Map(TOP_LEVEL_ROLE_NAMES.map((n) => [n, new Role([], 1)]));
    for (const n of TOP_LEVEL_ROLE_NAMES) {
      if (!this.roles.has(n)) throw new MetadataParseError(`root: missing role "${n}"`);
    }
    if (this.roles.size !== TOP_LEVEL_ROLE_NAMES.length) throw new MetadataParseError('root: only the four top-level roles may be listed');
    this.consistentSnapshot = opts.consistentSnapshot ?? true;
    this.consistentSnapshotListed = true;
  }

  static fromJSON(obj: unknown): Root {
    const r = new FieldReader(obj, 'root');
    const common = readCommonFields(r, 'root');
    const keysObj = r.object('keys');
    const keys = new Map<string, Key>();
    const keyids = Object.keys(keysObj);
    if (keyids.length > MAX_ROOT_KEYS) throw new MetadataParseError(`root: ${keyids.length} keys, more than the ${MAX_ROOT_KEYS} allowed`);
    for (const keyid of keyids) keys.set(keyid, Key.fromJSON(keyid, keysObj[keyid]));
    const rolesObj = r.object('roles');
    const roles = new Map<TopLevelRole, Role>();
    for (const name of Object.keys(rolesObj)) {
      // TUF 4.3 ROLE: exactly the four top-level roles (mirrors is not supported).
      if (!isTopLevelRole(name)) throw new MetadataParseError(`root: unknown role "${name}"`);
      roles.set(name, Role.fromJSON(rolesObj[name], `root.roles.${name}`));
    }
    const listed = r.optional('consistent_snapshot');
    const consistentSnapshot = listed ? r.bool('consistent_snapshot') : false;
    const root = new Root({ ...common, keys, roles, consistentSnapshot, unrecognized: r.rest() });
    root.consistentSnapshotListed = listed;
    return root;
  }

  protected fieldsToJSON(): JsonObject {
    const keys: JsonObject = {};
    for (const [id, k] of this.keys) defineField(keys, id, k.toJSON());
    const roles: JsonObject = {};
    for (const [name, role] of this.roles) roles[name] = role.toJSON();
    const out: JsonObject = { keys, roles };
    if (this.consistentSnapshotListed || this.consistentSnapshot) out['consistent_snapshot'] = this.consistentSnapshot;
    return out;
  }

  getRole(name: TopLevelRole): Role {
    const role = this.roles.get(name);
    if (role === undefined) throw new RepositoryError(`root has no role "${name}"`);
    return role;
  }

  /** Adds key to the keys and to the role's keyids (no-op if already there). */
  addKey(key: Key, role: TopLevelRole): void {
    const r = this.getRole(role);
    if (!r.keyids.includes(key.keyid)) r.keyids.push(key.keyid);
    this.keys.set(key.keyid, key);
  }

  /** Removes keyid from the role; drops the key itself once no role uses it. */
  revokeKey(keyid: string, role: TopLevelRole): void {
    const r = this.getRole(role);
    const i = r.keyids.indexOf(keyid);
    if (i < 0) throw new RepositoryError(`key ${keyid} is not used by role "${role}"`);
    r.keyids.splice(i, 1);
    for (const other of this.roles.values()) if (other.keyids.includes(keyid)) return;
    this.keys.delete(keyid);
  }

  /** Counts distinct keys of roleName that signed delegate; never throws for a bad signature. */
  getVerificationResult(roleName: TopLevelRole, delegate: Metadata<Signed>, signedBytes?: Uint8Array): VerificationResult {
    return getVerificationResult(this.keys, this.getRole(roleName), delegate, signedBytes);
  }

  /**
   * TUF 5.3.4 (root, call with the old and with the new root), 5.4.2 (timestamp), 5.5.3 (snapshot), 5.6.3 (targets):
   * delegate must carry signatures of at least `threshold` distinct keys of roleName.
   * Throws UnsignedMetadataError otherwise, RepositoryError if delegate is not of type roleName.
   */
  verifyDelegate(roleName: TopLevelRole, delegate: Metadata<Signed>, signedBytes?: Uint8Array): VerificationResult {
    if (delegate.signed.type !== roleName) {
      throw new RepositoryError(`expected ${roleName} metadata, got ${delegate.signed.type}`);
    }
    return verifyThreshold(this.keys, this.getRole(roleName), delegate, roleName, signedBytes);
  }
}
