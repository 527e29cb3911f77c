import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { addToken } from '../src/index.js';
import { withRegistry } from './helpers.js';

/** A connection from `localAddress` that sends a request line and then one header byte every `everyMs`. */
function slowClient(port: number, localAddress: string, everyMs: number): { socket: Socket; closed: Promise<number> } {
  const t0 = Date.now();
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    socket.write('GET /-/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    timer = setInterval(() => socket.write('a'), everyMs);
  });
  socket.on('error', () => undefined); // a reset is one of the ways the server closes it
  socket.on('data', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => {
    clearInterval(timer);
    resolve(Date.now() - t0);
  }));
  return { socket, closed };
}

test('slowloris: connections that trickle their headers are closed within the header timeout, past the per-client cap at once, and other clients are served meanwhile', async () => {
  const limits = { headersTimeoutMs: 1500, requestTimeoutMs: 3000, idleTimeoutMs: 3000, maxConnectionsPerClient: 20, maxConnections: 200 };
  const { registry, done } = await withRegistry({ limits });
  const attackers: Array<{ socket: Socket; closed: Promise<number> }> = [];
  try {
    // 30 slow connections from 127.0.0.2 (Linux routes all of 127/8 to loopback): 20 allowed, 10 closed at once.
    for (let i = 0; i < 30; i++) attackers.push(slowClient(registry.port, '127.0.0.2', 200));
    const early = await Promise.race([Promise.all(attackers.slice(20).map((a) => a.closed)), new Promise<'late'>((r) => setTimeout(() => r('late'), 1000))]);
    assert.notEqual(early, 'late', 'connections past the per-client cap are closed at once');
    // an honest client (127.0.0.1) is served while the 20 slow ones are held
    const t0 = Date.now();
    const res = await fetch(`${registry.url}/-/ping`);
    assert.equal(res.status, 200);
    assert.ok(Date.now() - t0 < 1000, `served in ${Date.now() - t0} ms`);
    // every slow connection is gone within the header timeout plus the checking interval (and slack for load)
    const times = await Promise.all(attackers.slice(0, 20).map((a) => a.closed));
    const worst = Math.max(...times);
    assert.ok(worst >= limits.headersTimeoutMs - 100, `closed after ${worst} ms, not before the timeout`);
    assert.ok(worst < limits.headersTimeoutMs + 2500, `all 20 closed within ${worst} ms`);
  } finally {
    for (const a of attackers) a.socket.destroy();
    await done();
  }
});

test('slowloris: a publish body that stalls is closed after the idle timeout, one that trickles after the request timeout', async () => {
  const limits = { headersTimeoutMs: 1000, requestTimeoutMs: 2500, idleTimeoutMs: 1200, maxConnectionsPerClient: 20, maxConnections: 200 };
  const { registry, dir, done } = await withRegistry({ limits });
  const token = await addToken(dir, { user: 'alice' });
  const sockets: Socket[] = [];
  const open = (everyMs: number | undefined): Promise<number> => {
    const t0 = Date.now();
    const socket = connect({ port: registry.port, host: '127.0.0.1' });
    sockets.push(socket);
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      // an authorised publish: the registry reads its body
      socket.write(`PUT /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Length: 100000\r\n\r\n{`);
      if (everyMs !== undefined) timer = setInterval(() => socket.write(' '), everyMs);
    });
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    return new Promise((resolve) => socket.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - t0);
    }));
  };
  try {
    const [stalled, trickling] = await Promise.all([open(undefined), open(300)]);
    assert.ok(stalled >= limits.idleTimeoutMs - 100 && stalled < limits.idleTimeoutMs + 2500, `stalled body closed after ${stalled} ms`);
    assert.ok(trickling >= limits.requestTimeoutMs - 100 && trickling < limits.requestTimeoutMs + 2500, `trickling body closed after ${trickling} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    await done();
  }
});
