// The sealed "per-package checks passed" records (checked-packages.ts, ADR 0023): a record only counts when
// this machine's key sealed the file that lists it, and it names one exact set of inputs (signed facts and
// declared inputs under the current rules); anything else is no record and the package is checked again.
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHECKED_PACKAGES_FILE, CheckedPackages, packageCheckDigest } from '../src/checked-packages.js';

async function temp(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-checked-packages-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const facts = JSON.stringify(['vhost', '1.0.0', 'vhost/-/vhost-1.0.0.tgz', 'unclaimed-00', 10, 'a'.repeat(128), { kind: 'signed', value: { dependencies: { vuln: '^1.0.1' } } }, { kind: 'absent' }]);
const inputs = JSON.stringify([1, '4.18.1', 'npm:', null, 'vhost', 'npm:1.0.0', true, [[null, 'vuln', 'npm:^1.0.1']], [], [], [], null, [[null, 'vuln', 'npm:^1.0.1', 'vuln', '1.0.1']]]);

test('a package whose checks passed on this machine is remembered across installs', async (t) => {
  const dir = await temp(t);
  const key = randomBytes(32);
  const digest = packageCheckDigest('yarn', facts, inputs);
  const first = await CheckedPackages.load(dir, key);
  assert.equal(first.has(digest), false);
  first.add(digest);
  await first.save();
  const next = await CheckedPackages.load(dir, key);
  assert.equal(next.has(digest), true);
});

test('rejects a record for other signed bytes or other declared inputs: another digest, checked again', () => {
  const digest = packageCheckDigest('yarn', facts, inputs);
  // the registry re-signed the target with other dependencies
  assert.notEqual(packageCheckDigest('yarn', facts.replace('^1.0.1', '^2.0.0'), inputs), digest);
  // an edited yarn.lock resolves the edge to another version
  assert.notEqual(packageCheckDigest('yarn', facts, inputs.replace('"vuln","1.0.1"', '"vuln","1.0.0"')), digest);
  // another installer's reading of the same package
  assert.notEqual(packageCheckDigest('npm', facts, inputs), digest);
  // each part is length-prefixed: moving text from one part to the next is another digest
  assert.notEqual(packageCheckDigest('yarn', `${facts}\0x`, inputs), packageCheckDigest('yarn', facts, `x\0${inputs}`));
});

test('rejects a checked-packages file forged or copied from another machine or state directory: no record opens', async (t) => {
  const dir = await temp(t);
  const key = randomBytes(32);
  const digest = packageCheckDigest('yarn', facts, inputs);
  // written under another machine's key (a file copied from elsewhere, or forged without the key)
  const foreign = await CheckedPackages.load(dir, randomBytes(32));
  foreign.add(digest);
  await foreign.save();
  const copied = await CheckedPackages.load(dir, key);
  assert.equal(copied.has(digest), false, 'a file sealed under another key');

  // this machine's sealed file with one digest added by hand (the seal no longer authenticates)
  const honest = await CheckedPackages.load(dir, key);
  const good = packageCheckDigest('yarn', facts, `${inputs} `);
  honest.add(good);
  await honest.save();
  const file = join(dir, CHECKED_PACKAGES_FILE);
  const data = JSON.parse(await readFile(file, 'utf8')) as { checked: string[] };
  data.checked.push(digest);
  await writeFile(file, JSON.stringify(data));
  const edited = await CheckedPackages.load(dir, key);
  assert.equal(edited.has(digest), false, 'a digest added to a sealed file');
  assert.equal(edited.has(good), false, 'an edited file vouches for nothing');
  // the next save seals what this machine checks again
  edited.add(good);
  await edited.save();
  assert.equal((await CheckedPackages.load(dir, key)).has(good), true);
});

test('a damaged or foreign-format file is no record, and the next save replaces it', async (t) => {
  const dir = await temp(t);
  const key = randomBytes(32);
  const file = join(dir, CHECKED_PACKAGES_FILE);
  const digest = packageCheckDigest('yarn', facts, inputs);
  for (const junk of ['{not json', '[]', `{"version":1,"mac":"${'0'.repeat(64)}","checked":["${digest}"]}`, `{"version":2,"mac":"${'0'.repeat(64)}","checked":[]}`, `{"version":1,"mac":"${'0'.repeat(64)}","checked":[1]}`]) {
    await writeFile(file, junk);
    const set = await CheckedPackages.load(dir, key);
    assert.equal(set.has(digest), false, junk);
    await set.save();
    const rewritten = JSON.parse(await readFile(file, 'utf8')) as { version: number; checked: string[] };
    assert.deepEqual([rewritten.version, rewritten.checked], [1, []], `rewritten after ${junk}`);
  }
});

// The digest and the file seal are each computed in one hash update over one string; the bytes hashed are the
// ones of the earlier one-update-per-part code, spelled out here, so records sealed before still count.
test('a digest and a file seal are the bytes ADR 0023 defines: records sealed by earlier versions still open', async (t) => {
  const byParts = createHash('sha256').update('tufpm-package-checks 1\n', 'utf8');
  for (const part of ['yarn', facts, inputs]) byParts.update(`${part.length}:${part}`, 'utf8');
  const digest = packageCheckDigest('yarn', facts, inputs);
  assert.equal(digest, byParts.digest('hex'));
  const dir = await temp(t);
  const key = randomBytes(32);
  const other = packageCheckDigest('npm', facts, inputs);
  const mac = createHmac('sha256', key).update('tufpm-checked-packages 1\0', 'utf8');
  for (const d of [digest, other]) mac.update(`${d}\n`, 'utf8');
  await writeFile(join(dir, CHECKED_PACKAGES_FILE), JSON.stringify({ version: 1, mac: mac.digest('hex'), checked: [digest, other] }));
  const back = await CheckedPackages.load(dir, key);
  assert.equal(back.has(digest), true);
  assert.equal(back.has(other), true);
  // and a file of no records seals the context alone
  const empty = await temp(t);
  await writeFile(join(empty, CHECKED_PACKAGES_FILE), JSON.stringify({ version: 1, mac: createHmac('sha256', key).update('tufpm-checked-packages 1\0', 'utf8').digest('hex'), checked: [] }));
  const none = await CheckedPackages.load(empty, key);
  none.add(digest);
  await none.save();
  assert.equal((await CheckedPackages.load(empty, key)).has(digest), true);
});
