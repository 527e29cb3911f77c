import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HashMismatchError, UnsupportedAlgorithmError, constantTimeEqualHex, digestHex, setCryptoBackend, verifyHashes,
} from '../src/index.js';
import { enc } from './helpers.js';

const ABC256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const ABC512 = 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f';

test('sha256 and sha512 of "abc" (FIPS 180-2 vectors) with both backends', () => {
  try {
    for (const b of ['node', 'noble'] as const) {
      setCryptoBackend(b);
      assert.equal(digestHex('sha256', enc('abc')), ABC256, b);
      assert.equal(digestHex('sha512', enc('abc')), ABC512, b);
    }
  } finally {
    setCryptoBackend('node');
  }
});

test('verifyHashes accepts matching digests (any hex case)', () => {
  verifyHashes(enc('abc'), { sha256: ABC256, sha512: ABC512.toUpperCase() });
});

test('rejects a tarball whose sha512 differs', () => {
  assert.throws(() => verifyHashes(enc('abd'), { sha256: ABC256 }), HashMismatchError);
  assert.throws(() => verifyHashes(enc('abc'), { sha256: ABC256, sha512: ABC256 }), HashMismatchError);
});

test('rejects unknown hash algorithm (md5), even next to a good sha256', () => {
  assert.throws(() => verifyHashes(enc('abc'), { md5: '900150983cd24fb0d6963f7d28e17f72' }), UnsupportedAlgorithmError);
  assert.throws(() => verifyHashes(enc('abc'), { sha256: ABC256, md5: '900150983cd24fb0d6963f7d28e17f72' }), UnsupportedAlgorithmError);
  assert.throws(() => verifyHashes(enc('abc'), { sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d' }), UnsupportedAlgorithmError);
});

test('rejects an empty hashes object (nothing would be checked)', () => {
  assert.throws(() => verifyHashes(enc('abc'), {}), UnsupportedAlgorithmError);
});

test('constantTimeEqualHex: equal bytes, different lengths, invalid hex', () => {
  assert.equal(constantTimeEqualHex('abCD', 'ABcd'), true);
  assert.equal(constantTimeEqualHex('abcd', 'abce'), false);
  assert.equal(constantTimeEqualHex('abcd', 'abcdab'), false);
  assert.equal(constantTimeEqualHex('abc', 'abc'), false, 'odd length is not hex bytes');
  assert.equal(constantTimeEqualHex('zz', 'zz'), false);
});
