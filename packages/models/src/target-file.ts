import { LengthMismatchError, MetadataParseError } from './errors.js';
import { FieldReader, isPlainObject, parseHashes, withUnrecognized, type JsonObject } from './fields.js';
import { digestHex, verifyHashes, type HashAlgorithm } from './hashes.js';

/** A target (for tufpm: a tarball) with its signed length and hashes. */
export class TargetFile {
  path: string;
  length: number;
  hashes: Record<string, string>;
  custom?: unknown;
  unrecognized: JsonObject;

  constructor(path: string, length: number, hashes: Record<string, string>, custom?: unknown, unrecognized: JsonObject = {}) {
    if (!Number.isSafeInteger(length) || length < 0) throw new MetadataParseError(`target ${path}: length must be an integer >= 0`);
    this.path = path;
    this.length = length;
    this.hashes = hashes;
    if (custom !== undefined) this.custom = custom;
    this.unrecognized = unrecognized;
  }

  static fromJSON(path: string, obj: unknown): TargetFile {
    // The usual entries, `{"hashes": {...}, "length": n}` and, on an npm registry, `{"custom": ..., "hashes":
    // {...}, "length": n}` (canonical JSON orders the keys; a role holds one per published version, and a warm
    // install reads every one of its packages'), are read without a FieldReader. Anything else, or anything
    // invalid, takes the general path, which decides and words the error: both accept exactly the same entries.
    if (isPlainObject(obj)) {
      const keys = Object.keys(obj);
      const withCustom = keys.length === 3 && keys[0] === 'custom';
      if ((keys.length === 2 || withCustom) && keys[keys.length - 2] === 'hashes' && keys[keys.length - 1] === 'length') {
        const length = obj['length'];
        const hashes = obj['hashes'];
        if (typeof length === 'number' && Number.isSafeInteger(length) && length >= 0 && isPlainObject(hashes)) {
          return new TargetFile(path, length, parseHashes(hashes, `target ${path}.hashes`), withCustom ? obj['custom'] : undefined);
        }
      }
    }
    const what = `target ${path}`;
    const r = new FieldReader(obj, what);
    const length = r.int('length', 0);
    const hashes = parseHashes(r.raw('hashes'), `${what}.hashes`);
    const custom = r.optional('custom') ? r.raw('custom') : undefined;
    return new TargetFile(path, length, hashes, custom, r.rest());
  }

  toJSON(): JsonObject {
    const out: JsonObject = { length: this.length, hashes: { ...this.hashes } };
    if (this.custom !== undefined) out['custom'] = this.custom;
    return withUnrecognized(out, this.unrecognized);
  }

  /** TUF 5.7.3: the length first (cheap, stops endless data), then every listed hash. */
  verifyLengthAndHashes(data: Uint8Array): void {
    if (data.length !== this.length) throw new LengthMismatchError(`target ${this.path}: expected ${this.length} bytes, got ${data.length}`);
    verifyHashes(data, this.hashes);
  }

  static fromData(path: string, data: Uint8Array, algs: HashAlgorithm[] = ['sha256', 'sha512']): TargetFile {
    const hashes: Record<string, string> = {};
    for (const a of algs) hashes[a] = digestHex(a, data);
    return new TargetFile(path, data.length, hashes);
  }
}
