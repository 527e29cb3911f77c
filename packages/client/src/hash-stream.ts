// Hash a stream of bytes once while it flows (sha512 + sha256 + length), so integrations never buffer a
// tarball just to check it, and compare against signed hashes in constant time.
import { createHash, type Hash } from 'node:crypto';
import { HashMismatchError, LengthMismatchError, UnsupportedAlgorithmError, constantTimeEqualHex } from '@tufpm/models';

export interface StreamDigest {
  length: number;
  sha256: string;
  sha512: string;
}

/** Incremental sha256/sha512/length accumulator. */
export class StreamHasher {
  readonly #sha256: Hash = createHash('sha256');
  readonly #sha512: Hash = createHash('sha512');
  #length = 0;
  #done: StreamDigest | undefined;

  update(chunk: Uint8Array): void {
    if (this.#done) throw new Error('StreamHasher already finished');
    this.#sha256.update(chunk);
    this.#sha512.update(chunk);
    this.#length += chunk.length;
  }

  get length(): number {
    return this.#length;
  }

  digest(): StreamDigest {
    this.#done ??= { length: this.#length, sha256: this.#sha256.digest('hex'), sha512: this.#sha512.digest('hex') };
    return this.#done;
  }
}

/** Hash a whole stream (a tarball being downloaded or read from disk). */
export async function hashStream(source: AsyncIterable<Uint8Array>): Promise<StreamDigest> {
  const hasher = new StreamHasher();
  for await (const chunk of source) hasher.update(chunk);
  return hasher.digest();
}

/**
 * TUF 5.7.3: check a digest against signed length and hashes. Every listed algorithm must be sha256 or
 * sha512 (as python-tuf, an unknown algorithm fails rather than being skipped), and at least one must be listed.
 */
export function verifyDigest(digest: StreamDigest, expected: { length: number; hashes: Record<string, string> }, what: string): void {
  if (digest.length !== expected.length) {
    throw new LengthMismatchError(`${what}: length ${digest.length}, expected ${expected.length}`);
  }
  const algs = Object.keys(expected.hashes);
  if (algs.length === 0) throw new UnsupportedAlgorithmError(`${what}: no hashes to verify against`);
  for (const alg of algs) {
    if (alg !== 'sha256' && alg !== 'sha512') throw new UnsupportedAlgorithmError(`${what}: unsupported hash algorithm ${alg}`);
    const want = expected.hashes[alg];
    if (typeof want !== 'string' || !constantTimeEqualHex(digest[alg], want.toLowerCase())) {
      throw new HashMismatchError(`${what}: ${alg} mismatch`);
    }
  }
}

/**
 * npm's `dist.integrity` form of a signed sha512 (`sha512-<base64>`), so integrations can hand the TUF-signed
 * hash to npm/pacote, which then refuses any other bytes (EINTEGRITY).
 */
export function sha512Integrity(hashes: Readonly<Record<string, string>>): string {
  const hex = hashes.sha512;
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{128}$/.test(hex)) {
    throw new UnsupportedAlgorithmError('no well-formed sha512 among the signed hashes');
  }
  return `sha512-${Buffer.from(hex, 'hex').toString('base64')}`;
}
