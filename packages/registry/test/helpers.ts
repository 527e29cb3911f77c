import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRawTarball, startRegistry, type RegistryOptions, type RunningRegistry } from '../src/index.js';

export async function tempDir(prefix = 'tufpm-registry-'): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** A registry on 127.0.0.1:0 over a fresh temp dir; `done()` stops it and removes the dir. */
export async function withRegistry(
  options: Omit<RegistryOptions, 'dir'> = {},
): Promise<{ registry: RunningRegistry; dir: string; done: () => Promise<void> }> {
  const dir = await tempDir();
  const registry = await startRegistry({ ...options, dir: dir.path });
  return {
    registry,
    dir: dir.path,
    done: async () => {
      await registry.close();
      await dir.cleanup();
    },
  };
}

/** Raw HTTP/1.1 request over a socket, for paths fetch() would normalize (`..`, `%2e%2e`). */
export async function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

/** A tarball with exactly these entries (links point at /etc/passwd, hard links at package/package.json). */
export function rawTar(entries: Array<{ path: string; data: string; type?: 'File' | 'SymbolicLink' | 'Link' }>): Uint8Array {
  return buildRawTarball(entries.map((e) => (e.type === 'SymbolicLink' || e.type === 'Link' ? { ...e, linkpath: e.type === 'Link' ? 'package/package.json' : '/etc/passwd' } : e)));
}
