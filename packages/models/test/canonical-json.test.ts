import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataParseError, canonicalize, canonicalString, compareCodePoints, sortedJson } from '../src/index.js';
import { dec } from './helpers.js';

// Behaviour of securesystemslib.formats.encode_canonical (the encoder python-tuf signs with);
// the first block mirrors the cases of its own unit test.
const VECTORS: Array<[unknown, string]> = [
  ['', '""'],
  [[1, 2, 3], '[1,2,3]'],
  [[], '[]'],
  [{}, '{}'],
  [{ A: [99] }, '{"A":[99]}'],
  [{ x: 3, y: 2 }, '{"x":3,"y":2}'],
  [{ x: 3, y: null }, '{"x":3,"y":null}'],
  [true, 'true'],
  [false, 'false'],
  [null, 'null'],
  [-17, '-17'],
  [0, '0'],
  [Number.MAX_SAFE_INTEGER, '9007199254740991'],
  // Only backslash and double quote are escaped; control characters and non-ASCII go out raw.
  ['a"b\\c', '"a\\"b\\\\c"'],
  ['line\nbreak\ttab\u0001', '"line\nbreak\ttab\u0001"'],
  ['/', '"/"'],
  ['ü€😀', '"ü€😀"'],
  // Keys sorted, nested objects too, arrays keep their order.
  [{ b: { d: 1, c: 2 }, a: [3, 1, 2] }, '{"a":[3,1,2],"b":{"c":2,"d":1}}'],
  [{ B: 1, a: 2, _: 3, '1': 4, '10': 5, '9': 6 }, '{"1":4,"10":5,"9":6,"B":1,"_":3,"a":2}'],
];

test('canonical JSON matches securesystemslib encode_canonical vectors', () => {
  for (const [value, expected] of VECTORS) {
    assert.equal(canonicalString(value), expected);
    assert.equal(dec(canonicalize(value)), expected);
  }
});

test('canonical JSON output is UTF-8', () => {
  assert.deepEqual([...canonicalize('é')], [0x22, 0xc3, 0xa9, 0x22]);
});

test('keys sort by code point like Python, not by UTF-16 unit', () => {
  // U+FFFD sorts before U+1F600 by code point; as UTF-16 the surrogate 0xD83D would come first.
  assert.equal(canonicalString({ '\u{1F600}': 2, '\uFFFD': 1 }), '{"\uFFFD":1,"\u{1F600}":2}');
  assert.ok(compareCodePoints('\uFFFD', '\u{1F600}') < 0);
  assert.ok(compareCodePoints('\u{1F600}', '\u{1F601}') < 0);
  assert.ok(compareCodePoints('a', 'ab') < 0);
  assert.equal(compareCodePoints('x', 'x'), 0);
  const keys = ['b', '\u{10000}', '\uE000', 'a', '\uD7FF', 'aa'];
  const pythonOrder = [...keys].sort((x, y) => {
    const a = Array.from(x).map((c) => c.codePointAt(0)!);
    const b = Array.from(y).map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  assert.deepEqual([...keys].sort(compareCodePoints), pythonOrder);
});

test('canonical JSON rejects floats, NaN, unsafe integers and lone surrogates', () => {
  for (const bad of [8.0 + 0.5, 1.5, NaN, Infinity, 2 ** 53, -(2 ** 53), { a: [0.1] }, '\uD800', { '\uDC00': 1 }]) {
    assert.throws(() => canonicalize(bad), MetadataParseError, String(bad));
  }
});

test('canonical JSON rejects values JSON cannot carry', () => {
  for (const bad of [undefined, () => 1, 10n, new Map(), new Date(0), Symbol('x')]) {
    assert.throws(() => canonicalize(bad), MetadataParseError);
  }
});

test('object properties set to undefined are left out, like JSON.stringify', () => {
  assert.equal(canonicalString({ a: 1, b: undefined }), '{"a":1}');
});

test('a "__proto__" key is an ordinary key', () => {
  const obj = JSON.parse('{"__proto__":{"x":1},"a":2}') as unknown;
  assert.equal(canonicalString(obj), '{"__proto__":{"x":1},"a":2}');
});

test('sortedJson (used for files on disk) escapes control characters so the output parses back', () => {
  const value = { pem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', b: '"\\', a: 1 };
  const text = dec(sortedJson(value));
  assert.deepEqual(JSON.parse(text), value);
  assert.ok(text.startsWith('{"a":1,"b":'));
  assert.ok(!text.includes('\n'));
});
