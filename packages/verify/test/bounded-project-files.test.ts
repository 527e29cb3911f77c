// The project's own files (package.json, package-lock.json, tufpm-lock.json, tufpm-auditors.json,
// tufpm-root.json) are written by whoever sends a pull request: each is bounded on its open handle before
// it is read, and a FIFO or directory in its place is refused instead of blocking or being read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmProjectPackageNames } from '../src/init-floors.js';
import { readLockfile } from '../src/lockfile.js';
import { MAX_AUDITORS_BYTES, readAuditorPolicy } from '../src/auditors.js';

const TWO_GIB = 2 * 1024 * 1024 * 1024;

async function inDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'verify-bounded-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function sparse(path: string, size: number): Promise<void> {
  await writeFile(path, '');
  await truncate(path, size);
}

test('rejects a 2 GiB package.json / package-lock.json (sparse) before reading it: init names no floors from it', async () => {
  await inDir(async (dir) => {
    await sparse(join(dir, 'package.json'), TWO_GIB);
    await sparse(join(dir, 'package-lock.json'), TWO_GIB);
    // read whole, these would throw ERR_FS_FILE_TOO_LARGE out of init
    assert.deepEqual(await npmProjectPackageNames(dir), []);
  });
});

test('rejects a FIFO package.json and a directory npm-shrinkwrap.json (init neither blocks nor throws EISDIR; the next lockfile is read)', async () => {
  await inDir(async (dir) => {
    execFileSync('mkfifo', [join(dir, 'package.json')]);
    await mkdir(join(dir, 'npm-shrinkwrap.json'));
    await writeFile(join(dir, 'package-lock.json'), JSON.stringify({ packages: { 'node_modules/left-pad': {} } }));
    assert.deepEqual(await npmProjectPackageNames(dir), ['left-pad']);
  });
});

test('reads a package.json of exactly the 16 MiB bound', async () => {
  await inDir(async (dir) => {
    const body = JSON.stringify({ dependencies: { 'left-pad': '^1.3.0' } });
    const limit = 16 * 1024 * 1024;
    await writeFile(join(dir, 'package.json'), body + ' '.repeat(limit - body.length));
    assert.deepEqual(await npmProjectPackageNames(dir), ['left-pad']);
    await writeFile(join(dir, 'package.json'), body + ' '.repeat(limit - body.length + 1));
    assert.deepEqual(await npmProjectPackageNames(dir), []);
  });
});

test('rejects a 2 GiB tufpm-lock.json and a FIFO in its place with TUF_LOCKFILE, before reading', async () => {
  await inDir(async (dir) => {
    const lock = join(dir, 'tufpm-lock.json');
    await sparse(lock, TWO_GIB);
    await assert.rejects(readLockfile(lock), (e: Error & { code?: string }) => e.code === 'TUF_LOCKFILE' && /larger than/.test(e.message));
    await rm(lock);
    execFileSync('mkfifo', [lock]);
    await assert.rejects(readLockfile(lock), (e: Error & { code?: string }) => e.code === 'TUF_LOCKFILE' && /not a regular file/.test(e.message));
  });
});

test('rejects a tufpm-auditors.json over its bound or a directory in its place with TUF_AUDITORS_CONFIG', async () => {
  await inDir(async (dir) => {
    const file = join(dir, 'tufpm-auditors.json');
    await sparse(file, TWO_GIB);
    await assert.rejects(readAuditorPolicy(file), (e: Error & { code?: string }) => e.code === 'TUF_AUDITORS_CONFIG' && new RegExp(`larger than ${MAX_AUDITORS_BYTES}`).test(e.message));
    await rm(file);
    await mkdir(file);
    await assert.rejects(readAuditorPolicy(file), (e: Error & { code?: string }) => e.code === 'TUF_AUDITORS_CONFIG' && /not a regular file/.test(e.message));
  });
});
