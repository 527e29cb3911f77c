import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Bounds on slow and many connections (issue 19: "no cap on slow connections"). A slowloris client
 * opens connections and sends its headers, or a publish body, a byte at a time: each holds a socket and
 * a file descriptor for as long as it likes, and enough of them starve everyone else.
 */
export interface ConnectionLimits {
  /** Time to receive a request's headers (Node's headersTimeout; 408 and close). Default 20 s. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, body included (Node's requestTimeout). Default 120 s: a 64 MiB publish at 0.6 MB/s. */
  requestTimeoutMs?: number;
  /** A socket with no traffic for this long is closed (a stalled body, a stalled download). Default 30 s. */
  idleTimeoutMs?: number;
  /** Open connections from one client address; more are closed at once. Default 256. */
  maxConnectionsPerClient?: number;
  /** Open connections in all; more are closed at once (Node's maxConnections). Default 4096. */
  maxConnections?: number;
}

export const DEFAULT_CONNECTION_LIMITS: Required<ConnectionLimits> = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 120_000,
  idleTimeoutMs: 30_000,
  maxConnectionsPerClient: 256,
  maxConnections: 4096,
};

/** createServer options: Node checks the header and request timeouts every `connectionsCheckingInterval`. */
export function serverOptions(limits: Required<ConnectionLimits>): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // a tenth of the shortest timeout, at most Node's default 30 s: a timeout is enforced within 10 % of it
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 10))),
  };
}

export function resolveLimits(limits: ConnectionLimits | undefined): Required<ConnectionLimits> {
  const out = { ...DEFAULT_CONNECTION_LIMITS, ...(limits ?? {}) };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`connection limit ${k} must be a positive integer, got ${String(v)}`);
  }
  // Node requires headersTimeout <= requestTimeout
  if (out.headersTimeoutMs > out.requestTimeoutMs) out.headersTimeoutMs = out.requestTimeoutMs;
  return out;
}

/** Applies the idle timeout and the connection caps to a server (before it listens). */
export function applyConnectionLimits(server: Server, limits: Required<ConnectionLimits>): void {
  server.maxConnections = limits.maxConnections;
  server.setTimeout(limits.idleTimeoutMs, (socket: Socket) => socket.destroy());
  const perClient = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const key = socket.remoteAddress ?? '?';
    const n = (perClient.get(key) ?? 0) + 1;
    if (n > limits.maxConnectionsPerClient) {
      socket.destroy();
      return;
    }
    perClient.set(key, n);
    socket.once('close', () => {
      const left = (perClient.get(key) ?? 1) - 1;
      if (left <= 0) perClient.delete(key);
      else perClient.set(key, left);
    });
  });
}
