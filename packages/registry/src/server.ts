import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { constants, type Stats } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { TufError } from '@tufpm/models';
import { applyConnectionLimits, resolveLimits, serverOptions, type ConnectionLimits } from './connection-limits.js';
import { RegistryError } from './errors.js';
import { FileDigestCache } from './file-digests.js';
import type { PublishHook } from './hooks.js';
import { readBody, sendError, sendJson, wantsAbbreviated } from './http-util.js';
import { registryLayout, tarballFile } from './layout.js';
import { renderAbbreviatedPackument, renderFullPackument, renderVersion } from './packument.js';
import { handlePublish } from './publish.js';
import { parseRoute, type Route } from './routes.js';
import { readStoredPackument, resumeInterruptedPublishes } from './store.js';
import { assertNoLinkedDirs } from './safe-path.js';
import { bearerToken, findToken, readTokens, tokenAllows, type TokenEntry } from './tokens.js';
import { resolveMetadataFile } from './tuf-files.js';
import { resolveMerkleFile } from './merkle-files.js';

export type RequestKind = 'packument' | 'tarball' | 'tuf' | 'publish' | 'other';
export type RequestCounts = Record<RequestKind, number>;

export interface RegistryOptions {
  /** The registry directory (see docs/registry.md); created on first publish. */
  dir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: a test registry should not listen on other interfaces. */
  host?: string;
  /** Base URL written into dist.tarball (default: the listening address). */
  publicUrl?: string;
  hooks?: PublishHook | PublishHook[];
  /** Bound on a publish body (base64 tarball inside JSON). Default 64 MiB. */
  maxBodyBytes?: number;
  /** Called with one line per request (method, path, status). */
  log?: (line: string) => void;
  /**
   * Test seam for attack simulations (malicious mirror, slow or endless responses): called before
   * routing; return true when it has answered the request itself.
   */
  intercept?: (req: IncomingMessage, res: ServerResponse, route: Route | undefined) => boolean | Promise<boolean>;
  /** Clock for publish times (default: real time). */
  now?: () => Date;
  /** Header/request/idle timeouts and connection caps (connection-limits.ts for the defaults). */
  limits?: ConnectionLimits;
}

export interface RunningRegistry {
  /** `http://127.0.0.1:<port>` (no trailing slash) or the configured public URL. */
  url: string;
  /** Always the listening address (`http://127.0.0.1:<port>`), even when a public URL is configured. */
  localUrl: string;
  port: number;
  host: string;
  dir: string;
  counts(): RequestCounts;
  resetCounts(): void;
  close(): Promise<void>;
}

const HEX_PREFIXED = /^([0-9a-f]{64}|[0-9a-f]{128})\.(.+)$/;

function kindOf(route: Route | undefined, method: string): RequestKind {
  if (route === undefined) return 'other';
  if (route.kind === 'packument' && method === 'PUT') return 'publish';
  if (route.kind === 'packument' || route.kind === 'version') return 'packument';
  if (route.kind === 'tarball') return 'tarball';
  if (route.kind === 'tuf' || route.kind === 'merkle') return 'tuf';
  return 'other';
}

function emptyCounts(): RequestCounts {
  return { packument: 0, tarball: 0, tuf: 0, publish: 0, other: 0 };
}

async function regularFile(file: string): Promise<number | undefined> {
  return (await regularFileStat(file))?.size;
}

