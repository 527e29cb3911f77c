import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Point as noblePoint } from '@noble/ed25519';
import {
  MetadataParseError, ed25519KeyFromPublicHex, ed25519Verify, isWeakEd25519PublicKey, setCryptoBackend, type CryptoBackend,
} from '../src/index.js';

interface Vector { name: string; secretKey: string; publicKey: string; message: string; signature: string }
const vectors = (JSON.parse(readFileSync(new URL('../../test/vectors/rfc8032-ed25519.json', import.meta.url), 'utf8')) as { vectors: Vector[] }).vectors;
const BACKENDS: CryptoBackend[] = ['node', 'noble'];
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

function flip(b: Buffer, byte: number, bit = 0): Buffer {
  const c = Buffer.from(b);
  c[byte]! ^= 1 << bit;
  return c;
}

/** S + L: the same group element, non-canonical scalar (signature malleability). */
function addLToS(sig: Buffer): Buffer {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
  let x = s + L;
  const out = Buffer.from(sig);
  for (let i = 32; i < 64; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Both backends must give the same answer; returns it. */
function bothAgree(pk: Buffer, msg: Buffer, sig: Buffer): boolean {
  const results = BACKENDS.map((b) => ed25519Verify(pk, msg, sig, b));
  assert.equal(results[0], results[1], 'node:crypto and @noble disagree');
  return results[0]!;
}

test('RFC 8032 7.1 vectors verify with node:crypto and @noble', () => {
  assert.equal(vectors.length, 5);
  for (const v of vectors) {
    assert.equal(bothAgree(hex(v.publicKey), hex(v.message), hex(v.signature)), true, v.name);
  }
});

for (const v of vectors) {
  const pk = hex(v.publicKey);
  const msg = hex(v.message);
  const sig = hex(v.signature);
  test(`${v.name}: hand-derived negatives (no Wycheproof file available) are rejected by both backends`, () => {
    assert.equal(bothAgree(pk, msg, flip(sig, 0)), false, 'flipped bit in R');
    assert.equal(bothAgree(pk, msg, flip(sig, 40, 3)), false, 'flipped bit in S');
    assert.equal(bothAgree(pk, msg, flip(sig, 63, 7)), false, 'flipped top bit of S');
    if (msg.length > 0) assert.equal(bothAgree(pk, flip(msg, msg.length - 1), sig), false, 'flipped bit in message');
    assert.equal(bothAgree(pk, Buffer.concat([msg, Buffer.from([0])]), sig), false, 'extended message');
    assert.equal(bothAgree(flip(pk, 5), msg, sig), false, 'flipped bit in public key');
    assert.equal(bothAgree(pk, msg, sig.subarray(0, 63)), false, 'signature of 63 bytes');
    assert.equal(bothAgree(pk, msg, Buffer.concat([sig, Buffer.from([0])])), false, 'signature of 65 bytes');
    assert.equal(bothAgree(pk, msg, Buffer.alloc(0)), false, 'empty signature');
    assert.equal(bothAgree(pk.subarray(0, 31), msg, sig), false, 'public key of 31 bytes');
  });
  test(`${v.name}: non-canonical S >= L (S + L, hand-derived malleability case) is rejected by both backends`, () => {
    assert.equal(bothAgree(pk, msg, addLToS(sig)), false);
  });
}

test('Key.verify uses the selected backend and gives the same answers', () => {
  const v = vectors[2]!;
  const key = ed25519KeyFromPublicHex(v.publicKey);
  try {
    for (const b of BACKENDS) {
      setCryptoBackend(b);
      assert.equal(key.verify(hex(v.message), v.signature), true, b);
      assert.equal(key.verify(hex(v.message), addLToS(hex(v.signature)).toString('hex')), false, b);
      assert.equal(key.verify(hex(v.message), 'zz'), false, `${b}: non-hex signature`);
    }
  } finally {
    setCryptoBackend('node');
  }
});

const SMALL_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
];

test('rejects forged signatures under small-order public keys (R = identity, S = 0 for any message) on both backends', () => {
  const identity = hex(SMALL_ORDER[2]!);
  const forged = Buffer.concat([identity, Buffer.alloc(32)]);
  for (const pk of SMALL_ORDER) {
    assert.equal(bothAgree(hex(pk), Buffer.from('any message'), forged), false, pk);
    assert.ok(noblePoint.fromHex(pk, true).isSmallOrder(), `${pk} really is small-order (checked with @noble)`);
  }
  const key = ed25519KeyFromPublicHex(SMALL_ORDER[2]!);
  assert.throws(() => key.verify(Buffer.from('x'), forged.toString('hex')), MetadataParseError);
  assert.equal(isWeakEd25519PublicKey(hex(vectors[0]!.publicKey)), false);
});

test('rejects non-canonical public key encodings (y >= p) on both backends', () => {
  // y = p + 1 encodes the identity non-canonically; y = p + 18 is the largest such value.
  const p1 = Buffer.from('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex');
  const p18 = Buffer.from('ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex');
  const forged = Buffer.concat([hex(SMALL_ORDER[2]!), Buffer.alloc(32)]);
  for (const pk of [p1, p18]) {
    assert.equal(isWeakEd25519PublicKey(pk), true);
    assert.equal(bothAgree(pk, Buffer.from('any message'), forged), false);
  }
});
