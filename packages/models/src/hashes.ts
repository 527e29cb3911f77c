import { createHash, timingSafeEqual } from 'node:crypto';
import { getCryptoBackend, nobleDigest } from './crypto-backend.js';
import { HashMismatchError, UnsupportedAlgorithmError } from './errors.js';

/** The only hash algorithms tufpm accepts (weaker or exotic ones are refused, not ignored). */
export type HashAlgorithm = 'sha256' | 'sha512';
export const SUPPORTED_HASH_ALGORITHMS: readonly HashAlgorithm[] = ['sha256', 'sha512'];

export function isSupportedHashAlgorithm(alg: string): alg is HashAlgorithm {
  return alg === 'sha256' || alg === 'sha512';
}

export function digest(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
  if (!isSupportedHashAlgorithm(alg)) throw new UnsupportedAlgorithmError(`unsupported hash algorithm ${JSON.stringify(alg)}`);
  if (getCryptoBackend() === 'noble') return nobleDigest(alg, data);
  return createHash(alg).update(data).digest();
}

export function digestHex(alg: HashAlgorithm, data: Uint8Array): string {
  return Buffer.from(digest(alg, data)).toString('hex');
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * True when s is whole bytes of ASCII hex ([0-9a-fA-F], even length). Check before Buffer.from(s, 'hex'):
 * that decoder stops at the first bad character and reads only the low byte of each UTF-16 unit
 * ('\u0161' decodes as 'a'), so it cannot tell hex from other text.
 */
export function isHexBytes(s: string): boolean {
  return HEX.test(s);
}

/** Compares two hex strings as bytes in constant time (for equal lengths). False on invalid hex. */
export function constantTimeEqualHex(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  if (!isHexBytes(a) || !isHexBytes(b)) return false;
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  // Digest lengths are public (they follow from the algorithm), so the early length exit leaks nothing.
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}

/**
 * Checks data against every listed hash (TUF 5.5.2 / 5.6.2 for metadata, 5.7.3 for targets: hashes before use).
 * Every algorithm listed must be supported and match; at least one must be listed.
 */
export function verifyHashes(data: Uint8Array, hashes: Record<string, string>): void {
  const algs = Object.keys(hashes);
  if (algs.length === 0) throw new UnsupportedAlgorithmError('no hash listed; at least one of sha256/sha512 is required');
  for (const alg of algs) {
    if (!isSupportedHashAlgorithm(alg)) throw new UnsupportedAlgorithmError(`unsupported hash algorithm ${JSON.stringify(alg)}`);
  }
  for (const alg of algs as HashAlgorithm[]) {
    const expected = hashes[alg];
    const actual = Buffer.from(digest(alg, data)).toString('hex');
    if (typeof expected !== 'string' || !constantTimeEqualHex(actual, expected)) {
      throw new HashMismatchError(`${alg} digest mismatch: expected ${String(expected)}, got ${actual}`);
    }
  }
}
