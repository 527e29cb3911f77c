import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import * as noble from '@noble/ed25519';
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';

/**
 * 'node': node:crypto (OpenSSL), the default and the hot path (DESIGN.md 4: ~15x faster).
 * 'noble': @noble/ed25519 + @noble/hashes, pure JS, for runtimes without node:crypto and as an
 * independent oracle in tests. It covers ed25519 and the hashes; ECDSA/RSA always use node:crypto.
 */
export type CryptoBackend = 'node' | 'noble';

let current: CryptoBackend = 'node';

// @noble/ed25519 v3 needs a sync sha512 to offer sync verify.
noble.hashes.sha512 = (msg: Uint8Array) => nobleSha512(msg);

export function setCryptoBackend(b: CryptoBackend): void {
  if (b !== 'node' && b !== 'noble') throw new TypeError(`unknown crypto backend ${String(b)}`);
  current = b;
}

export function getCryptoBackend(): CryptoBackend {
  return current;
}

/**
 * Encodings of the 8 small-order points of edwards25519 (both sign bits). A public key among them
 * lets anyone "sign" any message (R = identity, S = 0 verifies under OpenSSL); @noble in strict
 * mode refuses them. We refuse them on both backends so the two always agree.
 */
const SMALL_ORDER_KEYS = new Set([
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
]);

/**
 * True for ed25519 public keys no honest signer has: a small-order point, or a non-canonical
 * encoding (y >= 2^255 - 19), which RFC 8032 5.1.3 says to reject when decoding.
 */
export function isWeakEd25519PublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32) return true;
  // Every small-order encoding starts with 00, 01, 26, c7 or ec: other keys skip the hex encoding (done
  // for every key imported and every signature checked).
  const b0 = publicKey[0]!;
  if ((b0 === 0x00 || b0 === 0x01 || b0 === 0x26 || b0 === 0xc7 || b0 === 0xec) &&
    SMALL_ORDER_KEYS.has(Buffer.from(publicKey.buffer, publicKey.byteOffset, 32).toString('hex'))) return true;
  // y (little-endian, top bit is the sign of x) >= p = 2^255 - 19 = ed ff .. ff 7f
  if ((publicKey[31]! & 0x7f) !== 0x7f || publicKey[0]! < 0xed) return false;
  for (let i = 1; i < 31; i++) if (publicKey[i] !== 0xff) return false;
  return true;
}

/** DER prefix of an ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The SubjectPublicKeyInfo DER of a raw 32-byte ed25519 public key (no OpenSSL round trip needed). */
export function ed25519Spki(publicKey: Uint8Array): Buffer {
  if (publicKey.length !== 32) throw new RangeError('ed25519 public key must be 32 bytes');
  return Buffer.concat([ED25519_SPKI_PREFIX, publicKey]);
}

/**
 * Wraps a raw 32-byte ed25519 public key into a node KeyObject. Imported as a JWK: measured about 4x faster
 * than parsing the SPKI DER (bench: 17 vs 75 µs), and every per-package role brings a key not seen before.
 */
export function ed25519KeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 32) throw new RangeError('ed25519 public key must be 32 bytes');
  // a Buffer already (Key's raw key) is encoded as it is; anything else through a view, no copy
  const x = (Buffer.isBuffer(publicKey) ? publicKey : Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length)).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

/** Verifies with a prepared KeyObject (node) or the raw key (noble). Never throws on bad input data. */
export function ed25519VerifyPrepared(
  keyObject: KeyObject | undefined,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  backend: CryptoBackend,
): boolean {
  // RFC 8032 5.1.7: a signature is exactly 64 bytes; anything else is invalid, not an error.
  if (signature.length !== 64 || isWeakEd25519PublicKey(publicKey)) return false;
  if (backend === 'noble') {
    // zip215:false = RFC 8032 / FIPS 186-5 strict decoding (canonical A and R, S < L).
    return noble.verify(signature, message, publicKey, { zip215: false });
  }
  return nodeVerify(null, message, keyObject ?? ed25519KeyObject(publicKey), signature);
}

export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, backend: CryptoBackend = current): boolean {
  if (isWeakEd25519PublicKey(publicKey)) return false;
  if (backend === 'node') {
    let keyObject: KeyObject;
    try {
      keyObject = ed25519KeyObject(publicKey);
    } catch (err) {
      // OpenSSL refuses some non-canonical point encodings at import time; such a key verifies nothing.
      if (err instanceof Error && 'code' in err) return false;
      throw err;
    }
    return ed25519VerifyPrepared(keyObject, publicKey, message, signature, backend);
  }
  return ed25519VerifyPrepared(undefined, publicKey, message, signature, backend);
}

export function nobleDigest(alg: 'sha256' | 'sha512', data: Uint8Array): Uint8Array {
  return alg === 'sha256' ? nobleSha256(data) : nobleSha512(data);
}
