import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/index.js';
import { withDir } from './helpers.js';

test('rejects a stream that fails halfway (a download found tampered at its end): the old file stays, no temp file is left', async () => {
  await withDir('fs-atomic', async (dir) => {
    const file = join(dir, 'pkg.tgz');
    await writeFile(file, 'old bytes');
    async function* tampered(): AsyncIterable<Uint8Array> {
      yield new TextEncoder().encode('first half of the new bytes');
      throw new Error('sha512 mismatch');
    }
    await assert.rejects(writeFileAtomic(file, tampered()), /sha512 mismatch/);
    assert.equal(await readFile(file, 'utf8'), 'old bytes');
    assert.deepEqual(await readdir(dir), ['pkg.tgz']);
  });
});

test('a write in flight is a dot file beside the target (listings that skip dot files never see it)', async () => {
  await withDir('fs-atomic', async (dir) => {
    const file = join(dir, 'lodash.json');
    let seen: string[] = [];
    async function* chunks(): AsyncIterable<Uint8Array> {
      yield new TextEncoder().encode('{"a":');
      seen = await readdir(dir);
      yield new TextEncoder().encode('1}');
    }
    await writeFileAtomic(file, chunks(), { durable: false });
    assert.equal(seen.length, 1);
    assert.match(seen[0]!, /^\.lodash\.json\.\d+\.[0-9a-f]{12}\.tmp$/);
    assert.equal(await readFile(file, 'utf8'), '{"a":1}');
    assert.deepEqual(await readdir(dir), ['lodash.json']);
  });
});

test('an explicit mode is the file\'s mode whatever the umask (a private key is exactly 0600, a public file 0644)', async () => {
  await withDir('fs-atomic', async (dir) => {
    const previous = process.umask(0o077);
    try {
      await writeFileAtomic(join(dir, 'public.json'), 'x', { mode: 0o644 });
      await writeFileAtomic(join(dir, 'key.pem'), 'k', { mode: 0o600 });
      // no mode: 0644 less the umask
      await writeFileAtomic(join(dir, 'default.json'), 'd');
    } finally {
      process.umask(previous);
    }
    assert.equal((await stat(join(dir, 'public.json'))).mode & 0o777, 0o644);
    assert.equal((await stat(join(dir, 'key.pem'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'default.json'))).mode & 0o777, 0o600);
  });
});

test('a reader racing the writes sees the old bytes or the new ones, never a mix', async () => {
  await withDir('fs-atomic', async (dir) => {
    const file = join(dir, 'snapshot.json');
    const versions = ['a', 'b', 'c', 'd'].map((c) => c.repeat(256 * 1024));
    await writeFile(file, versions[0]!);
    let writing = true;
    const reader = (async () => {
      let reads = 0;
      while (writing || reads === 0) {
        const text = await readFile(file, 'utf8');
        assert.ok(versions.includes(text), `a read of ${text.length} bytes mixing versions`);
        reads++;
      }
      return reads;
    })();
    for (let round = 0; round < 20; round++) await writeFileAtomic(file, versions[round % versions.length]!, { durable: false });
    writing = false;
    assert.ok((await reader) > 0);
  });
});
