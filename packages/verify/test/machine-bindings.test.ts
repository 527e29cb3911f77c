import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MACHINE_BINDINGS_FILE, MachineBindings } from '../src/machine-bindings.js';

const KEY = Buffer.alloc(32, 7);
const SHA_A = 'a'.repeat(128);
const SHA_B = 'b'.repeat(128);

async function withBindings(run: (dir: string, file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-bindings-'));
  try {
    const bindings = await MachineBindings.load(dir, KEY);
    bindings.set('genuine@1.0.0', { sha512: SHA_A, checksum: '10c0/genuine' });
    bindings.set('other@2.0.0', { sha512: SHA_B, checksum: '10c0/other' });
    await bindings.save();
    await run(dir, join(dir, MACHINE_BINDINGS_FILE));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Doc = { version: number; mac: string; bindings: Record<string, { sha512: string; checksum: string }> };

test('bindings sealed in one file open under the machine key that sealed them', async () => {
  await withBindings(async (dir) => {
    const back = await MachineBindings.load(dir, KEY);
    assert.equal(back.has('genuine@1.0.0', SHA_A, '10c0/genuine'), true);
    assert.equal(back.has('other@2.0.0', SHA_B, '10c0/other'), true);
    assert.equal(back.has('genuine@1.0.0', SHA_A, '10c0/poisoned'), false, 'a binding is for one exact checksum');
    assert.equal(back.has('genuine@1.0.0', SHA_B, '10c0/genuine'), false, 'and one exact signed tarball');
  });
});

test('rejects a binding edited to a poisoned archive under the file\'s seal (every binding of the file is dropped)', async () => {
  await withBindings(async (dir, file) => {
    const doc = JSON.parse(await readFile(file, 'utf8')) as Doc;
    doc.bindings['genuine@1.0.0']!.checksum = '10c0/poisoned';
    await writeFile(file, JSON.stringify(doc));
    const back = await MachineBindings.load(dir, KEY);
    assert.equal(back.has('genuine@1.0.0', SHA_A, '10c0/poisoned'), false);
    assert.equal(back.has('other@2.0.0', SHA_B, '10c0/other'), false, 'a file that does not open vouches for nothing');
  });
});

test('rejects a binding added to a sealed file, and one removed from it', async () => {
  await withBindings(async (dir, file) => {
    const doc = JSON.parse(await readFile(file, 'utf8')) as Doc;
    const added = structuredClone(doc);
    added.bindings['evil@1.0.0'] = { sha512: SHA_A, checksum: '10c0/evil' };
    await writeFile(file, JSON.stringify(added));
    assert.equal((await MachineBindings.load(dir, KEY)).has('evil@1.0.0', SHA_A, '10c0/evil'), false);
    const removed = structuredClone(doc);
    delete removed.bindings['other@2.0.0'];
    await writeFile(file, JSON.stringify(removed));
    assert.equal((await MachineBindings.load(dir, KEY)).has('genuine@1.0.0', SHA_A, '10c0/genuine'), false);
  });
});

test('rejects bindings sealed with another machine\'s key, and unsealed (version 2) files', async () => {
  await withBindings(async (dir, file) => {
    assert.equal((await MachineBindings.load(dir, Buffer.alloc(32, 8))).has('genuine@1.0.0', SHA_A, '10c0/genuine'), false);
    await writeFile(file, JSON.stringify({ version: 2, bindings: { 'genuine@1.0.0': { sha512: SHA_A, checksum: '10c0/genuine', mac: '0'.repeat(64) } } }));
    const old = await MachineBindings.load(dir, KEY);
    assert.equal(old.has('genuine@1.0.0', SHA_A, '10c0/genuine'), false);
    // the next save seals a fresh file, even with nothing new to bind
    await old.save();
    assert.equal((JSON.parse(await readFile(file, 'utf8')) as Doc).version, 3);
  });
});

// The seal is computed in one HMAC update over one string: the bytes of the earlier one-update-per-binding code,
// spelled out here, so a bindings file sealed before still opens (and a changed byte still does not).
test('a bindings file sealed binding by binding (the bytes ADR 0020 defines) opens, and rejects one edited under that seal', async () => {
  await withBindings(async (dir, file) => {
    const bindings = { 'genuine@1.0.0': { sha512: SHA_A, checksum: '10c0/genuine' }, 'other@2.0.0': { sha512: SHA_B, checksum: '10c0/other' } };
    const mac = createHmac('sha256', KEY).update('tufpm-yarn-bindings 3\0', 'utf8');
    for (const [key, b] of Object.entries(bindings)) mac.update(`${key}\0${b.sha512}\0${b.checksum}\n`, 'utf8');
    const doc: Doc = { version: 3, mac: mac.digest('hex'), bindings };
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), doc, 'the file written by save() is exactly this one');
    await writeFile(file, JSON.stringify(doc));
    const back = await MachineBindings.load(dir, KEY);
    assert.equal(back.has('genuine@1.0.0', SHA_A, '10c0/genuine'), true);
    assert.equal(back.has('other@2.0.0', SHA_B, '10c0/other'), true);
    doc.bindings['other@2.0.0']!.checksum = '10c0/poisoned';
    await writeFile(file, JSON.stringify(doc));
    assert.equal((await MachineBindings.load(dir, KEY)).has('genuine@1.0.0', SHA_A, '10c0/genuine'), false);
  });
});
