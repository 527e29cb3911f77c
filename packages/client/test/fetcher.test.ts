// HTTP fetcher: slow retrieval, streaming limits, redirects, retries that never weaken checks.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { HttpFetcher, downloadBytes, hashStream, sha512Integrity, verifyDigest } from '../src/index.js';
import { newEnv, rejectsWith } from './helpers/env.js';

const NO_RETRY = { retries: 0, backoffMs: () => 0 };

test('slow retrieval: a server that stops sending is abandoned', { timeout: 20_000 }, async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('stall', (_req, res) => {
    res.writeHead(200);
    res.write('x'); // then nothing, forever
  });
  const fetcher = new HttpFetcher({ idleTimeoutMs: 200 });
  await rejectsWith(downloadBytes(fetcher, `${env.sim.baseUrl}/stall`, 1000, NO_RETRY), 'TUF_SLOW_RETRIEVAL');
});

test('slow retrieval: a server that never answers is abandoned', { timeout: 20_000 }, async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('silent', () => undefined);
  const fetcher = new HttpFetcher({ idleTimeoutMs: 200 });
  await rejectsWith(downloadBytes(fetcher, `${env.sim.baseUrl}/silent`, 1000, NO_RETRY), 'TUF_SLOW_RETRIEVAL');
});

test('slow retrieval: headers trickled one byte at a time are abandoned', { timeout: 20_000 }, async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('slowheaders', (req) => {
    const socket = req.socket;
    const header = 'HTTP/1.1 200 OK\r\nx-padding: ' + 'a'.repeat(10_000);
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || i >= header.length) return clearInterval(timer);
      socket.write(header[i++]!);
    }, 10);
    socket.on('close', () => clearInterval(timer));
  });
  // the idle timer alone would never fire: a byte arrives every 10 ms
  const fetcher = new HttpFetcher({ idleTimeoutMs: 5_000, headersTimeoutMs: 300 });
  await rejectsWith(downloadBytes(fetcher, `${env.sim.baseUrl}/slowheaders`, 1000, NO_RETRY), 'TUF_SLOW_RETRIEVAL');
});

test('slow retrieval: trickling bytes below the minimum average speed is abandoned', { timeout: 20_000 }, async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('trickle', (_req, res) => {
    res.writeHead(200);
    const timer = setInterval(() => res.write('x'), 20);
    res.on('close', () => clearInterval(timer));
  });
  // the idle timer alone would never fire: a byte arrives every 20 ms
  const fetcher = new HttpFetcher({ idleTimeoutMs: 5_000, minBytesPerSecond: 10_000, speedGraceMs: 200 });
  await rejectsWith(downloadBytes(fetcher, `${env.sim.baseUrl}/trickle`, 1_000_000, NO_RETRY), 'TUF_SLOW_RETRIEVAL');
});

test('endless data: an announced content-length over the limit is refused before reading', async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('big', (_req, res) => {
    res.writeHead(200, { 'content-length': '1000000' });
    res.write(Buffer.alloc(10));
  });
  await rejectsWith(downloadBytes(new HttpFetcher(), `${env.sim.baseUrl}/big`, 1000, NO_RETRY), 'TUF_LENGTH');
});

test('a custom fetcher that ignores the limit still cannot exceed it', async () => {
  const greedy = {
    async *fetch(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 100; i++) yield new Uint8Array(1000);
    },
  };
  await rejectsWith(downloadBytes(greedy, 'http://unused/', 5000, NO_RETRY), 'TUF_LENGTH');
});

test('HTTP errors carry their status and 404 is not retried', async (t) => {
  const env = await newEnv(t);
  await assert.rejects(downloadBytes(new HttpFetcher(), `${env.sim.baseUrl}/nothing`, 1000, { retries: 3, backoffMs: () => 0 }), (err: any) => {
    assert.equal(err.code, 'TUF_DOWNLOAD');
    assert.equal(err.status, 404);
    return true;
  });
  assert.equal(env.sim.count('nothing'), 1);
});

test('network errors are retried, and the retry is checked from scratch', async (t) => {
  const env = await newEnv(t);
  let calls = 0;
  env.sim.overrides.set('flaky', (req, res) => {
    calls++;
    if (calls === 1) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200).end('ok');
  });
  const bytes = await downloadBytes(new HttpFetcher(), `${env.sim.baseUrl}/flaky`, 1000, { retries: 2, backoffMs: () => 0 });
  assert.equal(new TextDecoder().decode(bytes), 'ok');
  assert.equal(calls, 2);
});

test('a 429 with Retry-After is retried after the delay the server asked for', async (t) => {
  const env = await newEnv(t);
  const seen: number[] = [];
  env.sim.overrides.set('busy', (_req, res) => {
    seen.push(Date.now());
    if (seen.length === 1) {
      res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      return;
    }
    res.writeHead(200).end('ok');
  });
  const bytes = await downloadBytes(new HttpFetcher(), `${env.sim.baseUrl}/busy`, 1000, { retries: 2, backoffMs: () => 0 });
  assert.equal(new TextDecoder().decode(bytes), 'ok');
  assert.equal(seen.length, 2);
  assert.ok(seen[1]! - seen[0]! >= 950, `waited the Retry-After (${seen[1]! - seen[0]!} ms)`);
});

