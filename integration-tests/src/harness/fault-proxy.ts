// A fault-injecting HTTP proxy between an installer (real Yarn, real tufpm-npm) and the loopback registry.
// It forwards every request to the registry and, for the requests a rule matches, breaks the answer the way
// a network, a load balancer or an overloaded registry does: a reset mid-body, a body cut short (with the
// full or with a matching Content-Length), a stall, a slow trickle, a 5xx, a 429 with Retry-After, a redirect
// loop, an endless body. None of these is a TUF attack on the bytes; the installers must say what happened,
// leave the project and the TUF cache untouched, and install once the fault clears.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** headers and half the body, then the TCP connection is reset */
  | { kind: 'reset' }
  /** half the body, then a clean close; Content-Length announces the full body (the client sees it short) */
  | { kind: 'truncate' }
  /** half the body with a Content-Length of exactly that half: a well-formed but short response */
  | { kind: 'truncate-matching-length' }
  /** headers and a few bytes, then nothing (the connection stays open until the client gives up) */
  | { kind: 'stall' }
  /** the body at `bytesPerSecond` (default 64), one chunk every `intervalMs` (default 100; a chunk is at least
   *  one byte, so an interval above the client's idle timeout is a trickle slower than that timeout) */
  | { kind: 'trickle'; bytesPerSecond?: number; intervalMs?: number }
  /** the real body followed by `extraBytes` of padding, with a Content-Length announcing all of it */
  | { kind: 'oversized'; extraBytes: number }
  /** an HTTP error status with a short body (500, 502, 503, 504) */
  | { kind: 'status'; status: number }
  /** 429 Too Many Requests with a Retry-After header in seconds */
  | { kind: 'too-many-requests'; retryAfter: number }
  /** 302 to the same URL with a counter, forever */
  | { kind: 'redirect-loop' }
  /** 200 with no length, the real body and then random bytes until the client closes */
  | { kind: 'endless' };

export type FaultKind = Fault['kind'];

/** What a rule matches: registry metadata (TUF files and packuments) or tarballs. */
export type Target = 'tuf' | 'packument' | 'tarball';

export function targetOf(path: string): Target {
  if (path.startsWith('/-/tuf/')) return 'tuf';
  if (/\/-\/[^/]+\.tgz$/.test(path)) return 'tarball';
  return 'packument';
}

interface Rule {
  match: (path: string) => boolean;
  fault: Fault;
  /** faulted requests left; Infinity until cleared */
  left: number;
}

export interface FaultStats {
  /** requests answered with a fault */
  faulted: number;
  /** body bytes written by endless and trickle answers */
  faultBytes: number;
  /** paths of faulted requests, in order */
  paths: string[];
}

