import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { Header } from 'tar';
import { buildPackageTarball, readTarballManifest } from '../src/index.js';

function rawTar(entries: Array<{ path: string; data: string; type?: 'File' | 'SymbolicLink' }>): Uint8Array {
  const chunks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data);
    const block = Buffer.alloc(512);
    new Header({ path: e.path, mode: 0o644, size: e.type === 'SymbolicLink' ? 0 : data.length, mtime: new Date(0), type: e.type ?? 'File', linkpath: e.type === 'SymbolicLink' ? '/etc/passwd' : '' }).encode(block, 0);
    chunks.push(block);
    if (e.type !== 'SymbolicLink') chunks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  chunks.push(Buffer.alloc(1024));
  return new Uint8Array(gzipSync(Buffer.concat(chunks)));
}

test('rejects a tarball with two package.json files (manifest confusion)', async () => {
  const tgz = rawTar([
    { path: 'package/package.json', data: '{"name":"a","version":"1.0.0"}' },
    { path: 'package/package.json', data: '{"name":"a","version":"1.0.0","dependencies":{"evil":"*"}}' },
  ]);
  await assert.rejects(readTarballManifest(tgz), { code: 'REGISTRY_BAD_TARBALL' });
});

test('rejects a package.json that is a symlink, and tarballs without one', async () => {
  await assert.rejects(readTarballManifest(rawTar([{ path: 'package/package.json', data: '', type: 'SymbolicLink' }])), { code: 'REGISTRY_BAD_TARBALL' });
  await assert.rejects(readTarballManifest(rawTar([{ path: 'package/index.js', data: '1' }])), { code: 'REGISTRY_BAD_TARBALL' });
});

test('rejects a gzip bomb past the unpacked-size limit', async () => {
  const tgz = buildPackageTarball({ name: 'bomb', version: '1.0.0', files: { 'zeros.bin': new Uint8Array(4 * 1024 * 1024) } });
  assert.ok(tgz.length < 64 * 1024);
  await assert.rejects(readTarballManifest(tgz, { maxUnpackedBytes: 1024 * 1024 }), { code: 'REGISTRY_TOO_LARGE' });
});

test('rejects non-gzip data, garbage inside gzip and truncated tarballs instead of hanging', async () => {
  await assert.rejects(readTarballManifest(new TextEncoder().encode('{"not":"a tarball"}')), { code: 'REGISTRY_BAD_TARBALL' });
  await assert.rejects(readTarballManifest(new Uint8Array(gzipSync(randomBytes(4096)))), { code: 'REGISTRY_BAD_TARBALL' });
  const good = buildPackageTarball({ name: 'cut', version: '1.0.0' });
  await assert.rejects(readTarballManifest(good.subarray(0, good.length - 20)), { code: 'REGISTRY_BAD_TARBALL' });
});

test('reads the manifest of a package whose top directory is not called package/ (as npm does)', async () => {
  const tgz = rawTar([{ path: 'node-foo/package.json', data: '{"name":"foo","version":"0.1.0"}' }]);
  const { manifest } = await readTarballManifest(tgz);
  assert.equal(manifest['name'], 'foo');
});
