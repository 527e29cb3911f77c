// The strict JSON tokenizer (issue 20): every rule parseJsonStrict promises, applied once, with the document
// written as a tape of tokens into typed arrays reused from one document to the next instead of JS values.
// Readers build what they need from the tape: json-strict.ts the generic values, targets-tape.ts a per-package role.
import { compareCodePoints } from './canonical-json.js';
import { LengthMismatchError, MetadataParseError } from './errors.js';

const MAX_DEPTH = 512;
// Characters a string run cannot contain raw (backslash starts an escape; controls must be escaped).
// A document with none of them anywhere (compact JSON without escapes: what tufpm writes) needs no
// per-string check at all.
const NEEDS_SLOW_PATH = /[\\\u0000-\u001f]/;
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Token kinds on a tape. A tape is the whole document after every strictness check, as a flat list of
 * tokens (3 int32 each: kind and flags, then two operands) in document order, with no JS value built:
 * - OBJECT: member count, index of the token after the object; its members follow as key (STRING), value.
 * - ARRAY: element count, index of the token after the array; its elements follow.
 * - STRING: start and end of the raw run between the quotes in `text`; ESCAPED when it holds a backslash.
 * - NUMBER: start and end in `text`; the value is `numbers[token]`.
 * - TRUE, FALSE, NULL: no operands.
 */
export const TOKEN_OBJECT = 1;
export const TOKEN_ARRAY = 2;
export const TOKEN_STRING = 3;
export const TOKEN_NUMBER = 4;
export const TOKEN_TRUE = 5;
export const TOKEN_FALSE = 6;
export const TOKEN_NULL = 7;
export const TOKEN_KIND = 0xff;
export const TOKEN_ESCAPED = 0x100;

/**
 * A strictly tokenized JSON document (see tokenizeStrict). The typed arrays are shared between parses
 * (no allocation per document): a tape is valid only until the next call of tokenizeStrict, so it is
 * read right away, synchronously, by the function that asked for it.
 */
export interface JsonTape {
  readonly text: string;
  /** 3 int32 per token: kind | flags, operand a, operand b */
  readonly tokens: Int32Array;
  readonly numbers: Float64Array;
  readonly count: number;
  /** the canonical bytes of the top-level `signed` member (see ParsedEnvelope), when tracked and canonical */
  readonly canonicalSigned: Uint8Array | undefined;
}


// The shared tape, grown on demand (doubling, so a document pays for about as many tokens as it has, never one
// per character up front); tapes of huge documents are not kept (they are used once, and would pin their memory).
const KEEP_TOKENS = 1 << 16;
let sharedTokens: Int32Array = new Int32Array(3 * 1024);
let sharedNumbers: Float64Array = new Float64Array(1024);

export function tokenizeStrict(bytes: Uint8Array, maxLength: number, allowFloats: boolean, trackSigned: boolean): JsonTape {
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
  const t = new Tokenizer(text, sharedTokens, sharedNumbers, allowFloats, ascii, trackSigned);
  t.document();
  // the tape grows by doubling while tokenizing (Tokenizer.push); keep it only while it is small
  const { tokens, numbers } = t;
  if (numbers.length <= KEEP_TOKENS) {
    sharedTokens = tokens;
    sharedNumbers = numbers;
  }
  let canonicalSigned: Uint8Array | undefined;
  if (t.signedCanonical) {
    const { signedStart: start, signedEnd: end } = t;
    // Non-ASCII: encoding the canonical text again gives the same bytes (the fatal decoder accepts
    // only the one shortest UTF-8 form), and spares mapping UTF-16 offsets to byte offsets.
    canonicalSigned = ascii ? bytes.subarray(start, end) : Buffer.from(text.slice(start, end), 'utf8');
  }
  return { text, tokens, numbers, count: t.count, canonicalSigned };
}

/**
 * Resolves the escapes of the string run starting at `from` (just after the opening quote). Refuses raw
 * control characters, invalid escapes and lone surrogates; `canonical` is false when an escape other than
 * `\"` and `\\` was used (canonical JSON escapes only those two).
 */
export function unescapeRun(s: string, from: number): { value: string; end: number; canonical: boolean; error?: string; at?: number } {
  let p = from;
  let start = p;
  let out = '';
  let canonical = true;
  for (;;) {
    const c = s.charCodeAt(p);
    if (c === 0x22) break;
    if (Number.isNaN(c)) return { value: '', end: p, canonical, error: 'unterminated string', at: p };
    if (c < 0x20) return { value: '', end: p, canonical, error: 'unescaped control character in string', at: p };
    if (c === 0x5c) {
      out += s.slice(start, p);
      p++;
      const e = s.charCodeAt(p);
      // canonical JSON escapes `"` and `\` exactly like this, and nothing else
      if (e !== 0x22 && e !== 0x5c) canonical = false;
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
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) return { value: '', end: p, canonical, error: 'invalid \\u escape', at: p };
          out += String.fromCharCode(parseInt(hex, 16));
          p += 4;
          break;
        }
        default:
          return { value: '', end: p, canonical, error: 'invalid escape', at: p };
      }
      p++;
      start = p;
      continue;
    }
    p++;
  }
  out += s.slice(start, p);
  // Escaped lone surrogates cannot be UTF-8 encoded again; no valid metadata contains them.
  if (!(out as unknown as { isWellFormed(): boolean }).isWellFormed()) return { value: '', end: p + 1, canonical, error: 'string contains a lone surrogate', at: p + 1 };
  return { value: out, end: p, canonical };
}

