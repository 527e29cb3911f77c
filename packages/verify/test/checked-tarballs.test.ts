// The sealed "entries already checked" records (checked-tarballs.ts): a record only counts when this
// machine's key made it, for that sha512, under the current entry rules; anything else is no record and the
// tarball is walked again.
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHECKED_TARBALLS_FILE, CheckedTarballs } from '../src/checked-tarballs.js';

const sha = (s: string): string => createHash('sha512').update(s).digest('hex');

async function temp(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-checked-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a tarball checked on this machine is remembered across installs', async (t) => {
  const dir = await temp(t);
  const key = randomBytes(32);
  const first = await CheckedTarballs.load(dir, key);
  assert.equal(first.has(sha('a')), false);
  first.add(sha('a'));
  await first.save();
  const next = await CheckedTarballs.load(dir, key);
  assert.equal(next.has(sha('a')), true);
  assert.equal(next.has(sha('b')), false);
});

test('rejects a forged entries-checked record (written without the machine key): the tarball is walked again', async (t) => {
  const dir = await temp(t);
  const key = randomBytes(32);
  const forger = await CheckedTarballs.load(dir, randomBytes(32));
  forger.add(sha('evil'));
  await forger.save();
  assert.equal((await CheckedTarballs.load(dir, key)).has(sha('evil')), false, 'another key\'s record');

  const honest = await CheckedTarballs.load(dir, key);
  honest.add(sha('good'));
  await honest.save();
  const file = join(dir, CHECKED_TARBALLS_FILE);
  const data = JSON.parse(await readFile(file, 'utf8')) as { checked: Record<string, string> };
  // the good record's MAC moved onto another digest
  data.checked[sha('evil')] = data.checked[sha('good')]!;
  await writeFile(file, JSON.stringify(data));
  const reread = await CheckedTarballs.load(dir, key);
  assert.equal(reread.has(sha('evil')), false, 'a record copied onto another sha512');
  assert.equal(reread.has(sha('good')), true);
});

test('a damaged, oversized-shape or foreign file is no record, and the next save replaces it', async (t) => {
  const dir = await temp(t);
  const key = randomBytes(32);
  const file = join(dir, CHECKED_TARBALLS_FILE);
  for (const junk of ['{not json', '[]', '{"checked":[1,2]}', `{"checked":{"${'g'.repeat(128)}":"${'0'.repeat(64)}"}}`]) {
    await writeFile(file, junk);
    const set = await CheckedTarballs.load(dir, key);
    assert.equal(set.has('g'.repeat(128)), false, junk);
  }
  const set = await CheckedTarballs.load(dir, key);
  set.add(sha('x'));
  await set.save();
  assert.equal((await CheckedTarballs.load(dir, key)).has(sha('x')), true);
  assert.throws(() => set.add('not-a-digest'), TypeError);
});
