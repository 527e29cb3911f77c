// A loopback HTTP server over an in-memory file map that counts the requests it answers and the body
// bytes it sends: what a TUF client session costs on the wire, measured at the server.
import { createServer } from 'node:http';

/**
 * Serves `files` (file name -> bytes) under `/metadata/<file name>` on 127.0.0.1, port 0.
 * Role file names may contain '@' and '%2F' (encodeRoleName); the URL carries them as the client wrote
 * them, so a lookup tries the raw last segment first and then its percent-decoded form.
 */
export async function serveFiles(files) {
  let requests = 0;
  let bytes = 0;
  let notFound = 0;
  const server = createServer((req, res) => {
    requests += 1;
    const path = (req.url ?? '').split('?')[0];
    const prefix = '/metadata/';
    let body;
    if (req.method === 'GET' && path.startsWith(prefix)) {
      const name = path.slice(prefix.length);
      body = files.get(name);
      if (body === undefined) {
        try {
          body = files.get(decodeURIComponent(name));
        } catch (err) {
          if (!(err instanceof URIError)) throw err;
        }
      }
    }
    if (body === undefined) {
      notFound += 1;
      res.writeHead(404, { 'content-length': '0' });
      res.end();
      return;
    }
    bytes += body.length;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
    res.end(body);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    metadataUrl: `http://127.0.0.1:${port}/metadata/`,
    counts: () => ({ requests, bytes, notFound }),
    reset() {
      requests = 0;
      bytes = 0;
      notFound = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
