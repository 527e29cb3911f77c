import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LengthMismatchError, MetadataParseError, parseEnvelopeStrict, parseJsonStrict } from '../src/index.js';
import { enc } from './helpers.js';

const parse = (s: string): unknown => parseJsonStrict(enc(s));

test('parses ordinary JSON like JSON.parse', () => {
  const samples = ['{"a":[1,-2,{"b":null}],"c":"x\\u00e9\\n\\"","d":true,"e":false}', ' [ ] ', '"\\ud83d\\ude00"', '0', '-0', '{"":""}'];
  for (const s of samples) assert.deepEqual(parse(s), JSON.parse(s));
});

test('rejects duplicate object keys (two parsers could see two different documents)', () => {
  assert.throws(() => parse('{"version":1,"version":2}'), MetadataParseError);
  assert.throws(() => parse('{"a":{"x":1,"x":1}}'), MetadataParseError);
  // Same key spelled with an escape is still the same key.
  assert.throws(() => parse('{"a":1,"\\u0061":2}'), MetadataParseError);
});

test('rejects a byte order mark, invalid UTF-8 and trailing data', () => {
  assert.throws(() => parseJsonStrict(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), MetadataParseError);
  assert.throws(() => parseJsonStrict(new Uint8Array([0x22, 0xff, 0x22])), MetadataParseError);
  assert.throws(() => parseJsonStrict(new Uint8Array([0x22, 0xc0, 0xaf, 0x22])), MetadataParseError, 'overlong encoding');
  assert.throws(() => parse('{} {}'), MetadataParseError);
  assert.throws(() => parse(''), MetadataParseError);
});

test('rejects floats and integers beyond 2^53 (they would change what the signature covers)', () => {
  for (const s of ['1.0', '1.5', '1e3', '{"version":1.0}', '9007199254740992', '-9007199254740993']) {
    assert.throws(() => parse(s), MetadataParseError, s);
  }
  assert.equal(parseJsonStrict(enc('1.5'), undefined, { allowFloats: true }), 1.5);
});

test('rejects malformed JSON', () => {
  for (const s of ['{', '[1,]', '{"a":1,}', '{a:1}', "'x'", '01', '-', '"\\x"', '"\\u12"', '"a\nb"', 'tru', 'nul', '[1 2]', '{"a" 1}', 'NaN']) {
    assert.throws(() => parse(s), MetadataParseError, s);
  }
});

test('rejects lone surrogates in escapes', () => {
  assert.throws(() => parse('"\\ud800"'), MetadataParseError);
  assert.throws(() => parse('{"\\udc00":1}'), MetadataParseError);
});

test('rejects documents over the length bound (endless data)', () => {
  assert.throws(() => parseJsonStrict(enc('[1,2,3]'), 6), LengthMismatchError);
  assert.deepEqual(parseJsonStrict(enc('[1,2,3]'), 7), [1, 2, 3]);
});

test('rejects nesting deep enough to exhaust the stack', () => {
  assert.throws(() => parse('['.repeat(100000) + ']'.repeat(100000)), MetadataParseError);
});

test('"__proto__" becomes an own property, never the prototype', () => {
  const v = parse('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ['__proto__']);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('rejects a duplicate key after nested values and out-of-order keys (the tape is walked for the keys so far)', () => {
  assert.throws(() => parse('{"b":1,"a":{"x":[1,{"y":2}]},"c":[[],{}],"a":4}'), /duplicate object key "a"/);
  assert.throws(() => parse('{"b":1,"a":2,"b":3}'), /duplicate object key "b"/);
  assert.deepEqual(parse('{"b":1,"a":{"x":[1,{"y":2}]},"c":[[],{}]}'), { b: 1, a: { x: [1, { y: 2 }] }, c: [[], {}] });
});

test('one tape serves documents of any size one after another', () => {
  const big = `[${Array.from({ length: 70000 }, (_, i) => `{"k${i}":${i}}`).join(',')}]`;
  const small = '{"a":[1,2,{"b":"c"}],"d":-0}';
  assert.deepEqual(parse(small), JSON.parse(small));
  assert.equal((parse(big) as unknown[]).length, 70000);
  assert.deepEqual(parse(small), JSON.parse(small));
  assert.ok(Object.is((parse(small) as { d: number }).d, -0));
});

test('signed bytes are taken in place only when canonical, keys in code-point order (astral after U+E000)', () => {
  const ordered = '{"signed":{"\ue000":1,"\ud83d\ude00":2},"signatures":[]}';
  const env = parseEnvelopeStrict(enc(ordered));
  assert.ok(env.canonicalSigned !== undefined);
  assert.equal(Buffer.from(env.canonicalSigned).toString('utf8'), '{"\ue000":1,"\ud83d\ude00":2}');
  // UTF-16 order (surrogates before U+E000) is not canonical order: canonicalized instead, same value
  const utf16Order = '{"signed":{"\ud83d\ude00":2,"\ue000":1},"signatures":[]}';
  assert.equal(parseEnvelopeStrict(enc(utf16Order)).canonicalSigned, undefined);
});