test('a 429 asking for a longer wait than the client allows fails at once, naming the delay', async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('busy', (_req, res) => void res.writeHead(429, { 'retry-after': '3600' }).end());
  const started = Date.now();
  await assert.rejects(downloadBytes(new HttpFetcher(), `${env.sim.baseUrl}/busy`, 1000, { retries: 2, backoffMs: () => 0 }), (err: any) => {
    assert.equal(err.code, 'TUF_DOWNLOAD');
    assert.equal(err.status, 429);
    assert.equal(err.retryable, true);
    assert.match(err.message, /HTTP 429 \(Retry-After 3600 s\)/);
    return true;
  });
  assert.equal(env.sim.count('busy'), 1, 'no retry: an hour is not waited for');
  assert.ok(Date.now() - started < 2_000);
});

test('a length violation is never retried', async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('long', (_req, res) => res.writeHead(200).end(Buffer.alloc(2000)));
  await rejectsWith(downloadBytes(new HttpFetcher(), `${env.sim.baseUrl}/long`, 1000, { retries: 3, backoffMs: () => 0 }), 'TUF_LENGTH');
  assert.equal(env.sim.count('long'), 1);
});

test('a hash mismatch on a target is never retried', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.addTarget('targets', 'f', 'genuine');
  sim.publish('targets');
  sim.updateSnapshot();
  const updater = env.updater({ retry: { retries: 3, backoffMs: () => 0 } });
  const info = (await updater.getTargetInfo('f'))!;
  sim.artifacts.get('f')!.data = new TextEncoder().encode('changed');
  await rejectsWith(updater.downloadTarget(info), 'TUF_HASH');
  assert.equal(sim.requests.filter((r) => r.startsWith('targets/')).length, 1);
});

test('redirects are followed within the same scheme only', async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('hop', (_req, res) => res.writeHead(302, { location: '/final' }).end());
  env.sim.overrides.set('final', (_req, res) => res.writeHead(200).end('landed'));
  env.sim.overrides.set('downgrade', (_req, res) => res.writeHead(302, { location: env.sim.baseUrl.replace('http:', 'https:') + '/final' }).end());
  env.sim.overrides.set('loop', (_req, res) => res.writeHead(302, { location: '/loop' }).end());
  const fetcher = new HttpFetcher();
  assert.equal(new TextDecoder().decode(await downloadBytes(fetcher, `${env.sim.baseUrl}/hop`, 100, NO_RETRY)), 'landed');
  // refused on the redirect itself (status 302), before any connection to the other scheme
  await assert.rejects(downloadBytes(fetcher, `${env.sim.baseUrl}/downgrade`, 100, NO_RETRY), (err: any) => err.code === 'TUF_DOWNLOAD' && err.status === 302);
  await rejectsWith(downloadBytes(fetcher, `${env.sim.baseUrl}/loop`, 100, NO_RETRY), 'TUF_DOWNLOAD');
  assert.equal(env.sim.count('loop'), 4);
});

test('credentials of a private mirror do not follow a redirect to another origin', async (t) => {
  const seen: Array<string | undefined> = [];
  const other = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(200).end('elsewhere');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => other.close(() => resolve())));
  const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  const env = await newEnv(t);
  env.sim.overrides.set('same', (req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(302, { location: '/away' }).end();
  });
  env.sim.overrides.set('away', (req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(302, { location: `${otherUrl}/final` }).end();
  });
  const fetcher = new HttpFetcher({ headers: { authorization: 'Bearer secret' } });
  assert.equal(new TextDecoder().decode(await downloadBytes(fetcher, `${env.sim.baseUrl}/same`, 100, NO_RETRY)), 'elsewhere');
  assert.deepEqual(seen, ['Bearer secret', 'Bearer secret', undefined], 'kept on the same origin, dropped for another');
});

test('hashStream computes length, sha256 and sha512 of a stream in one pass', async () => {
  const data = Buffer.alloc(300_000, 7);
  const digest = await hashStream(Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
  assert.equal(digest.length, data.length);
  assert.equal(digest.sha256, createHash('sha256').update(data).digest('hex'));
  assert.equal(digest.sha512, createHash('sha512').update(data).digest('hex'));
  verifyDigest(digest, { length: data.length, hashes: { sha512: digest.sha512 } }, 'tarball');
  assert.throws(() => verifyDigest(digest, { length: data.length, hashes: { md5: 'x' } }, 'tarball'), { code: 'TUF_UNSUPPORTED_ALGORITHM' });
  assert.throws(() => verifyDigest(digest, { length: data.length, hashes: {} }, 'tarball'), { code: 'TUF_UNSUPPORTED_ALGORITHM' });
  assert.throws(() => verifyDigest(digest, { length: data.length, hashes: { sha256: '00'.repeat(32) } }, 'tarball'), { code: 'TUF_HASH' });
});

test('sha512Integrity gives the npm dist.integrity of the signed sha512', () => {
  const data = Buffer.from('tarball bytes');
  const hex = createHash('sha512').update(data).digest('hex');
  assert.equal(sha512Integrity({ sha256: 'x', sha512: hex }), `sha512-${createHash('sha512').update(data).digest('base64')}`);
  assert.throws(() => sha512Integrity({ sha256: createHash('sha256').update(data).digest('hex') }), { code: 'TUF_UNSUPPORTED_ALGORITHM' });
});
