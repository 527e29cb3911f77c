import { MetadataParseError } from './errors.js';
import { digestHex } from './hashes.js';
import { FieldReader, defineField, withUnrecognized, type JsonObject } from './fields.js';
import { Key } from './key.js';
import { DelegatedRole, type Role } from './role.js';
import { isTopLevelRole } from './signed.js';
import { SuccinctRoles } from './succinct-roles.js';
import { MAX_DELEGATED_ROLES, MAX_DELEGATION_KEYS } from './limits.js';

export interface RoleForTarget {
  name: string;
  terminating: boolean;
  role: Role;
}

function addTo(map: Map<string, number[]>, key: string, i: number): void {
  const bucket = map.get(key);
  if (bucket === undefined) map.set(key, [i]);
  else if (bucket[bucket.length - 1] !== i) bucket.push(i);
}

/**
 * Index of `paths` patterns by their leading literal segments. A target path can only match a
 * pattern whose literal prefix equals a prefix of the target's segments, so a lookup costs one Map
 * probe per target segment instead of one match per delegated role (DESIGN.md 4: tens of thousands
 * of per-package roles). `path_hash_prefixes` roles are indexed by prefix, probed once per distinct
 * prefix length with one sha256 of the target path.
 */
class PathIndex {
  readonly byPrefix = new Map<string, number[]>();
  readonly byHashPrefix = new Map<string, number[]>();
  readonly hashPrefixLengths: number[] = [];
  /** Roles that must always be checked: patterns starting with a wildcard. */
  readonly always: number[] = [];

  constructor(roles: readonly DelegatedRole[]) {
    const lengths = new Set<number>();
    roles.forEach((role, i) => {
      const patterns = role.compiledPatterns();
      if (role.paths === undefined) {
        for (const prefix of role.pathHashPrefixes ?? []) {
          lengths.add(prefix.length);
          addTo(this.byHashPrefix, prefix, i);
        }
        return;
      }
      const keys = new Set<string>();
      for (const p of patterns) {
        if (p.literalPrefix.length === 0) {
          if (this.always[this.always.length - 1] !== i) this.always.push(i);
        } else {
          keys.add(p.literalPrefix.join('/'));
        }
      }
      for (const k of keys) addTo(this.byPrefix, k, i);
    });
    this.hashPrefixLengths = [...lengths];
  }

  /** Indices of roles that might match, ascending (the delegator's order). */
  candidates(segments: readonly string[], pathHash: string | undefined): number[] {
    const found: number[] = [...this.always];
    if (pathHash !== undefined) {
      for (const len of this.hashPrefixLengths) {
        const bucket = this.byHashPrefix.get(pathHash.slice(0, len));
        if (bucket !== undefined) for (const i of bucket) found.push(i);
      }
    }
    let key = '';
    for (let k = 0; k < segments.length; k++) {
      key = k === 0 ? segments[0]! : `${key}/${segments[k]!}`;
      const bucket = this.byPrefix.get(key);
      if (bucket !== undefined) for (const i of bucket) found.push(i);
    }
    if (found.length > 1) {
      found.sort((a, b) => a - b);
      // A role with several patterns may sit in several buckets.
      let w = 1;
      for (let r = 1; r < found.length; r++) if (found[r] !== found[w - 1]) found[w++] = found[r]!;
      found.length = w;
    }
    return found;
  }
}

export interface DelegationsOptions {
  keys?: Map<string, Key>;
  roles?: DelegatedRole[];
  succinctRoles?: SuccinctRoles;
  unrecognized?: JsonObject;
}

/** The `delegations` of a targets role: keys, and either an ORDERED list of roles or succinct hash bins. */
export class Delegations {
  keys: Map<string, Key>;
  /** Ordered exactly as the delegator lists them: the order is trust order (TUF 5.6.7.2). */
  roles?: DelegatedRole[];
  succinctRoles?: SuccinctRoles;
  unrecognized: JsonObject;
  private index: { roles: DelegatedRole[]; length: number; index: PathIndex } | undefined;
  private byName: { roles: DelegatedRole[]; length: number; map: Map<string, DelegatedRole> } | undefined;

  constructor(opts: DelegationsOptions = {}) {
    this.keys = opts.keys ?? new Map();
    if (opts.roles !== undefined && opts.succinctRoles !== undefined) {
      throw new MetadataParseError('delegations: only one of roles and succinct_roles may be set');
    }
    if (opts.roles !== undefined) {
      const names = new Set<string>();
      for (const role of opts.roles) {
        // Compared case- and compatibility-folded: on case-insensitive file systems (macOS, Windows) a role
        // named "Timestamp" would be cached over timestamp.json and erase the rollback reference.
        const folded = role.name.normalize('NFKC').toLowerCase();
        if (isTopLevelRole(folded)) throw new MetadataParseError(`delegations: a delegated role cannot be named "${role.name}"`);
        // TUF 4.5 ROLENAME: unique within one delegations object.
        if (names.has(folded)) throw new MetadataParseError(`delegations: duplicate role name "${role.name}"`);
        names.add(folded);
      }
      this.roles = opts.roles;
    } else if (opts.succinctRoles !== undefined) {
      this.succinctRoles = opts.succinctRoles;
    } else {
      // Neither given: an empty ordered list (a new delegator that has not delegated yet).
      this.roles = [];
    }
    this.unrecognized = opts.unrecognized ?? {};
  }

