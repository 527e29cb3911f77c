import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

/**
 * A minimal static server for tests, laid out like @tufpm/registry: metadata files under
 * /-/tuf/metadata/<file>, tarballs under /<target path>.
 */
export async function serveRepository(metadataDir: string, tarballDir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const [base, rel] = path.startsWith('/-/tuf/metadata/') ? [metadataDir, path.slice('/-/tuf/metadata/'.length)] : [tarballDir, path.slice(1)];
      const file = normalize(join(base, rel));
      if (!file.startsWith(base + sep)) {
        res.writeHead(403).end();
        return;
      }
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-length': body.length }).end(body);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        res.writeHead(code === 'ENOENT' || code === 'EISDIR' ? 404 : 500).end();
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
