import { digestHex } from './hashes.js';
import { MetadataParseError } from './errors.js';
import { FieldReader, shownValue, withUnrecognized, type JsonObject } from './fields.js';
import { compilePathPattern, type CompiledPathPattern } from './path-pattern.js';
import { MAX_KEYIDS_PER_ROLE } from './limits.js';

export function checkKeyids(keyids: unknown, what: string): string[] {
  if (!Array.isArray(keyids) || !keyids.every((k) => typeof k === 'string')) {
    throw new MetadataParseError(`${what}: keyids must be an array of strings`);
  }
  // TUF 4.3 (THRESHOLD): a keyid listed twice would count twice towards the threshold.
  if (keyids.length > MAX_KEYIDS_PER_ROLE) throw new MetadataParseError(`${what}: ${keyids.length} keyids, more than the ${MAX_KEYIDS_PER_ROLE} allowed`);
  if (new Set(keyids).size !== keyids.length) throw new MetadataParseError(`${what}: duplicate keyid in role`);
  return keyids as string[];
}

export function checkThreshold(t: unknown, what: string): number {
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 1) {
    throw new MetadataParseError(`${what}: threshold must be an integer >= 1, got ${shownValue(t)}`);
  }
  return t;
}

/** Keys and threshold of a role (root's top-level roles; base of delegated roles). */
export class Role {
  keyids: string[];
  threshold: number;
  unrecognized: JsonObject;

  constructor(keyids: string[] = [], threshold = 1, unrecognized: JsonObject = {}) {
    this.keyids = checkKeyids(keyids, 'role');
    this.threshold = checkThreshold(threshold, 'role');
    this.unrecognized = unrecognized;
  }

  static fromJSON(obj: unknown, what = 'role'): Role {
    const r = new FieldReader(obj, what);
    const keyids = checkKeyids(r.raw('keyids'), what);
    const threshold = checkThreshold(r.raw('threshold'), what);
    return new Role(keyids, threshold, r.rest());
  }

  toJSON(): JsonObject {
    return withUnrecognized({ keyids: [...this.keyids], threshold: this.threshold }, this.unrecognized);
  }
}

export interface DelegatedRoleOptions {
  name: string;
  keyids?: string[];
  threshold?: number;
  terminating: boolean;
  paths?: string[];
  pathHashPrefixes?: string[];
  unrecognized?: JsonObject;
}

/** A role listed in `delegations.roles`: a name, keys, threshold, and the targets it is trusted for. */
export class DelegatedRole extends Role {
  name: string;
  terminating: boolean;
  paths?: string[];
  pathHashPrefixes?: string[];
  // Patterns are compiled once and reused until `paths` is replaced or grows.
  private compiled: { source: string[]; length: number; patterns: CompiledPathPattern[] } | undefined;

  constructor(opts: DelegatedRoleOptions) {
    super(opts.keyids ?? [], opts.threshold ?? 1, opts.unrecognized ?? {});
    if (typeof opts.name !== 'string' || opts.name === '') throw new MetadataParseError('delegated role: name must be a non-empty string');
    if (typeof opts.terminating !== 'boolean') throw new MetadataParseError(`delegated role ${opts.name}: terminating must be a boolean`);
    // TUF 4.5: exactly one of "paths" and "path_hash_prefixes".
    if ((opts.paths === undefined) === (opts.pathHashPrefixes === undefined)) {
      throw new MetadataParseError(`delegated role ${opts.name}: exactly one of paths and path_hash_prefixes must be set`);
    }
    this.name = opts.name;
    this.terminating = opts.terminating;
    if (opts.paths !== undefined) this.paths = opts.paths;
    if (opts.pathHashPrefixes !== undefined) this.pathHashPrefixes = opts.pathHashPrefixes;
  }

  static override fromJSON(obj: unknown): DelegatedRole {
    const r = new FieldReader(obj, 'delegated role');
    const name = r.string('name');
    const what = `delegated role ${name}`;
    const keyids = checkKeyids(r.raw('keyids'), what);
    const threshold = checkThreshold(r.raw('threshold'), what);
    const terminating = r.bool('terminating');
    const paths = r.optional('paths') ? r.stringArray('paths') : undefined;
    const pathHashPrefixes = r.optional('path_hash_prefixes') ? r.stringArray('path_hash_prefixes') : undefined;
    const opts: DelegatedRoleOptions = { name, keyids, threshold, terminating, unrecognized: r.rest() };
    if (paths !== undefined) opts.paths = paths;
    if (pathHashPrefixes !== undefined) opts.pathHashPrefixes = pathHashPrefixes;
    return new DelegatedRole(opts);
  }

  override toJSON(): JsonObject {
    const out: JsonObject = {
      name: this.name,
      keyids: [...this.keyids],
      threshold: this.threshold,
      terminating: this.terminating,
    };
    if (this.paths !== undefined) out['paths'] = [...this.paths];
    if (this.pathHashPrefixes !== undefined) out['path_hash_prefixes'] = [...this.pathHashPrefixes];
    return withUnrecognized(out, this.unrecognized);
  }

  /** The compiled `paths` patterns (empty when the role uses path_hash_prefixes). */
  compiledPatterns(): readonly CompiledPathPattern[] {
    const paths = this.paths;
    if (paths === undefined) return [];
    const c = this.compiled;
    if (c !== undefined && c.source === paths && c.length === paths.length) return c.patterns;
    const patterns = paths.map(compilePathPattern);
    this.compiled = { source: paths, length: paths.length, patterns };
    return patterns;
  }

  /** TUF 5.6.7.2: is this role trusted for targetPath (by path pattern or by hash prefix)? */
  isDelegatedPath(targetPath: string, segments?: readonly string[], pathHash?: string): boolean {
    if (this.paths !== undefined) {
      const seg = segments ?? targetPath.split('/');
      for (const p of this.compiledPatterns()) if (p.matchSegments(seg)) return true;
      return false;
    }
    if (this.pathHashPrefixes !== undefined) {
      const h = pathHash ?? digestHex('sha256', Buffer.from(targetPath, 'utf8'));
      return this.pathHashPrefixes.some((prefix) => h.startsWith(prefix));
    }
    return false;
  }
}