  static fromJSON(obj: unknown): Delegations {
    const r = new FieldReader(obj, 'delegations');
    const keysObj = r.object('keys');
    const keys = new Map<string, Key>();
    const keyids = Object.keys(keysObj);
    if (keyids.length > MAX_DELEGATION_KEYS) throw new MetadataParseError(`delegations: ${keyids.length} keys, more than the ${MAX_DELEGATION_KEYS} allowed`);
    for (const keyid of keyids) keys.set(keyid, Key.fromJSON(keyid, keysObj[keyid]));
    const hasRoles = r.optional('roles');
    const hasSuccinct = r.optional('succinct_roles');
    if (hasRoles === hasSuccinct) throw new MetadataParseError('delegations: exactly one of roles and succinct_roles must be set');
    const opts: DelegationsOptions = { keys };
    if (hasRoles) {
      const roles = r.array('roles');
      if (roles.length > MAX_DELEGATED_ROLES) throw new MetadataParseError(`delegations: ${roles.length} roles, more than the ${MAX_DELEGATED_ROLES} allowed`);
      opts.roles = roles.map((x) => DelegatedRole.fromJSON(x));
    }
    else opts.succinctRoles = SuccinctRoles.fromJSON(r.raw('succinct_roles'));
    opts.unrecognized = r.rest();
    return new Delegations(opts);
  }

  toJSON(): JsonObject {
    const keys: JsonObject = {};
    for (const [id, k] of this.keys) defineField(keys, id, k.toJSON());
    const out: JsonObject = { keys };
    if (this.roles !== undefined) out['roles'] = this.roles.map((r) => r.toJSON());
    if (this.succinctRoles !== undefined) out['succinct_roles'] = this.succinctRoles.toJSON();
    return withUnrecognized(out, this.unrecognized);
  }

  /**
   * Forget the cached lookup structures. Needed only after mutating `roles` in place without
   * changing its length (e.g. `roles[i] = other` or editing a role's `paths` elements).
   */
  invalidateIndex(): void {
    this.index = undefined;
    this.byName = undefined;
  }

  private pathIndex(roles: DelegatedRole[]): PathIndex {
    const c = this.index;
    if (c !== undefined && c.roles === roles && c.length === roles.length) return c.index;
    const index = new PathIndex(roles);
    this.index = { roles, length: roles.length, index };
    return index;
  }

  /**
   * TUF 5.6.7.2: the roles trusted for targetPath, in the delegator's order, with their terminating
   * flag. Candidates come from the prefix index; each is confirmed with the full pattern match.
   */
  rolesForTarget(targetPath: string): RoleForTarget[] {
    if (this.succinctRoles !== undefined) {
      // TAP 15: exactly one bin is responsible, and bins are terminating (as in python-tuf).
      return [{ name: this.succinctRoles.getRoleForTarget(targetPath), terminating: true, role: this.succinctRoles }];
    }
    const roles = this.roles;
    if (roles === undefined || roles.length === 0) return [];
    const segments = targetPath.split('/');
    const index = this.pathIndex(roles);
    // One sha256 per lookup, shared by every hash-prefix role.
    const pathHash = index.hashPrefixLengths.length > 0 ? digestHex('sha256', Buffer.from(targetPath, 'utf8')) : undefined;
    const out: RoleForTarget[] = [];
    for (const i of index.candidates(segments, pathHash)) {
      const role = roles[i]!;
      if (role.isDelegatedPath(targetPath, segments, pathHash)) out.push({ name: role.name, terminating: role.terminating, role });
    }
    return out;
  }

  /** The role named `name` (a DelegatedRole, or the SuccinctRoles when `name` is one of its bins). */
  getRole(name: string): Role | undefined {
    if (this.succinctRoles !== undefined) return this.succinctRoles.isDelegatedRole(name) ? this.succinctRoles : undefined;
    const roles = this.roles;
    if (roles === undefined) return undefined;
    let c = this.byName;
    if (c === undefined || c.roles !== roles || c.length !== roles.length) {
      const map = new Map<string, DelegatedRole>();
      for (const r of roles) if (!map.has(r.name)) map.set(r.name, r);
      c = { roles, length: roles.length, map };
      this.byName = c;
    }
    return c.map.get(name);
  }
}
