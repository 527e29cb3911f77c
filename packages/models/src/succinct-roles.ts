import { digest } from './hashes.js';
import { MetadataParseError } from './errors.js';
import { FieldReader, withUnrecognized, type JsonObject } from './fields.js';
import { Role, checkKeyids, checkThreshold } from './role.js';

export interface SuccinctRolesOptions {
  keyids?: string[];
  threshold?: number;
  bitLength: number;
  namePrefix: string;
  unrecognized?: JsonObject;
}

/**
 * TAP 15 succinct hash-bin delegation: 2^bitLength bins named `${namePrefix}-${hex}`, all sharing one
 * set of keys and threshold; a target belongs to the bin given by the first bitLength bits of
 * sha256(targetPath).
 */
export class SuccinctRoles extends Role {
  bitLength: number;
  namePrefix: string;

  constructor(opts: SuccinctRolesOptions) {
    super(opts.keyids ?? [], opts.threshold ?? 1, opts.unrecognized ?? {});
    if (!Number.isSafeInteger(opts.bitLength) || opts.bitLength < 1 || opts.bitLength > 32) {
      throw new MetadataParseError(`succinct_roles: bit_length must be an integer in 1..32, got ${String(opts.bitLength)}`);
    }
    if (typeof opts.namePrefix !== 'string') throw new MetadataParseError('succinct_roles: name_prefix must be a string');
    this.bitLength = opts.bitLength;
    this.namePrefix = opts.namePrefix;
  }

  static override fromJSON(obj: unknown): SuccinctRoles {
    const r = new FieldReader(obj, 'succinct_roles');
    const keyids = checkKeyids(r.raw('keyids'), 'succinct_roles');
    const threshold = checkThreshold(r.raw('threshold'), 'succinct_roles');
    const bitLength = r.int('bit_length', 1);
    const namePrefix = r.string('name_prefix');
    return new SuccinctRoles({ keyids, threshold, bitLength, namePrefix, unrecognized: r.rest() });
  }

  override toJSON(): JsonObject {
    return withUnrecognized(
      { keyids: [...this.keyids], threshold: this.threshold, bit_length: this.bitLength, name_prefix: this.namePrefix },
      this.unrecognized,
    );
  }

  /** Number of hex digits in a bin suffix. */
  get suffixLength(): number {
    return Math.ceil(this.bitLength / 4);
  }

  get numberOfBins(): number {
    return 2 ** this.bitLength;
  }

  private binName(bin: number): string {
    return `${this.namePrefix}-${bin.toString(16).padStart(this.suffixLength, '0')}`;
  }

  /** TAP 15: the bin responsible for targetPath. */
  getRoleForTarget(targetPath: string): string {
    const h = digest('sha256', Buffer.from(targetPath, 'utf8'));
    const first32 = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
    // >>> keeps it unsigned; a shift by 32 would be a no-op in JS, hence the special case for bitLength 32.
    const bin = this.bitLength === 32 ? first32 : first32 >>> (32 - this.bitLength);
    return this.binName(bin);
  }

  *getRoles(): Iterable<string> {
    const n = this.numberOfBins;
    for (let i = 0; i < n; i++) yield this.binName(i);
  }

  /** True for exactly the names getRoles() yields (lowercase hex suffix of the right length). */
  isDelegatedRole(name: string): boolean {
    const prefix = this.namePrefix + '-';
    if (!name.startsWith(prefix)) return false;
    const suffix = name.slice(prefix.length);
    if (suffix.length !== this.suffixLength || !/^[0-9a-f]+$/.test(suffix)) return false;
    return parseInt(suffix, 16) < this.numberOfBins;
  }
}
