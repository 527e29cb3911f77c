import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { startRegistry, type RegistryOptions, type RunningRegistry } from '../src/index.js';

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

/** A gzip'd tar with exactly these entries, unsafe paths and links included (buildPackageTarball refuses them). */
export function rawTar(entries: Array<{ path: string; data: string; type?: 'File' | 'SymbolicLink' | 'Link' }>): Uint8Array {
  const chunks: Buffer[] = [];
  for (const e of entries) {
    const isLink = e.type === 'SymbolicLink' || e.type === 'Link';
    const data = Buffer.from(e.data);
    const block = Buffer.alloc(512);
    new Header({ path: e.path, mode: 0o644, size: isLink ? 0 : data.length, mtime: new Date(0), type: e.type ?? 'File', linkpath: isLink ? (e.type === 'Link' ? 'package/package.json' : '/etc/passwd') : '' }).encode(block, 0);
    chunks.push(block);
    if (!isLink) chunks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  chunks.push(Buffer.alloc(1024));
  return new Uint8Array(gzipSync(Buffer.concat(chunks)));
}
