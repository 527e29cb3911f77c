import { compareCodePoints } from './canonical-json.js';
import { LengthMismatchError, MetadataParseError } from './errors.js';

/** Default upper bound for parseJsonStrict input; callers that know better pass their own. */
export const DEFAULT_MAX_JSON_LENGTH = 256 * 1024 * 1024;

export interface ParseJsonOptions {
  /**
   * Accept numbers with a fraction or exponent. Off by default: TUF canonical JSON has no floats,
   * and `1.0` would silently become the integer 1 and change what the signature covers.
   */
  allowFloats?: boolean;
}

const MAX_DEPTH = 512;
// Characters a string run cannot contain raw (backslash starts an escape; controls must be escaped).
// A document with none of them anywhere (compact JSON without escapes: what tufpm writes) needs no
// per-string check at all; it also has no whitespace but spaces.
const NEEDS_SLOW_PATH = /[\\\u0000-\u001f]/;
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Strict JSON parser for attacker-controlled bytes: fatal UTF-8, no BOM, no duplicate object keys,
 * no lone surrogates, integers only (unless allowFloats) and only safe integers, bounded length
 * and nesting. Throws LengthMismatchError (too long) or MetadataParseError (anything else).
 */
export function parseJsonStrict(bytes: Uint8Array, maxLength = DEFAULT_MAX_JSON_LENGTH, options: ParseJsonOptions = {}): unknown {
  return parse(bytes, maxLength, options.allowFloats === true, false).value;
}

export interface ParsedEnvelope {
  value: unknown;
  /**
   * The bytes of the top-level object's `signed` member, exactly as received, when they already are
   * the canonical JSON (canonical-json.ts) of the parsed value: then they are what canonicalize()
   * would produce and what the signatures must cover. undefined when there is no such member or when
   * it is not canonical in any way (whitespace, key order, escapes, `-0`, ...): the caller then
   * canonicalizes. For an ASCII document it is a view into `bytes` (no copy).
   */
  canonicalSigned: Uint8Array | undefined;
}

/**
 * parseJsonStrict (same rules, floats refused) for a metadata envelope `{ "signed": ..., ... }`,
 * which also reports whether the `signed` value's own bytes are canonical JSON. Re-serialising the
 * parsed value costs about as much as parsing it, once per role fetched (one per npm package).
 */
export function parseEnvelopeStrict(bytes: Uint8Array, maxLength = DEFAULT_MAX_JSON_LENGTH): ParsedEnvelope {
  return parse(bytes, maxLength, false, true);
}

