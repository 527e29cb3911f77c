import { MetadataParseError, RepositoryError } from './errors.js';
import { FieldReader, defineField, type JsonObject } from './fields.js';
import type { Key } from './key.js';
import type { Metadata } from './metadata.js';
import { Delegations } from './delegations.js';
import type { DelegatedRole, Role } from './role.js';
import { Signed, readCommonFields, type SignedOptions } from './signed.js';
import { TargetFile } from './target-file.js';
import { getVerificationResult, verifyThreshold, type VerificationResult } from './verification.js';
import { MAX_TARGETS_PER_ROLE } from './limits.js';

export interface TargetsOptions extends SignedOptions {
  targets?: Map<string, TargetFile>;
  delegations?: Delegations;
}

/** targets.json and every delegated targets role (for tufpm: one per npm package). */
export class Targets extends Signed {
  readonly type = 'targets' as const;
  targets: Map<string, TargetFile>;
  delegations?: Delegations;

  constructor(opts: TargetsOptions = {}) {
    super(opts);
    this.targets = opts.targets ?? new Map();
    if (opts.delegations !== undefined) this.delegations = opts.delegations;
  }

  static fromJSON(obj: unknown): Targets {
    const r = new FieldReader(obj, 'targets');
    const common = readCommonFields(r, 'targets');
    const targetsObj = r.object('targets');
    const targets = new Map<string, TargetFile>();
    const paths = Object.keys(targetsObj);
    if (paths.length > MAX_TARGETS_PER_ROLE) throw new MetadataParseError(`targets: ${paths.length} targets, more than the ${MAX_TARGETS_PER_ROLE} allowed`);
    for (const path of paths) targets.set(path, TargetFile.fromJSON(path, targetsObj[path]));
    const opts: TargetsOptions = { specVersion: common.specVersion, version: common.version, expires: common.expires, targets };
    if (r.optional('delegations')) opts.delegations = Delegations.fromJSON(r.raw('delegations'));
    opts.unrecognized = r.rest();
    return new Targets(opts);
  }

  protected fieldsToJSON(): JsonObject {
    const targets: JsonObject = {};
    for (const [path, t] of this.targets) defineField(targets, path, t.toJSON());
    const out: JsonObject = { targets };
    if (this.delegations !== undefined) out['delegations'] = this.delegations.toJSON();
    return out;
  }

  private delegatedRole(roleName: string): { role: Role; keys: Map<string, Key> } {
    const role = this.delegations?.getRole(roleName);
    if (this.delegations === undefined || role === undefined) throw new RepositoryError(`no delegation to role "${roleName}"`);
    return { role, keys: this.delegations.keys };
  }

  getVerificationResult(roleName: string, delegate: Metadata<Signed>, signedBytes?: Uint8Array): VerificationResult {
    const { role, keys } = this.delegatedRole(roleName);
    return getVerificationResult(keys, role, delegate, signedBytes);
  }

  /**
   * TUF 5.6.3 for delegated roles: delegate must carry signatures of at least `threshold` distinct
   * keys that this delegator lists for roleName. Throws UnsignedMetadataError otherwise,
   * RepositoryError if there is no such delegation or delegate is not targets metadata.
   */
  verifyDelegate(roleName: string, delegate: Metadata<Signed>, signedBytes?: Uint8Array): VerificationResult {
    if (delegate.signed.type !== 'targets') throw new RepositoryError(`expected targets metadata for ${roleName}, got ${delegate.signed.type}`);
    const { role, keys } = this.delegatedRole(roleName);
    return verifyThreshold(keys, role, delegate, roleName, signedBytes);
  }

  /**
   * Adds (or replaces in place, keeping its position) a delegated role, adds its keys to the
   * delegation keys and to the role's keyids.
   */
  addDelegatedRole(role: DelegatedRole, keys: Key[]): void {
    if (this.delegations === undefined) this.delegations = new Delegations({ roles: [] });
    const d = this.delegations;
    if (d.roles === undefined) throw new RepositoryError('delegations use succinct_roles; cannot add a named role');
    for (const k of keys) {
      d.keys.set(k.keyid, k);
      if (!role.keyids.includes(k.keyid)) role.keyids.push(k.keyid);
    }
    const i = d.roles.findIndex((r) => r.name === role.name);
    if (i >= 0) d.roles[i] = role;
    else d.roles.push(role);
    d.invalidateIndex();
  }

  /** Removes a delegated role (its keys stay if another role still uses them). */
  removeDelegatedRole(name: string): void {
    const d = this.delegations;
    if (d?.roles === undefined) throw new RepositoryError(`no delegation to role "${name}"`);
    const i = d.roles.findIndex((r) => r.name === name);
    if (i < 0) throw new RepositoryError(`no delegation to role "${name}"`);
    const [removed] = d.roles.splice(i, 1);
    for (const keyid of removed!.keyids) {
      if (!d.roles.some((r) => r.keyids.includes(keyid))) d.keys.delete(keyid);
    }
    d.invalidateIndex();
  }
}
