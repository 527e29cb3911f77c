// A static host for the overlay's metadata directory, with the cache headers docs/overlay.md asks of any
// host: versioned files (`<N>.<role>.json`) never change, so they are immutable; timestamp.json changes
// on every renewal, so it gets a short max-age. For local use, tests and CI; production uses any static
// host (object store + CDN) with the same headers. In the Merkle snapshot profile (ADR 0021) it also serves
// the tree's files, `merkle/<root>/<role>.proof.json`, `delta.json` and `auditors/<keyid>.json`: immutable
// (the root is in the path); the tree store (`merkle/.store/`) is never served.
import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const TIMESTAMP_MAX_AGE_SECONDS = 60;
/** The Merkle profile's files under one tree root (64 hex): a proof, the delta, an auditor's cosignature. */
const MERKLE_FILE = /^merkle\/[0-9a-f]{64}\/(?:[A-Za-z0-9@%_][A-Za-z0-9@%._-]{0,250}\.proof\.json|delta\.json|auditors\/[0-9a-f]{64}\.json)$/;

/** The Cache-Control header for a metadata file name. */
export function cacheControlFor(file: string): string {
  if (/^[1-9][0-9]*\./.test(file) || MERKLE_FILE.test(file)) return 'public, max-age=31536000, immutable';
  if (file === 'timestamp.json') return `public, max-age=${TIMESTAMP_MAX_AGE_SECONDS}`;
  return 'no-cache';
}

const SAFE_NAME = /^[A-Za-z0-9@%_][A-Za-z0-9@%._-]{0,250}\.json$/;
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface StaticMetadataServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves `dir` (flat: the metadata directory) on 127.0.0.1 (or `host`). Only GET/HEAD of `*.json` files. */
export function serveMetadata(dir: string, opts: { port?: number; host?: string; basePath?: string } = {}): Promise<StaticMetadataServer> {
  const base = (opts.basePath ?? '/').replace(/\/*$/, '/');
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://host');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const name = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : '';
      // Role names are percent-encoded in file names (`3.@babel%2Fcore.json`): the raw path is the file name.
      if (!(SAFE_NAME.test(name) || MERKLE_FILE.test(name)) || name.includes('..')) {
        res.writeHead(404).end();
        return;
      }
      const file = join(dir, name);
      try {
        const info = await stat(file);
        if (!info.isFile() || info.size > MAX_FILE_BYTES) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'cache-control': cacheControlFor(name) });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        res.writeHead(code === 'ENOENT' || code === 'ENOTDIR' ? 404 : 500).end();
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      const host = opts.host ?? '127.0.0.1';
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${base}`,
        server,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