function parse(bytes: Uint8Array, maxLength: number, allowFloats: boolean, trackSigned: boolean): ParsedEnvelope {
  if (bytes.length > maxLength) {
    throw new LengthMismatchError(`JSON document of ${bytes.length} bytes exceeds the limit of ${maxLength}`);
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (err) {
    if (err instanceof TypeError) throw new MetadataParseError('JSON document is not valid UTF-8', { cause: err });
    throw err;
  }
  if (text.charCodeAt(0) === 0xfeff) throw new MetadataParseError('JSON document starts with a byte order mark');
  // Fatal UTF-8: one UTF-16 unit per byte exactly when every byte is ASCII.
  const ascii = text.length === bytes.length;
  const parser = new Parser(text, allowFloats, ascii, trackSigned);
  const value = parser.parseDocument();
  let canonicalSigned: Uint8Array | undefined;
  if (parser.signedCanonical) {
    const { signedStart: start, signedEnd: end } = parser;
    // Non-ASCII: encoding the canonical text again gives the same bytes (the fatal decoder accepts
    // only the one shortest UTF-8 form), and spares mapping UTF-16 offsets to byte offsets.
    canonicalSigned = ascii ? bytes.subarray(start, end) : Buffer.from(text.slice(start, end), 'utf8');
  }
  return { value, canonicalSigned };
}

/**
 * Recursive-descent parser. With trackSigned, it also watches whether the top-level `signed` value is
 * written exactly as canonicalize() would write it; `canon` is reset when that value starts and any
 * departure from the canonical form inside it clears it. Anything in doubt clears it too: the caller
 * then canonicalizes the parsed value, which is always correct, only slower.
 */
class Parser {
  private pos = 0;
  private canon = false;
  /** No backslash and no control character anywhere: strings need no per-string check. */
  private readonly plain: boolean;
  signedCanonical = false;
  signedStart = 0;
  signedEnd = 0;

  constructor(
    private readonly s: string,
    private readonly allowFloats: boolean,
    private readonly ascii: boolean,
    private readonly trackSigned: boolean,
  ) {
    this.plain = !NEEDS_SLOW_PATH.test(s);
  }

  parseDocument(): unknown {
    this.skipWs();
    const v = this.parseValue(0);
    this.skipWs();
    if (this.pos !== this.s.length) this.fail('trailing data after JSON value');
    return v;
  }

  private fail(msg: string): never {
    throw new MetadataParseError(`invalid JSON at offset ${this.pos}: ${msg}`);
  }

  private skipWs(): void {
    const s = this.s;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    // canonical JSON has no insignificant whitespace
    if (p !== this.pos) this.canon = false;
    this.pos = p;
  }

  private parseValue(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    const c = this.s.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: return this.parseObject(depth);
      case 0x5b: return this.parseArray(depth);
      case 0x22: return this.parseString();
      case 0x74: return this.literal('true', true);
      case 0x66: return this.literal('false', false);
      case 0x6e: return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
        return this.fail(Number.isNaN(c) ? 'unexpected end of input' : 'unexpected character');
    }
  }

  private literal<T>(word: string, value: T): T {
    if (!this.s.startsWith(word, this.pos)) this.fail('invalid literal');
    this.pos += word.length;
    return value;
  }

  private parseObject(depth: number): Record<string, unknown> {
    const s = this.s;
    const obj: Record<string, unknown> = {};
    this.pos++; // {
    this.skipWs();
    if (s.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return obj;
    }
    let prev: string | undefined;
    // True while every key so far was greater than the one before it in code-point order (canonical
    // order): then they are all distinct, and a next key greater than the last cannot repeat any of them.
    // For ASCII, code-point order is the native string order.
    let ascending = true;
    for (;;) {
      if (s.charCodeAt(this.pos) !== 0x22) this.fail('expected string key');
      const key = this.parseString();
      if (ascending && (prev === undefined || (this.ascii ? prev < key : compareCodePoints(prev, key) < 0))) {
        // in canonical order, and no duplicate
      } else {
        ascending = false;
        this.canon = false;
        if (Object.prototype.hasOwnProperty.call(obj, key)) this.fail(`duplicate object key ${JSON.stringify(key)}`);
      }
      prev = key;
      this.skipWs();
      if (s.charCodeAt(this.pos) !== 0x3a) this.fail('expected ":"');
      this.pos++;
      this.skipWs();
      let value: unknown;
      if (depth === 0 && this.trackSigned && key === 'signed') {
        const outer = this.canon;
        const start = this.pos;
        this.canon = true;
        value = this.parseValue(depth + 1);
        this.signedStart = start;
        this.signedEnd = this.pos;
        this.signedCanonical = this.canon;
        this.canon = outer;
      } else {
        value = this.parseValue(depth + 1);
      }
      if (key === '__proto__') {
        // An own data property, never the prototype setter.
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        obj[key] = value;
      }
      this.skipWs();
      const c = s.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.skipWs();
      } else if (c === 0x7d) {
        this.pos++;
        return obj;
      } else {
        this.fail('expected "," or "}"');
      }
    }
  }

  private parseArray(depth: number): unknown[] {
    const arr: unknown[] = [];
    this.pos++; // [
    this.skipWs();
    if (this.s.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return arr;
    }
    for (;;) {
      arr.push(this.parseValue(depth + 1));
      this.skipWs();
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.skipWs();
      } else if (c === 0x5d) {
        this.pos++;
        return arr;
      } else {
        this.fail('expected "," or "]"');
      }
    }
  }

  private parseString(): string {
    const s = this.s;
    const start = this.pos + 1; // after opening quote
    // Fast path: most strings have no escapes; find the closing quote natively and check the run
    // with one regex. Raw text cannot hold lone surrogates (the UTF-8 decoder is fatal).
    const end = s.indexOf('"', start);
    if (end < 0) {
      this.pos = s.length;
      this.fail('unterminated string');
    }
    if (this.plain) {
      this.pos = end + 1;
      return s.slice(start, end);
    }
    const run = s.slice(start, end);
    if (!NEEDS_SLOW_PATH.test(run)) {
      this.pos = end + 1;
      return run;
    }
    return this.parseStringSlow(start);
  }

  private parseStringSlow(from: number): string {
    const s = this.s;
    let p = from;
    let start = p;
    let out = '';
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 0x22) break;
      if (Number.isNaN(c)) {
        this.pos = p;
        this.fail('unterminated string');
      }
      if (c < 0x20) {
        this.pos = p;
        this.fail('unescaped control character in string');
      }
      if (c === 0x5c) {
        out += s.slice(start, p);
        p++;
        const e = s.charCodeAt(p);
        // canonical JSON escapes `"` and `\` exactly like this, and nothing else
        if (e !== 0x22 && e !== 0x5c) this.canon = false;
        switch (e) {
          case 0x22: out += '"'; break;
          case 0x5c: out += '\\'; break;
          case 0x2f: out += '/'; break;
          case 0x62: out += '\b'; break;
          case 0x66: out += '\f'; break;
          case 0x6e: out += '\n'; break;
          case 0x72: out += '\r'; break;
          case 0x74: out += '\t'; break;
          case 0x75: {
            const hex = s.slice(p + 1, p + 5);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              this.pos = p;
              this.fail('invalid \\u escape');
            }
            out += String.fromCharCode(parseInt(hex, 16));
            p += 4;
            break;
          }
          default:
            this.pos = p;
            this.fail('invalid escape');
        }
        p++;
        start = p;
        continue;
      }
      p++;
    }
    out += s.slice(start, p);
    this.pos = p + 1;
    // Escaped lone surrogates cannot be UTF-8 encoded again; no valid metadata contains them.
    if (!(out as unknown as { isWellFormed(): boolean }).isWellFormed()) this.fail('string contains a lone surrogate');
    return out;
  }

  private parseNumber(): number {
    const s = this.s;
    const start = this.pos;
    let p = start;
    if (s.charCodeAt(p) === 0x2d) p++;
    const first = s.charCodeAt(p);
    if (first === 0x30) {
      p++;
    } else if (first >= 0x31 && first <= 0x39) {
      while (isDigit(s.charCodeAt(p))) p++;
    } else {
      this.pos = p;
      this.fail('invalid number');
    }
    let isFloat = false;
    if (s.charCodeAt(p) === 0x2e) {
      isFloat = true;
      p++;
      if (!isDigit(s.charCodeAt(p))) {
        this.pos = p;
        this.fail('invalid number fraction');
      }
      while (isDigit(s.charCodeAt(p))) p++;
    }
    const e = s.charCodeAt(p);
    if (e === 0x65 || e === 0x45) {
      isFloat = true;
      p++;
      const sign = s.charCodeAt(p);
      if (sign === 0x2b || sign === 0x2d) p++;
      if (!isDigit(s.charCodeAt(p))) {
        this.pos = p;
        this.fail('invalid number exponent');
      }
      while (isDigit(s.charCodeAt(p))) p++;
    }
    if (isFloat && !this.allowFloats) this.fail('non-integer numbers are not allowed');
    const value = Number(s.slice(start, p));
    if (!isFloat && !Number.isSafeInteger(value)) this.fail('integer outside the exactly representable range');
    // canonicalize writes String(value): the same digits for any other integer JSON allows, but `0` for -0
    if (isFloat || (value === 0 && p - start !== 1)) this.canon = false;
    this.pos = p;
    return value;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
