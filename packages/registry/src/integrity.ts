import { createHash } from 'node:crypto';

export interface TarballDigests {
  /** `sha512-<base64>`, npm's dist.integrity (and the TUF sha512 target hash, base64 instead of hex) */
  integrity: string;
  /** hex sha1, npm's legacy dist.shasum */
  shasum: string;
  sha512Hex: string;
  sha256Hex: string;
  length: number;
}

export function tarballDigests(data: Uint8Array): TarballDigests {
  const sha512 = createHash('sha512').update(data).digest();
  return {
    integrity: `sha512-${sha512.toString('base64')}`,
    shasum: createHash('sha1').update(data).digest('hex'),
    sha512Hex: sha512.toString('hex'),
    sha256Hex: createHash('sha256').update(data).digest('hex'),
    length: data.length,
  };
}
