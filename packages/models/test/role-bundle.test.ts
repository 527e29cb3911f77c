// Role bundle format (ADR 0024): exact for any bytes, one meaning per file, strictly parsed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRoleBundle, parseRoleBundle, roleBundleFileName, roleBundleOfBin, SuccinctRoles } from '../src/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('a bundle carries any bytes exactly (not only UTF-8 JSON)', () => {
  const odd = new Uint8Array([0, 0xff, 0xfe, 0x22, 0x5c, 0x0a, 0xc3]);
  const parsed = parseRoleBundle(encodeRoleBundle(2, [['a', odd], ['b', new Uint8Array()]]), 1 << 20, 2);
  assert.deepEqual(parsed.get('a'), odd);
  assert.deepEqual(parsed.get('b'), new Uint8Array());
  assert.equal(roleBundleFileName(7, 2), '7.bundle-2.json');
});

test('refuses a bundle with a duplicate role, non-canonical base64, an unknown field or another bundle number', () => {
  const cases: Array<[string, string]> = [
    ['duplicate', '{"bundle":0,"format":1,"roles":{"a":"AA==","a":"AQ=="}}'],
    ['padding bits', '{"bundle":0,"format":1,"roles":{"a":"AB=="}}'],
    ['unpadded', '{"bundle":0,"format":1,"roles":{"a":"AA"}}'],
    ['url alphabet', '{"bundle":0,"format":1,"roles":{"a":"_-8="}}'],
    ['extra field', '{"bundle":0,"extra":1,"format":1,"roles":{}}'],
    ['a snapshot field', '{"bundle":0,"format":1,"roles":{},"snapshot":1}'],
    ['other bundle', '{"bundle":1,"format":1,"roles":{}}'],
    ['format 2', '{"bundle":0,"format":2,"roles":{}}'],
    ['not a string', '{"bundle":0,"format":1,"roles":{"a":1}}'],
    ['padding inside', '{"bundle":0,"format":1,"roles":{"a":"AA==AA=="}}'],
    ['three pads', '{"bundle":0,"format":1,"roles":{"a":"A==="}}'],
  ];
  for (const [why, text] of cases) {
    assert.throws(() => parseRoleBundle(enc(text), 1 << 20, 0), (err: unknown) => (err as { code?: string }).code === 'TUF_PARSE', why);
  }
  assert.throws(() => parseRoleBundle(enc('{"bundle":0,"format":1,"roles":{}}'), 10, 0), (err: unknown) => (err as { code?: string }).code === 'TUF_LENGTH');
});

test('an entry of millions of characters parses (or is refused as TUF_PARSE), never overflows the regexp stack (red team s7 F0: a RangeError crashed installs)', () => {
  const big = new Uint8Array(4_000_000).fill(7); // 5.3 M base64 characters: a large bin, or a mirror's padding
  assert.deepEqual(parseRoleBundle(encodeRoleBundle(0, [['a', big]]), 64 << 20, 0).get('a'), big);
  const padded = enc(`{"bundle":0,"format":1,"roles":{"a":"${'A'.repeat(5_300_000)}*"}}`);
  assert.throws(() => parseRoleBundle(padded, 64 << 20, 0), (err: unknown) => (err as { code?: string }).code === 'TUF_PARSE');
});

test('bins map to bundles of 32 in order', () => {
  const s = new SuccinctRoles({ keyids: ['k'], threshold: 1, bitLength: 8, namePrefix: 'unclaimed' });
  assert.equal(roleBundleOfBin(s, 'unclaimed-00'), 0);
  assert.equal(roleBundleOfBin(s, 'unclaimed-1f'), 0);
  assert.equal(roleBundleOfBin(s, 'unclaimed-20'), 1);
  assert.equal(roleBundleOfBin(s, 'unclaimed-ff'), 7);
  assert.equal(roleBundleOfBin(s, 'other-00'), undefined);
});
