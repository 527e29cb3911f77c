import { MetadataParseError } from './errors.js';
import { FieldReader, checkExpires, formatExpires, parseExpires, shownValue, withUnrecognized, type JsonObject } from './fields.js';

/** The TUF specification version tufpm writes. Readers accept any 1.x(.y). */
export const SPECIFICATION_VERSION = '1.0.31';

export type TopLevelRole = 'root' | 'timestamp' | 'snapshot' | 'targets';
export const TOP_LEVEL_ROLE_NAMES: readonly TopLevelRole[] = ['root', 'timestamp', 'snapshot', 'targets'];

export function isTopLevelRole(name: string): name is TopLevelRole {
  return name === 'root' || name === 'timestamp' || name === 'snapshot' || name === 'targets';
}

/** One entry of the `signatures` array of a metadata envelope. */
export class Signature {
  constructor(public keyid: string, public sig: string, public unrecognized: JsonObject = {}) {}

  static fromJSON(obj: unknown): Signature {
    const r = new FieldReader(obj, 'signature');
    const keyid = r.string('keyid');
    const sig = r.string('sig');
    return new Signature(keyid, sig, r.rest());
  }

  toJSON(): JsonObject {
    return withUnrecognized({ keyid: this.keyid, sig: this.sig }, this.unrecognized);
  }
}

export interface SignedOptions {
  specVersion?: string;
  version?: number;
  expires?: Date;
  unrecognized?: JsonObject;
}

/** The fields every `signed` object has. */
export interface CommonFields {
  specVersion: string;
  version: number;
  expires: Date;
  unrecognized: JsonObject;
}

// Every accepted spec_version, in one regex (checked on every metadata file parsed).
export const SPEC_VERSION_1 = /^1\.[0-9]+(?:\.[0-9]+)?$/;

function checkSpecVersion(v: string, what: string): void {
  if (SPEC_VERSION_1.test(v)) return;
  // Same rule as python-tuf: "major.minor" or "major.minor.patch", digits only, major 1.
  const parts = v.split('.');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => /^[0-9]+$/.test(p))) {
    throw new MetadataParseError(`${what}: malformed spec_version ${JSON.stringify(v)}`);
  }
  if (parts[0] !== '1') throw new MetadataParseError(`${what}: unsupported spec_version ${JSON.stringify(v)}`);
}

export function checkVersion(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new MetadataParseError(`${what}: version must be an integer >= 1, got ${shownValue(v)}`);
  }
  return v;
}

/**
 * Base of Root, Timestamp, Snapshot and Targets. Subclasses read their own fields from the same
 * FieldReader; whatever nobody consumed is kept in `unrecognized` and written back, because the
 * signature covers it.
 */
export abstract class Signed {
  abstract readonly type: TopLevelRole;
  specVersion: string;
  version: number;
  expires: Date;
  unrecognized: JsonObject;

  constructor(opts: SignedOptions = {}) {
    this.specVersion = opts.specVersion ?? SPECIFICATION_VERSION;
    checkSpecVersion(this.specVersion, 'signed');
    this.version = checkVersion(opts.version ?? 1, 'signed');
    // Default like python-tuf: now, truncated to whole seconds (the wire format has no fractions).
    this.expires = opts.expires ?? new Date(Math.floor(Date.now() / 1000) * 1000);
    checkExpires(this.expires); // throws MetadataParseError for an invalid Date or a year outside 1..9999
    this.unrecognized = opts.unrecognized ?? {};
  }

  /** TUF 5.3.10 / 5.4.4 / 5.5.6 / 5.6.5 (freeze attack): expired when the reference time is not before `expires`. */
  isExpired(now: Date): boolean {
    return now.getTime() >= this.expires.getTime();
  }

  bumpVersion(): void {
    this.version += 1;
  }

  /** The `signed` object as JSON-ready data, unknown fields included. */
  toJSON(): JsonObject {
    return withUnrecognized(
      {
        ...this.fieldsToJSON(),
        _type: this.type,
        spec_version: this.specVersion,
        version: this.version,
        expires: formatExpires(this.expires),
      },
      this.unrecognized,
    );
  }

  protected abstract fieldsToJSON(): JsonObject;
}

/**
 * Reads `_type`, `spec_version`, `version`, `expires` strictly. Call `r.rest()` only after the
 * subclass has consumed its own fields.
 */
export function readCommonFields(r: FieldReader, expectedType: TopLevelRole): Omit<CommonFields, 'unrecognized'> {
  // TUF 4.2: the _type field names the role type; a snapshot must not pass as a timestamp.
  const type = r.string('_type');
  if (type !== expectedType) throw new MetadataParseError(`expected _type "${expectedType}", got ${JSON.stringify(type)}`);
  // TUF 4.3 SPEC_VERSION: we accept the same major version.
  const specVersion = r.string('spec_version');
  checkSpecVersion(specVersion, expectedType);
  // TUF 4.3 VERSION: an integer greater than 0.
  const version = checkVersion(r.raw('version'), expectedType);
  // TUF 4.2 date-time / 4.3 EXPIRES: "YYYY-MM-DDTHH:MM:SSZ", never optional.
  const expires = parseExpires(r.raw('expires'), expectedType);
  return { specVersion, version, expires };
}
