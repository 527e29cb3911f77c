import { MetadataParseError } from './errors.js';

export type JsonObject = Record<string, unknown>;

export function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asObject(v: unknown, what: string): JsonObject {
  if (!isPlainObject(v)) throw new MetadataParseError(`${what} must be a JSON object`);
  return v;
}

/**
 * Reads the fields of one JSON object strictly and remembers which ones it consumed, so that the
 * rest can be kept verbatim as `unrecognized` and re-serialised (the signature covers them too).
 */
export class FieldReader {
  /** Names asked for so far (a handful per object: an array beats a Set here). */
  private readonly seen: string[] = [];
  /** How many of `seen` the object has: when that is all its keys, rest() is empty without a scan. */
  private present = 0;
  readonly obj: JsonObject;

  constructor(obj: unknown, readonly what: string) {
    this.obj = asObject(obj, what);
  }

  private has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, name);
  }

  private mark(name: string): boolean {
    const has = this.has(name);
    if (!this.seen.includes(name)) {
      this.seen.push(name);
      // only what Object.keys lists (an own, enumerable key) may be counted
      if (has && Object.prototype.propertyIsEnumerable.call(this.obj, name)) this.present++;
    }
    return has;
  }

  private take(name: string): unknown {
    if (!this.mark(name)) throw new MetadataParseError(`${this.what}: missing field "${name}"`);
    return this.obj[name];
  }

  optional(name: string): boolean {
    return this.mark(name);
  }

  raw(name: string): unknown {
    return this.take(name);
  }

  string(name: string): string {
    const v = this.take(name);
    if (typeof v !== 'string') throw new MetadataParseError(`${this.what}: "${name}" must be a string`);
    return v;
  }

  /** An integer >= min (JSON numbers are already integers; this also refuses booleans and strings). */
  int(name: string, min: number): number {
    const v = this.take(name);
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      throw new MetadataParseError(`${this.what}: "${name}" must be an integer`);
    }
    if (v < min) throw new MetadataParseError(`${this.what}: "${name}" must be >= ${min}, got ${v}`);
    return v;
  }

  bool(name: string): boolean {
    const v = this.take(name);
    if (typeof v !== 'boolean') throw new MetadataParseError(`${this.what}: "${name}" must be a boolean`);
    return v;
  }

  object(name: string): JsonObject {
    return asObject(this.take(name), `${this.what}.${name}`);
  }

  array(name: string): unknown[] {
    const v = this.take(name);
    if (!Array.isArray(v)) throw new MetadataParseError(`${this.what}: "${name}" must be an array`);
    return v;
  }

  stringArray(name: string): string[] {
    const arr = this.array(name);
    for (const s of arr) {
      if (typeof s !== 'string') throw new MetadataParseError(`${this.what}: "${name}" must contain only strings`);
    }
    return arr as string[];
  }

  /** The fields not consumed so far, kept verbatim. */
  rest(): JsonObject {
    const out: JsonObject = {};
    const keys = Object.keys(this.obj);
    if (keys.length === this.present) return out;
    for (const k of keys) {
      if (!this.seen.includes(k)) defineField(out, k, this.obj[k]);
    }
    return out;
  }
}

/** Sets a property safely even for the key "__proto__". */
export function defineField(target: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Copies `unrecognized` into `out` without letting it shadow the fields the model owns. */
export function withUnrecognized(known: JsonObject, unrecognized: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(unrecognized)) defineField(out, k, unrecognized[k]);
  for (const k of Object.keys(known)) defineField(out, k, known[k]);
  return out;
}

/** Parses a hashes object: non-empty, string values (algorithms are checked when verifying). */
export function parseHashes(v: unknown, what: string): Record<string, string> {
  const obj = asObject(v, what);
  const keys = Object.keys(obj);
  if (keys.length === 0) throw new MetadataParseError(`${what} must list at least one hash`);
  const out: Record<string, string> = {};
  for (const k of keys) {
    const h = obj[k];
    if (typeof h !== 'string') throw new MetadataParseError(`${what}.${k} must be a string`);
    defineField(out, k, h);
  }
  return out;
}

/**
 * `YYYY-MM-DDTHH:MM:SSZ` exactly (what python-tuf writes and accepts). Anything else, including
 * valid RFC 3339 variants with fractions or offsets, is malformed: never "never expires".
 */
const EXPIRES = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

export function parseExpires(v: unknown, what: string): Date {
  if (typeof v !== 'string') throw new MetadataParseError(`${what}: "expires" must be a string`);
  const fast = expiresFast(v);
  if (fast !== undefined) return fast;
  const m = EXPIRES.exec(v);
  if (m === null) throw new MetadataParseError(`${what}: "expires" is not YYYY-MM-DDTHH:MM:SSZ: ${JSON.stringify(v)}`);
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]), h = Number(m[4]), mi = Number(m[5]), s = Number(m[6]);
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  // Date normalises out-of-range fields (month 13, Feb 30, 24:00); a round trip exposes them.
  if (
    y < 1 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d ||
    date.getUTCHours() !== h || date.getUTCMinutes() !== mi || date.getUTCSeconds() !== s
  ) {
    throw new MetadataParseError(`${what}: "expires" is not a valid date: ${JSON.stringify(v)}`);
  }
  return date;
}

/** Two ASCII digits at `i` of `v` as a number, or -1. */
function digits2(v: string, i: number): number {
  const a = v.charCodeAt(i) - 0x30;
  const b = v.charCodeAt(i + 1) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * parseExpires for the usual case, without a regex match, six Numbers and a Date round trip (once per role
 * fetched): the exact layout, every field in range (days per month of a Gregorian year), years 100..9999.
 * Anything else, valid or not, is left to the general path (undefined), which decides and words the error.
 */
export function expiresFast(v: string): Date | undefined {
  if (v.length !== 20 || v.charCodeAt(4) !== 0x2d || v.charCodeAt(7) !== 0x2d || v.charCodeAt(10) !== 0x54 ||
    v.charCodeAt(13) !== 0x3a || v.charCodeAt(16) !== 0x3a || v.charCodeAt(19) !== 0x5a) return undefined;
  const c = digits2(v, 0), yy = digits2(v, 2), mo = digits2(v, 5), d = digits2(v, 8), h = digits2(v, 11), mi = digits2(v, 14), s = digits2(v, 17);
  if (c < 1 || yy < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return undefined;
  const y = c * 100 + yy;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (mo === 2 ? (leap ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31)) return undefined;
  // Date.UTC maps years 0..99 to 1900..1999; c >= 1 keeps y >= 100 out of that range
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** Throws what formatExpires throws for `d`, without formatting it. */
export function checkExpires(d: Date): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new MetadataParseError('expires must be a valid Date');
  const y = d.getUTCFullYear();
  if (y < 1 || y > 9999) throw new MetadataParseError('expires year must be within 0001..9999');
}

export function formatExpires(d: Date): string {
  checkExpires(d);
  const y = d.getUTCFullYear();
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${String(y).padStart(4, '0')}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}Z`;
}

/**
 * An untrusted field value for an error message: bounded, and never recursing into arrays or objects
 * (JSON.stringify of a value nested deeper than the stack throws a RangeError, an untyped crash; fuzzing
 * found it through Delegations.fromJSON, issue 19).
 */
export function shownValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}
