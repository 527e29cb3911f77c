import { MetadataParseError } from './errors.js';

/**
 * TUF 4.1 (metaformat): signatures cover the canonical JSON form.
 * Canonical JSON as securesystemslib's `encode_canonical` produces it (the bytes TUF signs):
 * object keys sorted by Unicode code point (Python's `sorted` on str), no whitespace, integers only,
 * strings escaped only for `\` and `"` (everything else, control characters included, is emitted raw),
 * UTF-8 output. Properties whose value is `undefined` are skipped (like JSON.stringify) so that
 * `toJSON()` implementations can leave optional fields out simply.
 */
export function canonicalize(value: unknown): Uint8Array {
  return Buffer.from(canonicalString(value), 'utf8');
}

/** The canonical JSON text (before UTF-8 encoding). */
export function canonicalString(value: unknown): string {
  return encode(value, 0, encodeString);
}

/**
 * Standard, parseable JSON with the same sorted keys and no whitespace, but JSON string escapes.
 * Canonical JSON is for signing only: it emits control characters (the newlines of a PEM key) raw,
 * which no JSON parser accepts, so files on disk and on the wire use this form.
 */
export function sortedJson(value: unknown): Uint8Array {
  return Buffer.from(encode(value, 0, encodeJsonString), 'utf8');
}

function encodeJsonString(s: string): string {
  if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    throw new MetadataParseError('JSON: string contains a lone surrogate');
  }
  return JSON.stringify(s);
}

// Deep nesting is an attack on the stack, not real metadata.
const MAX_DEPTH = 512;

// One native scan decides whether a string needs any work: quote/backslash to escape, or a
// surrogate to check for well-formedness.
const NEEDS_WORK = /["\\\uD800-\uDFFF]/;
const ESCAPE_ALL = /["\\]/g;

function encodeString(s: string): string {
  if (!NEEDS_WORK.test(s)) return `"${s}"`;
  // Lone surrogates cannot be encoded to UTF-8; securesystemslib would fail too, so refuse rather
  // than silently substitute U+FFFD (which would change the signed bytes).
  if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    throw new MetadataParseError('canonical JSON: string contains a lone surrogate');
  }
  return `"${s.replace(ESCAPE_ALL, '\\$&')}"`;
}

const SURROGATE_OR_ABOVE = /[\uD800-\uFFFF]/;

/**
 * Code-point order. Native (UTF-16) order is the same unless some key holds a character at or
 * above U+D800, so the common case uses the fast built-in sort.
 */
function sortKeys(keys: string[]): string[] {
  for (const k of keys) {
    if (SURROGATE_OR_ABOVE.test(k)) return keys.sort(compareCodePoints);
  }
  return keys.sort();
}

/**
 * Compares by Unicode code point, as Python does. UTF-16 code-unit order differs from code-point
 * order only when one side is a surrogate (astral char) and the other is U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

function encode(value: unknown, depth: number, str: (s: string) => string): string {
  if (depth > MAX_DEPTH) throw new MetadataParseError('canonical JSON: nesting too deep');
  switch (typeof value) {
    case 'string':
      return str(value);
    case 'number':
      // TUF canonical JSON has no floats; integers beyond 2^53 cannot be represented exactly here.
      if (!Number.isSafeInteger(value)) {
        throw new MetadataParseError(`canonical JSON: only safe integers are allowed, got ${value}`);
      }
      return Object.is(value, -0) ? '0' : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += encode(value[i], depth + 1, str);
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new MetadataParseError(`canonical JSON: unsupported object type ${proto?.constructor?.name}`);
      }
      const obj = value as Record<string, unknown>;
      const keys = sortKeys(Object.keys(obj));
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += str(k) + ':' + encode(v, depth + 1, str);
      }
      return out + '}';
    }
    default:
      throw new MetadataParseError(`canonical JSON: unsupported value of type ${typeof value}`);
  }
}
