import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryError } from './errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/json', head = false): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': `${contentType}; charset=utf-8`,
    'content-length': bytes.length,
    'cache-control': 'no-cache',
  });
  res.end(head ? undefined : bytes);
}

/** npm shows `error` of a JSON error body next to the status line. */
export function sendError(res: ServerResponse, status: number, message: string, code?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, code === undefined ? { error: message } : { error: message, code });
}

/**
 * Reads a request body of at most `limit` bytes. A declared Content-Length over the limit is refused
 * before a single byte is read; a chunked body is cut off as soon as it passes the limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    const n = Number(declared);
    if (!Number.isSafeInteger(n) || n < 0) return Promise.reject(new RegistryError('REGISTRY_BAD_REQUEST', 'bad content-length'));
    if (n > limit) return Promise.reject(new RegistryError('REGISTRY_TOO_LARGE', `request body over the ${limit}-byte limit`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      total += chunk.length;
      if (total > limit) {
        done = true;
        req.pause();
        reject(new RegistryError('REGISTRY_TOO_LARGE', `request body over the ${limit}-byte limit`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

/** True when the client prefers npm's abbreviated packument (npm/pacote's "corgi" Accept header). */
export function wantsAbbreviated(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let best = { full: -1, corgi: -1 };
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';').map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (type === 'application/vnd.npm.install-v1+json') best = { ...best, corgi: Math.max(best.corgi, q) };
    if (type === 'application/json') best = { ...best, full: Math.max(best.full, q) };
  }
  return best.corgi > 0 && best.corgi >= best.full;
}
