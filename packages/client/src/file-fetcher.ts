// `file://` metadata URLs: a metadata directory on disk (offline CI, a checked-out copy of a team's overlay
// repository, docs/overlay.md). Read as strictly as HTTP: the same length bounds (a file longer than the
// bound is refused before any byte is read, as an announced Content-Length is, and the read stops at the
// bound if the file grows), one flat file name per URL, and nothing outside the directory the URL names:
// a symlink leading elsewhere, a FIFO or a device is refused. Errors are the HTTP fetcher's: a missing
// file is a DownloadError with status 404 (so the root update ends there, TUF 5.3.3, as on a server), any
// other refusal a non-retryable DownloadError (code TUF_DOWNLOAD), too long a LengthMismatchError.
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LengthMismatchError } from '@tufpm/models';
import { DownloadError } from './errors.js';
import type { FetchOptions, Fetcher } from './fetcher.js';
import { HttpFetcher, type HttpFetcherOptions } from './http-fetcher.js';

/** What a metadata file name may be: `<version>.<encoded role>.json` or `<role>.json` (urls.ts, encodeRoleName). */
const FILE_NAME = /^[A-Za-z0-9@%_+~-][A-Za-z0-9@%_.+~-]{0,250}$/;
const CHUNK_BYTES = 64 * 1024;

/** A file URL -> the directory it names (absolute path) and the file name in it, or a DownloadError. */
export function splitFileUrl(url: string): { dir: string; name: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new DownloadError(`invalid URL ${url}`, { url, cause: err });
  }
  if (parsed.protocol !== 'file:') throw new DownloadError(`${url}: not a file: URL`, { url });
  // file://host/... would be a network share on some systems: only this machine's files
  if (parsed.host !== '' && parsed.host !== 'localhost') throw new DownloadError(`${url}: a file: URL must name a local path (file:///...), not host ${parsed.host}`, { url });
  if (parsed.search !== '' || parsed.hash !== '') throw new DownloadError(`${url}: a file: URL must not have a query or fragment`, { url });
  const slash = parsed.pathname.lastIndexOf('/');
  // The raw last segment is the file name, as a static HTTP host maps it (serve.ts): role names are
  // percent-encoded in file names (`3.@babel%2Fcore.json`), so it is not decoded.
  const name = parsed.pathname.slice(slash + 1);
  if (!FILE_NAME.test(name) || name.includes('..')) throw new DownloadError(`${url}: not a metadata file name`, { url, status: 404 });
  let dir: string;
  try {
    dir = fileURLToPath(new URL('./', parsed));
  } catch (err) {
    throw new DownloadError(`${url}: not a local directory path (${(err as Error).message})`, { url, cause: err });
  }
  return { dir, name };
}

function fsError(url: string, err: unknown): DownloadError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new DownloadError(`${url}: no such file`, { url, status: 404, cause: err });
  if (code === 'ELOOP') return new DownloadError(`${url}: a symlink loop or a symlink where a file was expected`, { url, cause: err });
  // EACCES and the like: fail closed, not "no newer root"
  const transient = code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN' || code === 'EBUSY';
  return new DownloadError(`${url}: ${(err as Error).message}`, { url, retryable: transient, cause: err });
}

/** Reads `file:` URLs of a metadata directory (see the top of this file). */
export class FileFetcher implements Fetcher {
  async *fetch(url: string, options: FetchOptions): AsyncIterable<Uint8Array> {
    const { dir, name } = splitFileUrl(url);
    let realDir: string;
    let realFile: string;
    try {
      realDir = await realpath(dir);
      realFile = await realpath(join(realDir, name));
    } catch (err) {
      throw fsError(url, err);
    }
    // A symlink in the metadata directory may point at another file of it (a static host would serve that
    // too), never out of it: whoever controls a link must not make the client read ~/.ssh or /dev/zero.
    if (dirname(realFile) !== realDir) {
      throw new DownloadError(`${url}: a symlink leads outside the metadata directory ${realDir} (to ${realFile}); refused`, { url });
    }
    let before;
    try {
      before = await stat(realFile);
    } catch (err) {
      throw fsError(url, err);
    }
    // a FIFO would block the open, a device would be endless: regular files only
    if (!before.isFile()) throw new DownloadError(`${url}: not a regular file`, { url });
    // endless data (TUF 5.3.2, 5.4.1, 5.5.1, 5.6.1 length bounds): refuse early, as an announced Content-Length
    if (before.size > options.maxLength) throw new LengthMismatchError(`${url}: file has ${before.size} bytes, limit is ${options.maxLength}`);
    let handle;
    try {
      handle = await open(realFile, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    } catch (err) {
      throw fsError(url, err);
    }
    try {
      const opened = await handle.stat();
      // swapped between the checks and the open: refuse rather than read something else
      if (!opened.isFile() || opened.ino !== before.ino || opened.dev !== before.dev) {
        throw new DownloadError(`${url}: the file changed while it was opened`, { url, retryable: true });
      }
      let received = 0;
      for (;;) {
        const buffer = new Uint8Array(CHUNK_BYTES);
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
        if (bytesRead === 0) return;
        received += bytesRead;
        // the file grew past the bound while being read: stop, never buffer the excess
        if (received > options.maxLength) throw new LengthMismatchError(`${url}: more than ${options.maxLength} bytes read`);
        yield buffer.subarray(0, bytesRead);
      }
    } catch (err) {
      if (err instanceof DownloadError || err instanceof LengthMismatchError) throw err;
      throw fsError(url, err);
    } finally {
      await handle.close();
    }
  }
}

/**
 * The client's default Fetcher: `http:` / `https:` URLs through HttpFetcher, `file:` URLs through
 * FileFetcher; any other scheme is refused (DownloadError) by HttpFetcher.
 */
export class UrlFetcher implements Fetcher {
  readonly #http: HttpFetcher;
  readonly #file = new FileFetcher();

  constructor(httpOptions: HttpFetcherOptions = {}) {
    this.#http = new HttpFetcher(httpOptions);
  }

  fetch(url: string, options: FetchOptions): AsyncIterable<Uint8Array> {
    return /^file:/i.test(url) ? this.#file.fetch(url, options) : this.#http.fetch(url, options);
  }
}
