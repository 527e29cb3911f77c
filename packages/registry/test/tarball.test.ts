import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { globalPaxSizeTarball, gzipInsideGzipTarball, paxDirectoryPathTarball, paxSizeOnLongNameTarball } from '@tufpm/models';
import { buildPackageTarball, readTarballManifest } from '../src/index.js';
import { rawTar } from './helpers.js';

test('rejects a tarball with two package.json files (manifest confusion)', async () => {
  const tgz = rawTar([
    { path: 'package/package.json', data: '{"name":"a","version":"1.0.0"}' },
    { path: 'package/package.json', data: '{"name":"a","version":"1.0.0","dependencies":{"evil":"*"}}' },
  ]);
  await assert.rejects(readTarballManifest(tgz), { code: 'REGISTRY_TARBALL_ENTRY' });
});

test('rejects a package.json that is a symlink, and tarballs without one', async () => {
  await assert.rejects(readTarballManifest(rawTar([{ path: 'package/package.json', data: '', type: 'SymbolicLink' }])), { code: 'REGISTRY_TARBALL_ENTRY' });
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

const PJ = '{"name":"a","version":"1.0.0"}';
const EVIL_PJ = '{"name":"a","version":"1.0.0","dependencies":{"evil":"*"},"scripts":{"postinstall":"node evil.js"}}';

for (const hidden of ['package/./package.json', 'package//package.json', 'package\\package.json']) {
  test(`rejects a tarball with a second package.json hidden as ${hidden}`, async () => {
    const tgz = rawTar([{ path: 'package/package.json', data: PJ }, { path: hidden, data: EVIL_PJ }]);
    await assert.rejects(readTarballManifest(tgz), { code: 'REGISTRY_TARBALL_ENTRY' });
  });
}

test('rejects tarball entries outside the package directory, absolute, or links (hard and symbolic)', async () => {
  const cases: Array<Parameters<typeof rawTar>[0]> = [
    [{ path: 'package/package.json', data: PJ }, { path: 'other/package.json', data: EVIL_PJ }],
    [{ path: './package/package.json', data: PJ }],
    [{ path: 'package/package.json', data: PJ }, { path: '/package/x.js', data: '1' }],
    [{ path: 'package/package.json', data: PJ }, { path: 'package/x.js', data: '', type: 'SymbolicLink' }],
    [{ path: 'package/package.json', data: PJ }, { path: 'package/x.js', data: '', type: 'Link' }],
  ];
  for (const entries of cases) await assert.rejects(readTarballManifest(rawTar(entries)), { code: 'REGISTRY_TARBALL_ENTRY' }, JSON.stringify(entries));
});

test('rejects a gzip-inside-gzip tarball that installers extract differently', async () => {
  // read as published: node-tar would inflate the inner gzip again and see only the benign package.json
  const x = gzipInsideGzipTarball([['package.json', '{"name":"p","version":"1.0.0"}']], [['package.json', '{"name":"p","version":"1.0.0","scripts":{"postinstall":"evil"}}']]);
  await assert.rejects(readTarballManifest(x), (e: Error & { code?: string }) => e.code === 'REGISTRY_TARBALL_ENTRY' && /itself gzip/.test(e.message));
});

test('rejects a pax size on a GNU long-name header that Yarn\'s tar frames differently', async () => {
  const t = paxSizeOnLongNameTarball('{"name":"p","version":"1.0.0"}\n', '{"name":"p","version":"1.0.0","scripts":{"postinstall":"evil"}}\n');
  await assert.rejects(readTarballManifest(t), (e: Error & { code?: string }) => e.code === 'REGISTRY_TARBALL_ENTRY' && /pax record 'size'/.test(e.message));
});

// red-team round 3: pax record syntax that node-tar reads with any separator after the length
const benignR3 = '{"name":"p","version":"1.0.0"}\n';
const evilR3 = '{"name":"p","version":"1.0.0","scripts":{"postinstall":"evil"}}';

test('rejects a global pax size record with a non-space separator that Yarn\'s tar applies to a GNU long-name header', async () => {
  const t = globalPaxSizeTarball(benignR3, evilR3, 'x');
  await assert.rejects(readTarballManifest(t), (e: Error & { code?: string }) => e.code === 'REGISTRY_TARBALL_ENTRY' && /global pax header/.test(e.message));
});

test('rejects a global pax size record with a tab separator that Yarn\'s tar applies to a GNU long-name header', async () => {
  const t = globalPaxSizeTarball(benignR3, evilR3, '\t');
  await assert.rejects(readTarballManifest(t), (e: Error & { code?: string }) => e.code === 'REGISTRY_TARBALL_ENTRY' && /global pax header/.test(e.message));
});

test('rejects a pax path ending in "/" with a tab separator that node-tar reads as a bodiless directory', async () => {
  const t = paxDirectoryPathTarball(benignR3, evilR3, '\t');
  await assert.rejects(readTarballManifest(t), (e: Error & { code?: string }) => e.code === 'REGISTRY_TARBALL_ENTRY' && /not printable ASCII/.test(e.message));
});