async function regularFileStat(file: string): Promise<Stats | undefined> {
  try {
    const info = await lstat(file);
    return info.isFile() ? info : undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export async function startRegistry(options: RegistryOptions): Promise<RunningRegistry> {
  const layout = registryLayout(options.dir);
  const dir = layout.root;
  const host = options.host ?? '127.0.0.1';
  const hooks = options.hooks === undefined ? [] : Array.isArray(options.hooks) ? options.hooks : [options.hooks];
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const now = options.now ?? (() => new Date());
  const digestCache = new FileDigestCache();
  let counts = emptyCounts();
  let baseUrl = options.publicUrl?.replace(/\/+$/, '') ?? '';

  async function authenticate(req: IncomingMessage): Promise<TokenEntry> {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) throw new RegistryError('REGISTRY_UNAUTHORIZED', 'authentication required (Authorization: Bearer <token>)');
    const entry = findToken(await readTokens(dir), token);
    if (entry === undefined) throw new RegistryError('REGISTRY_FORBIDDEN', 'invalid token');
    return entry;
  }

  /**
   * Size and bytes from one open file: the size of an earlier lstat and the bytes of a later open could
   * belong to two versions of a file that the repository replaced (atomic rename) in between; under load a
   * client then got a Content-Length of the old timestamp.json with the new one's bytes, cut short: TUF_PARSE
   * (found by the registry load test, issue 19). O_NOFOLLOW keeps symlinks out as the lstat did.
   */
  async function serveFile(res: ServerResponse, file: string, type: string, head: boolean): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') throw new RegistryError('REGISTRY_NOT_FOUND', 'not found');
      throw err;
    }
    try {
      const info = await fh.stat();
      if (!info.isFile()) throw new RegistryError('REGISTRY_NOT_FOUND', 'not found');
      res.writeHead(200, { 'content-type': type, 'content-length': info.size, 'cache-control': 'no-cache' });
      if (head) {
        res.end();
        return;
      }
      try {
        // pipeline, not pipe: a client that hangs up mid-download must not leave the file descriptor open.
        await pipeline(fh.createReadStream({ autoClose: false, end: Math.max(0, info.size - 1) }), res);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
      }
    } finally {
      await fh.close();
    }
  }

  async function serveTarball(res: ServerResponse, name: string, file: string, head: boolean): Promise<void> {
    let path = tarballFile(dir, `${name}/-/${file}`);
    // a linked package directory (packages/<name> -> elsewhere) is not followed (issue 19)
    await assertNoLinkedDirs(dir, path);
    let size = await regularFile(path);
    if (size === undefined) {
      // Consistent snapshots (TUF 5.7.3) ask for `<hex digest>.<file>`: serve it only when the digest
      // really is the file's sha256 or sha512.
      const m = HEX_PREFIXED.exec(file);
      if (m !== null) {
        const plain = tarballFile(dir, `${name}/-/${m[2]}`);
        const info = await regularFileStat(plain);
        if (info !== undefined) {
          // hashed once per file version and streamed (file-digests.ts), not read whole per request
          const digests = await digestCache.digests(plain, info);
          if ((m[1]!.length === 64 ? digests.sha256 : digests.sha512) === m[1]) {
            path = plain;
            size = info.size;
          }
        }
      }
    }
    if (size === undefined) throw new RegistryError('REGISTRY_NOT_FOUND', 'tarball not found');
    await serveFile(res, path, 'application/octet-stream', head);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, route: Route): Promise<void> {
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    const readOnly = method === 'GET' || head;
    switch (route.kind) {
      case 'ping':
        if (!readOnly) throw new RegistryError('REGISTRY_METHOD_NOT_ALLOWED', 'method not allowed');
        return sendJson(res, 200, {}, 'application/json', head);
      case 'whoami': {
        if (!readOnly) throw new RegistryError('REGISTRY_METHOD_NOT_ALLOWED', 'method not allowed');
        const entry = await authenticate(req);
        return sendJson(res, 200, { username: entry.user }, 'application/json', head);
      }
      case 'tuf': {
        if (!readOnly) throw new RegistryError('REGISTRY_METHOD_NOT_ALLOWED', 'method not allowed');
        // one lstat per request: the resolved file's size comes with it (a role file per package adds up)
        const found = await resolveMetadataFile(layout.tufMetadataDir, route.file);
        if (found === undefined) throw new RegistryError('REGISTRY_NOT_FOUND', 'metadata not found');
        return serveFile(res, found.file, 'application/json', head);
      }
      case 'merkle': {
        if (!readOnly) throw new RegistryError('REGISTRY_METHOD_NOT_ALLOWED', 'method not allowed');
        const bytes = await resolveMerkleFile(layout.tufMetadataDir, route.root, route.rest);
        if (bytes === undefined) throw new RegistryError('REGISTRY_NOT_FOUND', 'merkle file not found');
        // Immutable per root: a CDN or the client may cache it forever (the root is in the URL).
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length, 'cache-control': 'public, max-age=31536000, immutable' });
        res.end(head ? undefined : bytes);
        return;
      }
      case 'tarball':
        if (!readOnly) throw new RegistryError('REGISTRY_METHOD_NOT_ALLOWED', 'method not allowed');
        return serveTarball(res, route.name, route.file, head);
      case 'version': {
        if (!readOnly) throw new RegistryError('REGISTRY_METHOD_NOT_ALLOWED', 'method not allowed');
        const stored = await readStoredPackument(dir, route.name);
        const manifest = stored === undefined ? undefined : renderVersion(stored, route.versionOrTag, baseUrl);
        if (manifest === undefined) throw new RegistryError('REGISTRY_NOT_FOUND', 'version not found');
        return sendJson(res, 200, manifest, 'application/json', head);
      }
      case 'packument': {
        if (method === 'PUT') {
          const entry = await authenticate(req);
          // Authorization before the body is read: an unauthorized client cannot make us buffer 64 MiB.
          if (!tokenAllows(entry, route.name)) throw new RegistryError('REGISTRY_FORBIDDEN', `token may not publish ${route.name}`);
          const body = await readBody(req, maxBody);
          const added = await handlePublish(body, { dir, name: route.name, user: entry.user, hooks, now });
          return sendJson(res, 201, { ok: true, id: added.name, version: added.version });
        }
        if (!readOnly) throw new RegistryError('REGISTRY_METHOD_NOT_ALLOWED', 'method not allowed');
        const stored = await readStoredPackument(dir, route.name);
        if (stored === undefined) throw new RegistryError('REGISTRY_NOT_FOUND', 'Not found');
        if (wantsAbbreviated(req.headers.accept)) {
          return sendJson(res, 200, renderAbbreviatedPackument(stored, baseUrl), 'application/vnd.npm.install-v1+json', head);
        }
        return sendJson(res, 200, renderFullPackument(stored, baseUrl), 'application/json', head);
      }
      case 'unknown':
        throw new RegistryError('REGISTRY_NOT_FOUND', 'Not found');
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    let route: Route | undefined;
    try {
      try {
        route = parseRoute(path);
      } finally {
        counts[kindOf(route, method)] += 1;
      }
      if (options.intercept !== undefined && (await options.intercept(req, res, route))) return;
      await handle(req, res, route);
    } catch (err) {
      if (err instanceof RegistryError) {
        sendError(res, err.status, err.message, err.code);
      } else if (err instanceof TufError) {
        // A publish hook (TUF signing) refused: the publisher sees why.
        sendError(res, 403, err.message, err.code);
      } else {
        options.log?.(`error: ${(err as Error).stack ?? String(err)}`);
        sendError(res, 500, 'internal error');
      }
      // A refused upload may still be streaming in; do not keep the connection for the rest of it.
      if (method === 'PUT' && !req.complete) res.on('finish', () => req.destroy());
    } finally {
      options.log?.(`${method} ${path} ${res.statusCode}`);
    }
  }

  // Publishes a killed registry left half done (publish-journal.ts) are finished before serving.
  for (const f of await resumeInterruptedPublishes(dir, hooks)) {
    options.log?.(`error: the interrupted publish of ${f.name} could not be finished yet (retried at its next publish): ${(f.error as Error).message ?? String(f.error)}`);
  }
  const limits = resolveLimits(options.limits);
  const server = createServer(serverOptions(limits), (req, res) => {
    void onRequest(req, res);
  });
  applyConnectionLimits(server, limits);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const localUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (baseUrl === '') baseUrl = localUrl;

  return {
    url: baseUrl,
    localUrl,
    port,
    host,
    dir,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      counts = emptyCounts();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // npm and Yarn keep connections alive; without this close() would wait for their timeouts.
        server.closeAllConnections();
      }),
  };
}
