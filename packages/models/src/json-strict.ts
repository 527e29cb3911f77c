// The public strict parsers, and the generic JS values built from a tape of json-tape.ts.
import { TOKEN_ARRAY, TOKEN_ESCAPED, TOKEN_FALSE, TOKEN_KIND, TOKEN_NUMBER, TOKEN_OBJECT, TOKEN_STRING, TOKEN_TRUE, tokenizeStrict, unescapeRun, type JsonTape } from './json-tape.js';

/** Default upper bound for parseJsonStrict input; callers that know better pass their own. */
export const DEFAULT_MAX_JSON_LENGTH = 256 * 1024 * 1024;

export interface ParseJsonOptions {
  /**
   * Accept numbers with a fraction or exponent. Off by default: TUF canonical JSON has no floats,
   * and `1.0` would silently become the integer 1 and change what the signature covers.
   */
  allowFloats?: boolean;
}

/**
 * Strict JSON parser for attacker-controlled bytes: fatal UTF-8, no BOM, no duplicate object keys,
 * no lone surrogates, integers only (unless allowFloats) and only safe integers, bounded length
 * and nesting. Throws LengthMismatchError (too long) or MetadataParseError (anything else).
 */
export function parseJsonStrict(bytes: Uint8Array, maxLength = DEFAULT_MAX_JSON_LENGTH, options: ParseJsonOptions = {}): unknown {
  return tapeValue(tokenizeStrict(bytes, maxLength, options.allowFloats === true, false), 0);
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
  const tape = tokenizeEnvelope(bytes, maxLength);
  return { value: tapeValue(tape, 0), canonicalSigned: tape.canonicalSigned };
}

/** The tape of parseEnvelopeStrict, for readers that build their model straight from it (metadata.ts). */
export function tokenizeEnvelope(bytes: Uint8Array, maxLength = DEFAULT_MAX_JSON_LENGTH): JsonTape {
  return tokenizeStrict(bytes, maxLength, false, true);
}

/** The value of the token at `i` (and everything in it) as plain JS data. */
export function tapeValue(tape: JsonTape, i: number): unknown {
  const tokens = tape.tokens;
  const kind = tokens[3 * i]! & TOKEN_KIND;
  switch (kind) {
    case TOKEN_OBJECT: {
      const obj: Record<string, unknown> = {};
      const n = tokens[3 * i + 1]!;
      let j = i + 1;
      for (let m = 0; m < n; m++) {
        const key = tapeString(tape, j);
        const value = tapeValue(tape, j + 1);
        if (key === '__proto__') {
          // An own data property, never the prototype setter.
          Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
        } else {
          obj[key] = value;
        }
        j = tapeNext(tape, j + 1);
      }
      return obj;
    }
    case TOKEN_ARRAY: {
      const n = tokens[3 * i + 1]!;
      const arr: unknown[] = [];
      let j = i + 1;
      for (let m = 0; m < n; m++) {
        arr.push(tapeValue(tape, j));
        j = tapeNext(tape, j);
      }
      return arr;
    }
    case TOKEN_STRING: return tapeString(tape, i);
    case TOKEN_NUMBER: return tape.numbers[i];
    case TOKEN_TRUE: return true;
    case TOKEN_FALSE: return false;
    default: return null;
  }
}

/** The index of the token after the value at `i`. */
export function tapeNext(tape: JsonTape, i: number): number {
  const k = tape.tokens[3 * i]! & TOKEN_KIND;
  return k === TOKEN_OBJECT || k === TOKEN_ARRAY ? tape.tokens[3 * i + 2]! : i + 1;
}

/** The string of the STRING token at `i`, escapes resolved (they were checked when tokenizing). */
export function tapeString(tape: JsonTape, i: number): string {
  const t = tape.tokens;
  const start = t[3 * i + 1]!;
  if ((t[3 * i]! & TOKEN_ESCAPED) === 0) return tape.text.slice(start, t[3 * i + 2]!);
  return unescapeRun(tape.text, start).value;
}

/** True when the STRING token at `i` is exactly the ASCII string `s` (no escapes), compared in place. */
export function tapeStringIs(tape: JsonTape, i: number, s: string): boolean {
  const t = tape.tokens;
  const start = t[3 * i + 1]!;
  if (t[3 * i]! !== TOKEN_STRING || t[3 * i + 2]! - start !== s.length) return false;
  return tape.text.startsWith(s, start);
}