/**
 * Recursive-descent tokenizer: checks everything parseJsonStrict promises and writes the tape. With
 * trackSigned, it also watches whether the top-level `signed` value is written exactly as canonicalize()
 * would write it; `canon` is reset when that value starts and any departure from the canonical form inside
 * it clears it. Anything in doubt clears it too: the caller then canonicalizes the parsed value, which is
 * always correct, only slower.
 */
class Tokenizer {
  private pos = 0;
  private canon = false;
  /** No backslash and no control character anywhere: strings need no per-string check. */
  private readonly plain: boolean;
  count = 0;
  signedCanonical = false;
  signedStart = 0;
  signedEnd = 0;

  constructor(
    private readonly s: string,
    public tokens: Int32Array,
    public numbers: Float64Array,
    private readonly allowFloats: boolean,
    private readonly ascii: boolean,
    private readonly trackSigned: boolean,
  ) {
    this.plain = !NEEDS_SLOW_PATH.test(s);
  }

  document(): void {
    this.skipWs();
    this.value(0);
    this.skipWs();
    if (this.pos !== this.s.length) this.fail('trailing data after JSON value');
  }

  private fail(msg: string): never {
    throw new MetadataParseError(`invalid JSON at offset ${this.pos}: ${msg}`);
  }

  private push(kind: number, a: number, b: number): number {
    const i = this.count++;
    if (i >= this.numbers.length) this.grow();
    const t = this.tokens;
    t[3 * i] = kind;
    t[3 * i + 1] = a;
    t[3 * i + 2] = b;
    return i;
  }

