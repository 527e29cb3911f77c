// A loopback HTTP proxy in front of the bench registry that plays a network: every request waits a fixed
// round trip before it is forwarded (the request's and the response's flight, as on a kept-alive
// connection), and every response body, tarball and metadata alike, shares one bandwidth cap (one
// machine's downlink). Settings change between phases without restarting, so every project keeps the
// same registry URL (and the same lockfiles) on loopback, at 20 ms and at 80 ms. It also counts requests
// and body bytes per kind (TUF metadata, tarball, packument), for bytes per package.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const kindOf = (url) => (url.startsWith('/-/tuf/') ? 'tuf' : url.endsWith('.tgz') ? 'tarball' : url.startsWith('/-/') ? 'other' : 'packument');
const emptyTraffic = () => ({ tuf: { requests: 0, bytes: 0 }, tarball: { requests: 0, bytes: 0 }, packument: { requests: 0, bytes: 0 }, other: { requests: 0, bytes: 0 } });

export async function startNetProxy(upstreamUrl) {
  let upstream = new URL(upstreamUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let network = { rttMs: 0, mbit: 0 };
  let traffic = emptyTraffic();
  // Pacing for the shared cap: the time at which the link is free again.
  let linkFreeAt = 0;
  const pace = async (bytes) => {
    if (network.mbit <= 0) return;
    const now = performance.now();
    linkFreeAt = Math.max(now, linkFreeAt) + (bytes * 8) / (network.mbit * 1000); // ms
    const wait = linkFreeAt - now;
    if (wait >= 1) await sleep(wait);
  };

  const server = http.createServer(async (req, res) => {
    const bucket = traffic[kindOf(req.url ?? '')];
    bucket.requests += 1;
    try {
      const body = [];
      for await (const chunk of req) body.push(chunk);
      if (network.rttMs > 0) await sleep(network.rttMs);
      const headers = { ...req.headers, host: upstream.host };
      const up = await new Promise((resolve, reject) => {
        const r = http.request({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, agent }, resolve);
        r.on('error', reject);
        r.end(Buffer.concat(body));
      });
      res.writeHead(up.statusCode ?? 502, up.headers);
      for await (const chunk of up) {
        await pace(chunk.length);
        bucket.bytes += chunk.length;
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    } catch (err) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bench proxy: ${err.message}\n`);
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    /** The registry behind the proxy (it can start after the proxy, knowing the proxy's URL). */
    setUpstream(next) {
      upstream = new URL(next);
    },
    /** rttMs: added to every request; mbit: the shared downlink cap in Mbit/s (0 = none). */
    setNetwork(next) {
      network = { rttMs: next.rttMs ?? 0, mbit: next.mbit ?? 0 };
      linkFreeAt = 0;
    },
    get network() {
      return { ...network };
    },
    takeTraffic() {
      const copy = traffic;
      traffic = emptyTraffic();
      return copy;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}
