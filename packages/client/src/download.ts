// Byte-limited downloads with retries that never weaken checks: only network-level failures are retried,
// every attempt is checked from scratch, and nothing a failed attempt produced is kept.
import { LengthMismatchError } from '@tufpm/models';
import { DownloadError } from './errors.js';
import type { Fetcher } from './fetcher.js';

export interface RetryPolicy {
  retries: number;
  /** delay before attempt n (1-based) in ms */
  backoffMs: (attempt: number) => number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 2, backoffMs: (n) => 100 * n };

/**
 * Longest Retry-After a retry waits for: a server asking for more is answered with the error now (an
 * install should not sit silent for minutes; the user retries later), never with a hang.
 */
export const MAX_RETRY_AFTER_MS = 5_000;

/** Run `attempt` again only when it failed with a retryable DownloadError (network error, HTTP 5xx or 429). */
export async function withRetries<T>(policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      // verification failures, 404, length and slow-retrieval errors are final
      if (!(err instanceof DownloadError) || !err.retryable || n >= policy.retries) throw err;
      const asked = err.retryAfterMs ?? 0;
      if (asked > MAX_RETRY_AFTER_MS) throw err;
      await new Promise((r) => setTimeout(r, Math.max(asked, policy.backoffMs(n + 1))));
    }
  }
}

/** Collect a body into memory, counting bytes again so no Fetcher can exceed maxLength (endless data). */
export async function downloadBytes(fetcher: Fetcher, url: string, maxLength: number, policy: RetryPolicy = DEFAULT_RETRY): Promise<Uint8Array> {
  return withRetries(policy, async () => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of fetcher.fetch(url, { maxLength })) {
      total += chunk.length;
      if (total > maxLength) throw new LengthMismatchError(`${url}: more than ${maxLength} bytes received`);
      chunks.push(chunk);
    }
    const out = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  });
}
