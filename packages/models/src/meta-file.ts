import { LengthMismatchError, MetadataParseError } from './errors.js';
import { FieldReader, parseHashes, withUnrecognized, type JsonObject } from './fields.js';
import { digestHex, verifyHashes, type HashAlgorithm } from './hashes.js';
import { checkVersion } from './signed.js';

/** An entry of timestamp/snapshot `meta`: the version (and optionally length and hashes) of a metadata file. */
export class MetaFile {
  version: number;
  length?: number;
  hashes?: Record<string, string>;
  unrecognized: JsonObject;

  constructor(version: number, length?: number, hashes?: Record<string, string>, unrecognized: JsonObject = {}) {
    this.version = checkVersion(version, 'meta');
    if (length !== undefined) {
      if (!Number.isSafeInteger(length) || length < 0) throw new MetadataParseError('meta: length must be an integer >= 0');
      this.length = length;
    }
    if (hashes !== undefined) this.hashes = hashes;
    this.unrecognized = unrecognized;
  }

  static fromJSON(obj: unknown, what = 'meta'): MetaFile {
    const r = new FieldReader(obj, what);
    const version = checkVersion(r.raw('version'), what);
    const length = r.optional('length') ? r.int('length', 0) : undefined;
    const hashes = r.optional('hashes') ? parseHashes(r.raw('hashes'), `${what}.hashes`) : undefined;
    return new MetaFile(version, length, hashes, r.rest());
  }

  toJSON(): JsonObject {
    const out: JsonObject = { version: this.version };
    if (this.length !== undefined) out['length'] = this.length;
    if (this.hashes !== undefined) out['hashes'] = { ...this.hashes };
    return withUnrecognized(out, this.unrecognized);
  }

  /** TUF 5.5.1-5.5.2 / 5.6.1-5.6.2: checks whichever of length and hashes are listed. */
  verifyLengthAndHashes(data: Uint8Array): void {
    if (this.length !== undefined && data.length !== this.length) {
      throw new LengthMismatchError(`expected ${this.length} bytes, got ${data.length}`);
    }
    if (this.hashes !== undefined) verifyHashes(data, this.hashes);
  }

  static fromData(version: number, data: Uint8Array, algs: HashAlgorithm[] = ['sha256']): MetaFile {
    const hashes: Record<string, string> = {};
    for (const a of algs) hashes[a] = digestHex(a, data);
    return new MetaFile(version, data.length, hashes);
  }
}
