// The repository's readers of its own files (keys, config, journals, staged requests) go through the one
// bounded reader of @tufpm/merkle; this wrapper keeps their errors: ENOENT as before, LengthMismatchError
// for a file over the bound or no regular file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LengthMismatchError } from '@tufpm/models';
import { isErrno, readFileBounded } from '../src/fs-util.js';

test('rejects a 2 GiB (sparse) staged request and a FIFO in place of one with LengthMismatchError; a missing file stays ENOENT', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'repo-bounded-'));
  try {
    const big = join(dir, 'claim.json');
    await writeFile(big, '');
    await truncate(big, 2 * 1024 * 1024 * 1024);
    await assert.rejects(readFileBounded(big, 1024 * 1024), (e) => e instanceof LengthMismatchError && /2147483648 bytes/.test(e.message));
    const fifo = join(dir, 'key-change.json');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(readFileBounded(fifo, 1024), (e) => e instanceof LengthMismatchError && /not a regular file/.test(e.message));
    await assert.rejects(readFileBounded(join(dir, 'absent.json'), 1024), (e) => isErrno(e, 'ENOENT'));
    const exact = join(dir, 'config.json');
    await writeFile(exact, 'x'.repeat(1024));
    assert.equal((await readFileBounded(exact, 1024)).length, 1024);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
