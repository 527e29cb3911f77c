import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TarballEntryError, globalPaxSizeTarball, gzipInsideGzipTarball, paxDirectoryPathTarball, paxSizeOnLongNameTarball } from '@tufpm/models';
import { readPackageTarball } from '../src/index.js';

// `tufpm-repo import/publish`, `tufpm sign/cosign/publish`: the typed publish error is the shared entry
// rules' TarballEntryError (TUF_TARBALL_ENTRY), refused before anything is signed.

test('rejects a gzip-inside-gzip tarball that installers extract differently', async () => {
  const x = gzipInsideGzipTarball([['package.json', '{"name":"p","version":"1.0.0"}']], [['package.json', '{"name":"p","version":"1.0.0","scripts":{"postinstall":"evil"}}']]);
  await assert.rejects(readPackageTarball(x), (e: unknown) => e instanceof TarballEntryError && e.code === 'TUF_TARBALL_ENTRY' && /itself gzip/.test(e.message));
});

test('rejects a pax size on a GNU long-name header that Yarn\'s tar frames differently', async () => {
  const t = paxSizeOnLongNameTarball('{"name":"p","version":"1.0.0"}\n', '{"name":"p","version":"1.0.0","scripts":{"postinstall":"evil"}}\n');
  await assert.rejects(readPackageTarball(t), (e: unknown) => e instanceof TarballEntryError && e.code === 'TUF_TARBALL_ENTRY' && /pax record 'size'/.test(e.message));
});

// red-team round 3: pax record syntax that node-tar reads with any separator after the length
const benignR3 = '{"name":"p","version":"1.0.0"}\n';
const evilR3 = '{"name":"p","version":"1.0.0","scripts":{"postinstall":"evil"}}';

test('rejects a global pax size record with a non-space separator that Yarn\'s tar applies to a GNU long-name header', async () => {
  const t = globalPaxSizeTarball(benignR3, evilR3, 'x');
  await assert.rejects(readPackageTarball(t), (e: unknown) => e instanceof TarballEntryError && e.code === 'TUF_TARBALL_ENTRY' && /global pax header/.test(e.message));
});

test('rejects a global pax size record with a tab separator that Yarn\'s tar applies to a GNU long-name header', async () => {
  const t = globalPaxSizeTarball(benignR3, evilR3, '\t');
  await assert.rejects(readPackageTarball(t), (e: unknown) => e instanceof TarballEntryError && e.code === 'TUF_TARBALL_ENTRY' && /global pax header/.test(e.message));
});

test('rejects a pax path ending in "/" with a tab separator that node-tar reads as a bodiless directory', async () => {
  const t = paxDirectoryPathTarball(benignR3, evilR3, '\t');
  await assert.rejects(readPackageTarball(t), (e: unknown) => e instanceof TarballEntryError && e.code === 'TUF_TARBALL_ENTRY' && /not printable ASCII/.test(e.message));
});
