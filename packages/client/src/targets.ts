// TUF 5.7: target files. Bytes are hashed while they stream and checked against the signed length and
// hashes before anything is returned or renamed into place; nothing unverified is ever left on disk.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { HashMismatchError, LengthMismatchError } from '@tufpm/models';
import { writeFileAtomic } from '@tufpm/merkle';
import { PRIVATE_FILE_MODE } from './cache.js';
import { withRetries, downloadBytes, type RetryPolicy } from './download.js';
import type { Fetcher } from './fetcher.js';
import { StreamHasher, hashStream, verifyDigest } from './hash-stream.js';
import type { TargetInfo } from './target-info.js';
import { targetUrl } from './urls.js';

export async function downloadTargetToFile(
  fetcher: Fetcher, baseUrl: string, info: TargetInfo, hashPrefix: string | undefined, dest: string, retry: RetryPolicy,
): Promise<void> {
  const url = targetUrl(baseUrl, info.path, hashPrefix);
  await withRetries(retry, async () => {
    const hasher = new StreamHasher();
    async function* verified(): AsyncIterable<Uint8Array> {
      // TUF 5.7.3 endless data: never more than the signed length
      for await (const chunk of fetcher.fetch(url, { maxLength: info.length })) {
        if (hasher.length + chunk.length > info.length) {
          throw new LengthMismatchError(`${url}: more than the signed ${info.length} bytes`);
        }
        hasher.update(chunk);
        yield chunk;
      }
      // TUF 5.7.3: length and hashes checked before the temp file is renamed into place
      verifyDigest(hasher.digest(), info, `target ${info.path}`);
    }
    await writeFileAtomic(dest, verified(), { mode: PRIVATE_FILE_MODE });
  });
}

export async function fetchTargetBytes(
  fetcher: Fetcher, baseUrl: string, info: TargetInfo, hashPrefix: string | undefined, retry: RetryPolicy,
): Promise<Uint8Array> {
  const url = targetUrl(baseUrl, info.path, hashPrefix);
  // TUF 5.7.3: bounded by the signed length
  const bytes = await downloadBytes(fetcher, url, info.length, retry);
  const hasher = new StreamHasher();
  hasher.update(bytes);
  // TUF 5.7.3
  verifyDigest(hasher.digest(), info, `target ${info.path}`);
  return bytes;
}

/** TUF 5.7.1: the path when it holds exactly the signed bytes, undefined when missing or different. */
export async function findCachedTarget(info: TargetInfo, path: string): Promise<string | undefined> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) return undefined;
    size = st.size;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw err;
  }
  if (size !== info.length) return undefined;
  const digest = await hashStream(createReadStream(path));
  try {
    verifyDigest(digest, info, `cached target ${info.path}`);
  } catch (err) {
    if (err instanceof HashMismatchError || err instanceof LengthMismatchError) return undefined;
    throw err;
  }
  return path;
}
