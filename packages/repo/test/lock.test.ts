// The repository lock (repo.lock) after a kill -9: never wedged, never stolen from a live holder.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { withRepositoryLock } from '../src/lock.js';

async function keysDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tufpm-lock-'));
}

test('kill -9 mid-create: an empty repo.lock (no pid) left by a killed tufpm-repo is taken over', async () => {
  const dir = await keysDir();
  await writeFile(join(dir, 'repo.lock'), '');
  const old = new Date(Date.now() - 60_000);
  await utimes(join(dir, 'repo.lock'), old, old);
  assert.equal(await withRepositoryLock(dir, async () => 'ran', 2_000), 'ran');
  assert.deepEqual(await readdir(dir), [], 'the lock and its aside copy are gone afterwards');
});

test('kill -9 while holding: a repo.lock of a dead process is taken over', async () => {
  const dir = await keysDir();
  await writeFile(join(dir, 'repo.lock'), '999999999');
  assert.equal(await withRepositoryLock(dir, async () => 'ran', 2_000), 'ran');
});

test('a repo.lock of a live process is respected (TUF_REPO_LOCKED after the wait)', async () => {
  const dir = await keysDir();
  await writeFile(join(dir, 'repo.lock'), String(process.ppid));
  await assert.rejects(withRepositoryLock(dir, async () => 'ran', 300), (err: { code?: string }) => err.code === 'TUF_REPO_LOCKED');
  assert.deepEqual((await readdir(dir)).sort(), ['repo.lock'], 'the holder keeps its lock; no aside copy is left');
});

test('a fresh empty repo.lock (a holder between create and write) is not stolen at once', async () => {
  const dir = await keysDir();
  await writeFile(join(dir, 'repo.lock'), '');
  await assert.rejects(withRepositoryLock(dir, async () => 'ran', 300), (err: { code?: string }) => err.code === 'TUF_REPO_LOCKED');
});