export class FaultProxy {
  #rules: Rule[] = [];
  #stats: FaultStats = { faulted: 0, faultBytes: 0, paths: [] };
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: http.Server,
    private readonly upstream: URL,
  ) {}

  /** Starts a proxy on 127.0.0.1 in front of `upstreamUrl` (the registry, with or without a trailing slash). */
  static async start(upstreamUrl: string): Promise<FaultProxy> {
    const server = http.createServer();
    const proxy = new FaultProxy(server, new URL(upstreamUrl));
    server.on('request', (req, res) => {
      proxy.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(599, { 'content-type': 'text/plain' });
        res.end(`fault proxy: ${String(error)}`);
      });
    });
    server.on('connection', (socket) => {
      proxy.#sockets.add(socket);
      socket.on('close', () => proxy.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `http://127.0.0.1:<port>/`: what the project's registry setting points at. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** Faults the requests whose path `match` accepts (a Target, or a predicate), `times` times (default: until cleared). */
  inject(match: Target | ((path: string) => boolean), fault: Fault, times = Infinity): void {
    const test = typeof match === 'string' ? (path: string) => targetOf(path) === match : match;
    this.#rules.push({ match: test, fault, left: times });
  }

  /** The network heals: every rule is dropped and every stalled or endless answer is cut. */
  clear(): void {
    this.#rules = [];
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.clear();
  }

  stats(): FaultStats {
    return { ...this.#stats, paths: [...this.#stats.paths] };
  }

  resetStats(): void {
    this.#stats = { faulted: 0, faultBytes: 0, paths: [] };
  }

  async close(): Promise<void> {
    this.clear();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    const rule = req.method === 'GET' ? this.#rules.find((r) => r.left > 0 && r.match(path)) : undefined;
    if (rule === undefined) {
      if (req.method !== 'GET') {
        await this.#pipe(req, res);
        return;
      }
      const upstream = await this.#fetch(req);
      const headers = { ...upstream.headers, 'content-length': String(upstream.body.length) };
      delete headers['transfer-encoding'];
      res.writeHead(upstream.status, headers);
      res.end(upstream.body);
      return;
    }
    rule.left -= 1;
    this.#stats.faulted += 1;
    this.#stats.paths.push(path);
    const fault = rule.fault;
    switch (fault.kind) {
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `injected ${fault.status}` }));
        return;
      case 'too-many-requests':
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(fault.retryAfter) });
        res.end(JSON.stringify({ error: 'injected 429' }));
        return;
      case 'redirect-loop': {
        const hop = Number(new URL(req.url ?? '/', 'http://proxy').searchParams.get('hop') ?? '0') + 1;
        res.writeHead(302, { location: `${path}?hop=${hop}` });
        res.end();
        return;
      }
      default:
        break;
    }
    const upstream = await this.#fetch(req);
    const body = upstream.body;
    const headers = { ...upstream.headers };
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    delete headers['connection'];
    const half = body.subarray(0, Math.max(1, Math.floor(body.length / 2)));
    switch (fault.kind) {
      case 'reset':
        res.writeHead(upstream.status, { ...headers, 'content-length': String(body.length) });
        res.write(half, () => res.socket?.resetAndDestroy());
        return;
      case 'truncate':
        res.writeHead(upstream.status, { ...headers, 'content-length': String(body.length) });
        res.write(half, () => res.socket?.end());
        return;
      case 'truncate-matching-length':
        res.writeHead(upstream.status, { ...headers, 'content-length': String(half.length) });
        res.end(half);
        return;
      case 'stall':
        res.writeHead(upstream.status, { ...headers, 'content-length': String(body.length) });
        res.write(body.subarray(0, Math.min(8, body.length - 1)));
        return; // nothing more, ever: the client's timeout must answer
      case 'trickle': {
        const interval = fault.intervalMs ?? 100;
        const perTick = Math.max(1, Math.round(((fault.bytesPerSecond ?? 64) * interval) / 1000));
        res.writeHead(upstream.status, { ...headers, 'content-length': String(body.length) });
        let at = 0;
        const timer = setInterval(() => {
          if (res.destroyed || at >= body.length) {
            clearInterval(timer);
            this.#timers.delete(timer);
            if (!res.destroyed) res.end();
            return;
          }
          const chunk = body.subarray(at, at + perTick);
          at += chunk.length;
          this.#stats.faultBytes += chunk.length;
          res.write(chunk);
        }, interval);
        this.#timers.add(timer);
        return;
      }
      case 'oversized': {
        res.writeHead(upstream.status, { ...headers, 'content-length': String(body.length + fault.extraBytes) });
        res.write(body);
        const noise = Buffer.alloc(64 * 1024, 0x61);
        let left = fault.extraBytes;
        const pump = (): void => {
          while (!res.destroyed && left > 0) {
            const chunk = noise.subarray(0, Math.min(noise.length, left));
            left -= chunk.length;
            this.#stats.faultBytes += chunk.length;
            if (!res.write(chunk)) return;
          }
          if (left === 0 && !res.destroyed) res.end();
        };
        res.on('drain', pump);
        pump();
        return;
      }
      case 'endless': {
        res.writeHead(upstream.status, headers);
        res.write(body);
        const noise = Buffer.alloc(64 * 1024, 0x61);
        const pump = (): void => {
          while (!res.destroyed && !res.writableNeedDrain) {
            this.#stats.faultBytes += noise.length;
            if (!res.write(noise)) break;
          }
        };
        res.on('drain', pump);
        pump();
        return;
      }
    }
  }

  #fetch(req: http.IncomingMessage): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const out = http.request(
        new URL(req.url ?? '/', this.upstream),
        { method: req.method, headers: { ...req.headers, host: this.upstream.host, 'accept-encoding': 'identity' } },
        (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => resolve({ status: up.statusCode ?? 502, headers: up.headers, body: this.#rewrite(Buffer.concat(chunks), up.headers) }));
          up.on('error', reject);
        },
      );
      out.on('error', reject);
      req.pipe(out);
    });
  }

  /** Packuments name tarballs by the registry's absolute URL: point them at the proxy, so tarballs come through it too. */
  #rewrite(body: Buffer, headers: http.IncomingHttpHeaders): Buffer {
    if (!String(headers['content-type'] ?? '').includes('json')) return body;
    const from = this.upstream.origin;
    const text = body.toString('utf8');
    return text.includes(from) ? Buffer.from(text.split(from).join(this.url.replace(/\/$/, ''))) : body;
  }

  async #pipe(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const out = http.request(
        new URL(req.url ?? '/', this.upstream),
        { method: req.method, headers: { ...req.headers, host: this.upstream.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          up.on('end', resolve);
          up.on('error', reject);
        },
      );
      out.on('error', reject);
      req.pipe(out);
    });
  }
}
