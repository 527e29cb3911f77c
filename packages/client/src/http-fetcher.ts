// HTTP(S) Fetcher on node:http with streaming length limits and slow-retrieval defences.
import http from 'node:http';
import https from 'node:https';
import { LengthMismatchError } from '@tufpm/models';
import { DownloadError, SlowRetrievalError } from './errors.js';
import type { FetchOptions, Fetcher } from './fetcher.js';

export interface HttpFetcherOptions {
  /** abort when the socket sees no bytes for this long (connect, headers or body); default 30 s */
  idleTimeoutMs?: number;
  /** after graceMs, abort when the average body speed falls below this; default 1024 B/s */
  minBytesPerSecond?: number;
  /** grace period before the average-speed check applies; default 10 s */
  speedGraceMs?: number;
  /** abort when the response headers have not all arrived after this long (a server can keep the socket
   *  busy with one header byte at a time); default 30 s */
  headersTimeoutMs?: number;
  /** redirects followed, same scheme only; default 3 */
  maxRedirects?: number;
  /** extra request headers (user agent, auth for private mirrors) */
  headers?: Record<string, string>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class HttpFetcher implements Fetcher {
  readonly #idleTimeoutMs: number;
  readonly #minBytesPerSecond: number;
  readonly #speedGraceMs: number;
  readonly #maxRedirects: number;
  readonly #headersTimeoutMs: number;
  readonly #headers: Record<string, string>;

  constructor(options: HttpFetcherOptions = {}) {
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.#minBytesPerSecond = options.minBytesPerSecond ?? 1024;
    this.#speedGraceMs = options.speedGraceMs ?? 10_000;
    this.#maxRedirects = options.maxRedirects ?? 3;
    this.#headersTimeoutMs = options.headersTimeoutMs ?? 30_000;
    this.#headers = { 'user-agent': 'tufpm-client', ...(options.headers ?? {}) };
  }

  async *fetch(url: string, options: FetchOptions): AsyncIterable<Uint8Array> {
    const state = { timedOut: false };
    const res = await this.#open(url, 0, state);
    // endless data (TUF 5.3.2, 5.4.1, 5.5.1, 5.6.1, 5.7.3 length bounds): refuse early when the server announces too much
    const announced = res.headers['content-length'];
    if (announced !== undefined && Number(announced) > options.maxLength) {
      res.destroy();
      throw new LengthMismatchError(`${url}: server announces ${announced} bytes, limit is ${options.maxLength}`);
    }
    const started = Date.now();
    let received = 0;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        received += chunk.length;
        // endless data: stop reading as soon as the limit is crossed, never buffer the excess
        if (received > options.maxLength) {
          throw new LengthMismatchError(`${url}: more than ${options.maxLength} bytes received`);
        }
        // slow retrieval: a server trickling bytes keeps the idle timer alive, so check the average too
        const elapsed = Date.now() - started;
        if (elapsed > this.#speedGraceMs && (received * 1000) / elapsed < this.#minBytesPerSecond) {
          throw new SlowRetrievalError(`${url}: average speed below ${this.#minBytesPerSecond} B/s`, url);
        }
        yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      }
    } catch (err) {
      if (err instanceof LengthMismatchError || err instanceof SlowRetrievalError) throw err;
      // the idle timer destroyed the socket: the stream reports that as a reset, we report what happened
      if (state.timedOut) throw new SlowRetrievalError(`${url}: no data for ${this.#idleTimeoutMs} ms`, url);
      throw asDownloadError(url, err);
    } finally {
      // A response read to its end hands its socket back to the keep-alive agent (one connection for
      // hundreds of role files instead of one each); anything cut short is destroyed.
      if (!res.complete) res.destroy();
    }
  }

  #open(url: string, redirects: number, state: { timedOut: boolean }, headers: Record<string, string> = this.#headers): Promise<http.IncomingMessage> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      return Promise.reject(new DownloadError(`invalid URL ${url}`, { url, cause: err }));
    }
    const mod = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
    if (mod === undefined) return Promise.reject(new DownloadError(`unsupported URL scheme ${parsed.protocol}`, { url }));
    return new Promise((resolve, reject) => {
      const req = mod.get(parsed, { headers });
      // socket idle timeout covers a server that never answers and one that stops mid-body
      req.setTimeout(this.#idleTimeoutMs, () => {
        state.timedOut = true;
        req.destroy(new SlowRetrievalError(`${url}: no data for ${this.#idleTimeoutMs} ms`, url));
      });
      const headersTimer = setTimeout(() => {
        state.timedOut = true;
        req.destroy(new SlowRetrievalError(`${url}: no complete response headers after ${this.#headersTimeoutMs} ms`, url));
      }, this.#headersTimeoutMs);
      req.on('close', () => clearTimeout(headersTimer));
      req.on('error', (err) => reject(err instanceof SlowRetrievalError ? err : asDownloadError(url, err)));
      req.once('response', (res) => {
        clearTimeout(headersTimer);
        const status = res.statusCode ?? 0;
        if (REDIRECTS.has(status) && res.headers.location !== undefined) {
          res.resume();
          res.destroy();
          if (redirects >= this.#maxRedirects) {
            reject(new DownloadError(`${url}: too many redirects`, { url, status }));
            return;
          }
          let next: URL;
          try {
            next = new URL(res.headers.location, parsed);
          } catch (err) {
            reject(new DownloadError(`${url}: bad redirect location`, { url, status, cause: err }));
            return;
          }
          // never downgrade https to http (or switch to another scheme) on a redirect
          if (next.protocol !== parsed.protocol) {
            reject(new DownloadError(`${url}: redirect changes scheme to ${next.protocol}`, { url, status }));
            return;
          }
          // configured headers (credentials of a private mirror) never follow a redirect to another origin
          const nextHeaders = next.origin === parsed.origin ? headers : {};
          this.#open(next.href, redirects + 1, state, nextHeaders).then(resolve, reject);
          return;
        }
        if (status !== 200) {
          res.resume();
          res.destroy();
          // 429 (rate limited) is as transient as a 5xx: retried, after the server's Retry-After when it gives one
          const retryAfterMs = retryAfter(res.headers['retry-after']);
          const after = retryAfterMs === undefined ? '' : ` (Retry-After ${retryAfterMs / 1000} s)`;
          reject(new DownloadError(`${url}: HTTP ${status}${after}`, {
            url,
            status,
            retryable: status >= 500 || status === 429,
            ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
          }));
          return;
        }
        resolve(res);
      });
    });
  }
}

/** Retry-After in its delay-seconds form (RFC 9110 10.2.3); an HTTP date or garbage is ignored. */
function retryAfter(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

function asDownloadError(url: string, err: unknown): DownloadError | SlowRetrievalError {
  if (err instanceof DownloadError || err instanceof SlowRetrievalError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DownloadError(`${url}: ${message}`, { url, retryable: true, cause: err });
}
