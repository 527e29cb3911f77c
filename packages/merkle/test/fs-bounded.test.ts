// The one bounded reader: a file larger than its bound, or no regular file, is refused before it is read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, open, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readBoundedFile, readHandleBounded } from '../src/index.js';
import { withDir } from './helpers.js';

const TWO_GIB = 2 * 1024 * 1024 * 1024;

test('rejects a 2 GiB (sparse) file over the bound by its fstat size, without allocating or reading it', async () => {
  await withDir('fs-bounded', async (dir) => {
    const file = join(dir, 'package.json');
    await writeFile(file, '');
    await truncate(file, TWO_GIB);
    // readFile of this file would throw ERR_FS_FILE_TOO_LARGE (or allocate 2 GiB): the reader never tries
    assert.deepEqual(await readBoundedFile(file, 1024 * 1024), { kind: 'too-large', size: TWO_GIB });
  });
});

test('rejects a FIFO (it would block a reader forever) and a directory as not-a-file', async () => {
  await withDir('fs-bounded', async (dir) => {
    const fifo = join(dir, '.npmrc');
    execFileSync('mkfifo', [fifo]);
    assert.deepEqual(await readBoundedFile(fifo, 1024), { kind: 'not-a-file' });
    const sub = join(dir, 'yarn.lock');
    await mkdir(sub);
    assert.deepEqual(await readBoundedFile(sub, 1024), { kind: 'not-a-file' });
  });
});

test('reads a file of exactly the bound, and rejects one byte more', async () => {
  await withDir('fs-bounded', async (dir) => {
    const file = join(dir, 'root.json');
    const bytes = new Uint8Array(4096).map((_, i) => i % 251);
    await writeFile(file, bytes);
    const read = await readBoundedFile(file, 4096);
    assert.equal(read.kind, 'file');
    assert.deepEqual(read.kind === 'file' ? read.bytes : undefined, bytes);
    // a plain Uint8Array of exactly the file's bytes (not a view into a larger or pooled buffer)
    assert.equal(read.kind === 'file' ? read.bytes.buffer.byteLength : -1, 4096);
    assert.deepEqual(await readBoundedFile(file, 4095), { kind: 'too-large', size: 4096 });
    await writeFile(file, '');
    assert.deepEqual(await readBoundedFile(file, 0), { kind: 'file', bytes: new Uint8Array(0) });
  });
});

test('rejects a file that grows past the bound after its fstat (reads at most bound + 1 bytes)', async () => {
  await withDir('fs-bounded', async (dir) => {
    const file = join(dir, 'tufpm-lock.json');
    await writeFile(file, 'x'.repeat(100));
    const handle = await open(file, 'r');
    try {
      // the fstat saw 100 bytes; the file is 1 MiB by the time it is read
      const grownLater = Object.assign(Object.create(handle), { stat: async () => Object.assign(await handle.stat(), { size: 100 }) });
      await writeFile(file, 'x'.repeat(1024 * 1024));
      assert.deepEqual(await readHandleBounded(grownLater, 1000), { kind: 'too-large', size: 1001 });
      // grown but still within the bound: all of it is read
      const read = await readHandleBounded(grownLater, 2 * 1024 * 1024);
      assert.equal(read.kind === 'file' ? read.bytes.length : -1, 1024 * 1024);
    } finally {
      await handle.close();
    }
  });
});

test('a missing file is reported with its ENOENT error; with noFollow a symlink is refused, not followed', async () => {
  await withDir('fs-bounded', async (dir) => {
    const missing = await readBoundedFile(join(dir, 'absent.json'), 1024);
    assert.equal(missing.kind, 'missing');
    assert.equal(missing.kind === 'missing' ? missing.error.code : '', 'ENOENT');
    const target = join(dir, 'target.json');
    await writeFile(target, '{}');
    const link = join(dir, 'root.json');
    await symlink(target, link);
    assert.deepEqual(await readBoundedFile(link, 1024, { noFollow: true }), { kind: 'not-a-file' });
    assert.equal((await readBoundedFile(link, 1024)).kind, 'file');
  });
});