  private grow(): void {
    const n = this.numbers.length * 2;
    const tokens = new Int32Array(3 * n);
    tokens.set(this.tokens);
    const numbers = new Float64Array(n);
    numbers.set(this.numbers);
    this.tokens = tokens;
    this.numbers = numbers;
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

  private value(depth: number): void {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    const c = this.s.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: this.object(depth); return;
      case 0x5b: this.array(depth); return;
      case 0x22: this.string(); return;
      case 0x74: this.literal('true', TOKEN_TRUE); return;
      case 0x66: this.literal('false', TOKEN_FALSE); return;
      case 0x6e: this.literal('null', TOKEN_NULL); return;
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          this.number();
          return;
        }
        this.fail(Number.isNaN(c) ? 'unexpected end of input' : 'unexpected character');
    }
  }

  private literal(word: string, kind: number): void {
    if (!this.s.startsWith(word, this.pos)) this.fail('invalid literal');
    this.pos += word.length;
    this.push(kind, 0, 0);
  }

  private object(depth: number): void {
    const s = this.s;
    const at = this.push(TOKEN_OBJECT, 0, 0);
    this.pos++; // {
    this.skipWs();
    if (s.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      this.tokens[3 * at + 2] = this.count;
      return;
    }
    let members = 0;
    let prev = -1;
    // True while every key so far was greater than the one before it in code-point order (canonical
    // order): then they are all distinct, and a next key greater than the last cannot repeat any of them.
    // Once false, the keys so far are kept in a Set (documents tufpm writes never get there).
    let ascending = true;
    let seen: Set<string> | undefined;
    for (;;) {
      if (s.charCodeAt(this.pos) !== 0x22) this.fail('expected string key');
      const key = this.string();
      if (ascending && (prev === -1 || this.keyOrder(prev, key) < 0)) {
        // in canonical order, and no duplicate
      } else {
        if (ascending) {
          ascending = false;
          this.canon = false;
          seen = new Set();
          for (let j = at + 1; j < key; j = this.next(j + 1)) seen.add(this.keyString(j));
        }
        const k = this.keyString(key);
        if (seen!.has(k)) this.fail(`duplicate object key ${JSON.stringify(k)}`);
        seen!.add(k);
      }
      prev = key;
      members++;
      this.skipWs();
      if (s.charCodeAt(this.pos) !== 0x3a) this.fail('expected ":"');
      this.pos++;
      this.skipWs();
      if (depth === 0 && this.trackSigned && this.isKey(key, 'signed')) {
        const outer = this.canon;
        const start = this.pos;
        this.canon = true;
        this.value(depth + 1);
        this.signedStart = start;
        this.signedEnd = this.pos;
        this.signedCanonical = this.canon;
        this.canon = outer;
      } else {
        this.value(depth + 1);
      }
      this.skipWs();
      const c = s.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.skipWs();
      } else if (c === 0x7d) {
        this.pos++;
        this.tokens[3 * at + 1] = members;
        this.tokens[3 * at + 2] = this.count;
        return;
      } else {
        this.fail('expected "," or "}"');
      }
    }
  }

  private next(i: number): number {
    const k = this.tokens[3 * i]! & TOKEN_KIND;
    return k === TOKEN_OBJECT || k === TOKEN_ARRAY ? this.tokens[3 * i + 2]! : i + 1;
  }

  private keyString(i: number): string {
    const t = this.tokens;
    const start = t[3 * i + 1]!;
    return (t[3 * i]! & TOKEN_ESCAPED) === 0 ? this.s.slice(start, t[3 * i + 2]!) : unescapeRun(this.s, start).value;
  }

  private isKey(i: number, k: string): boolean {
    const t = this.tokens;
    if ((t[3 * i]! & TOKEN_ESCAPED) !== 0) return this.keyString(i) === k;
    const start = t[3 * i + 1]!;
    return t[3 * i + 2]! - start === k.length && this.s.startsWith(k, start);
  }

  /** Code-point order of two keys, compared in place in the text when neither has an escape. */
  private keyOrder(a: number, b: number): number {
    const t = this.tokens;
    if (((t[3 * a]! | t[3 * b]!) & TOKEN_ESCAPED) !== 0) return compareCodePoints(this.keyString(a), this.keyString(b));
    const s = this.s;
    let i = t[3 * a + 1]!;
    const aEnd = t[3 * a + 2]!;
    let j = t[3 * b + 1]!;
    const bEnd = t[3 * b + 2]!;
    for (; i < aEnd && j < bEnd; i++, j++) {
      let x = s.charCodeAt(i);
      let y = s.charCodeAt(j);
      if (x !== y) {
        // UTF-16 order differs from code-point order only between a surrogate and U+E000..U+FFFF
        if (!this.ascii && x >= 0xd800 && y >= 0xd800) {
          x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
          y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
        }
        return x - y;
      }
    }
    return (aEnd - t[3 * a + 1]!) - (bEnd - t[3 * b + 1]!);
  }

  private array(depth: number): void {
    const at = this.push(TOKEN_ARRAY, 0, 0);
    this.pos++; // [
    this.skipWs();
    if (this.s.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      this.tokens[3 * at + 2] = this.count;
      return;
    }
    let n = 0;
    for (;;) {
      this.value(depth + 1);
      n++;
      this.skipWs();
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.skipWs();
      } else if (c === 0x5d) {
        this.pos++;
        this.tokens[3 * at + 1] = n;
        this.tokens[3 * at + 2] = this.count;
        return;
      } else {
        this.fail('expected "," or "]"');
      }
    }
  }

  /** Tokenizes the string at pos (an opening quote); returns its token index. */
  private string(): number {
    const s = this.s;
    const start = this.pos + 1; // after opening quote
    // Fast path: most strings have no escapes; find the closing quote natively. Raw text cannot hold lone
    // surrogates (the UTF-8 decoder is fatal).
    const end = s.indexOf('"', start);
    if (end < 0) {
      this.pos = s.length;
      this.fail('unterminated string');
    }
    if (!this.plain) {
      let p = start;
      while (p < end) {
        const c = s.charCodeAt(p);
        if (c === 0x5c || c < 0x20) break;
        p++;
      }
      if (p < end) {
        const r = unescapeRun(s, start);
        if (r.error !== undefined) {
          this.pos = r.at!;
          this.fail(r.error);
        }
        if (!r.canonical) this.canon = false;
        this.pos = r.end + 1;
        return this.push(TOKEN_STRING | TOKEN_ESCAPED, start, r.end);
      }
    }
    this.pos = end + 1;
    return this.push(TOKEN_STRING, start, end);
  }

  private number(): void {
    const s = this.s;
    const start = this.pos;
    let p = start;
    const negative = s.charCodeAt(p) === 0x2d;
    if (negative) p++;
    const first = s.charCodeAt(p);
    // Integer digits accumulate exactly while below 2^53; anything at or above it is refused below, and
    // more than 16 digits (no leading zeros) is always at least 10^16 > 2^53.
    let v = 0;
    if (first === 0x30) {
      p++;
    } else if (first >= 0x31 && first <= 0x39) {
      while (p < s.length) {
        const d = s.charCodeAt(p) - 0x30;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
        p++;
      }
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
    const digits = p - start - (negative ? 1 : 0);
    if (!isFloat && (digits > 16 || v > Number.MAX_SAFE_INTEGER)) this.fail('integer outside the exactly representable range');
    // canonicalize writes String(value): the same digits for any other integer JSON allows, but `0` for -0
    if (isFloat || (v === 0 && negative)) this.canon = false;
    this.pos = p;
    const i = this.push(TOKEN_NUMBER, start, p);
    this.numbers[i] = isFloat ? Number(s.slice(start, p)) : negative ? -v : v;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}