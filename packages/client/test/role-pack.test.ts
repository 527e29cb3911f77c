// The delegated-role pack ('pack' mode): one file for all delegated roles, read once and written once per
// session; strict parsing (a malformed pack is an empty cache); every packed role still faces TUF 5.6, and a
// verification record answers its signature check only when sealed with this machine's key to its exact bytes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROLE_PACK_FILE, openRecord, parseRolePack, sealRecord, serializeRolePack, type PackEntry } from '../src/role-pack.js';
import { newEnv, rejectsWith } from './helpers/env.js';
import type { Env } from './helpers/env.js';

/** This machine's record key (the installers keep theirs in the tufpm state directory, ADR 0011). */
const KEY = randomBytes(32);
const PACK = { delegatedRoleCache: 'pack', verificationRecordKey: KEY } as const;

function packWorld(env: Env): void {
  const { sim } = env;
  for (const name of ['pkg', '@scope/pkg']) sim.addDelegation('targets', { name, paths: [`${name}/*`] });
  sim.addTarget('pkg', 'pkg/a.tgz', 'a');
  sim.addTarget('@scope/pkg', '@scope/pkg/b.tgz', 'b');
  for (const r of ['pkg', '@scope/pkg', 'targets']) sim.publish(r);
  sim.updateSnapshot();
}

test('pack mode keeps delegated roles in one file, read by the next session without downloads', async (t) => {
  const env = await newEnv(t);
  packWorld(env);
  const first = env.updater(PACK);
  assert.ok(await first.getTargetInfo('pkg/a.tgz'));
  assert.ok(await first.getTargetInfo('@scope/pkg/b.tgz'));
  assert.equal(existsSync(join(env.metadataDir, ROLE_PACK_FILE)), false, 'nothing written before persist()');
  await first.persist();
  assert.equal(existsSync(join(env.metadataDir, 'pkg.json')), false, 'no per-role file in pack mode');
  const packed = parseRolePack(readFileSync(join(env.metadataDir, ROLE_PACK_FILE)), 1 << 20)!;
  assert.deepEqual([...packed.keys()].sort(), ['@scope/pkg', 'pkg', 'targets'], 'the delegated roles, and the top-level targets with its record');
  assert.ok(existsSync(join(env.metadataDir, 'targets.json')), 'the top-level targets keeps its own durable file');
  assert.deepEqual(new Uint8Array(packed.get('pkg')!.bytes), env.sim.latest.get('pkg'));
  const second = env.updater(PACK);
  assert.ok(await second.getTargetInfo('pkg/a.tgz'));
  assert.ok(await second.getTargetInfo('@scope/pkg/b.tgz'));
  assert.equal(env.sim.count('metadata/2.pkg.json'), 1, 'pkg fetched once, then read from the pack');
  assert.equal(env.sim.count('metadata/2.%40scope%2Fpkg.json') + env.sim.count('metadata/2.@scope%2Fpkg.json'), 1);
});

test('rejects a forged role planted in the pack (the packed copy faces the signature check and is replaced)', async (t) => {
  const env = await newEnv(t);
  packWorld(env);
  const first = env.updater(PACK);
  assert.ok(await first.getTargetInfo('pkg/a.tgz'));
  await first.persist();
  const file = join(env.metadataDir, ROLE_PACK_FILE);
  const roles = parseRolePack(readFileSync(file), 1 << 20)!;
  const doc = JSON.parse(Buffer.from(roles.get('pkg')!.bytes).toString('utf8'));
  doc.signed.targets['pkg/evil.tgz'] = { length: 1, hashes: { sha256: '00'.repeat(32) } };
  roles.set('pkg', { bytes: Buffer.from(JSON.stringify(doc)), record: undefined });
  writeFileSync(file, serializeRolePack(roles));
  const second = env.updater(PACK);
  assert.equal(await second.getTargetInfo('pkg/evil.tgz'), undefined, 'the forged target is not trusted');
  assert.ok(await second.getTargetInfo('pkg/a.tgz'));
  assert.equal(env.sim.count('metadata/2.pkg.json'), 2, 'the genuine role fetched again');
  await second.persist();
  assert.deepEqual(new Uint8Array(parseRolePack(readFileSync(file), 1 << 20)!.get('pkg')!.bytes), env.sim.latest.get('pkg'));
});

test('a damaged pack is an empty cache: roles are fetched again and the pack rewritten', async (t) => {
  const env = await newEnv(t);
  packWorld(env);
  const file = join(env.metadataDir, ROLE_PACK_FILE);
  const first = env.updater(PACK);
  assert.ok(await first.getTargetInfo('pkg/a.tgz'));
  await first.persist();
  const good = readFileSync(file);
  writeFileSync(file, good.subarray(0, good.length - 5));
  const second = env.updater(PACK);
  assert.ok(await second.getTargetInfo('pkg/a.tgz'));
  assert.equal(env.sim.count('metadata/2.pkg.json'), 2);
  await second.persist();
  assert.ok(parseRolePack(readFileSync(file), 1 << 20)?.has('pkg'));
});

function entry(text: string, record?: Uint8Array): PackEntry {
  return { bytes: Buffer.from(text), record };
}

test('the pack round-trips names, bytes and verification records', () => {
  const record = sealRecord(KEY, 'a', Buffer.from('{"x":1}'), 'ab'.repeat(32));
  const roles = new Map([['a', entry('{"x":1}', record)], ['@s/ü', entry('')]]);
  const parsed = parseRolePack(serializeRolePack(roles), 100)!;
  assert.equal(parsed.size, 2);
  assert.equal(openRecord(KEY, 'a', parsed.get('a')!.bytes, parsed.get('a')!.record!), 'ab'.repeat(32));
  assert.equal(Buffer.from(parsed.get('a')!.bytes).toString(), '{"x":1}');
  assert.equal(parsed.get('@s/ü')!.record, undefined);
});

test('a verification record opens only with its key, for its role name and its exact bytes', () => {
  const bytes = Buffer.from('{"signed":{}}');
  const record = sealRecord(KEY, 'pkg', bytes, 'cd'.repeat(32));
  assert.equal(openRecord(KEY, 'pkg', bytes, record), 'cd'.repeat(32));
  assert.equal(openRecord(randomBytes(32), 'pkg', bytes, record), undefined, 'another machine\'s key');
  assert.equal(openRecord(KEY, 'pkg2', bytes, record), undefined, 'another role');
  assert.equal(openRecord(KEY, 'pkg', Buffer.from('{"signed":{"x":1}}'), record), undefined, 'other bytes');
  const otherDigest = Buffer.from(record);
  otherDigest[0]! ^= 1;
  assert.equal(openRecord(KEY, 'pkg', bytes, otherDigest), undefined, 'a digest swapped for another delegation\'s');
});

test('a malformed pack is refused as a whole (bad magic, truncation, lengths past the end, duplicates, over-long roles, bad UTF-8)', () => {
  const good = Buffer.from(serializeRolePack(new Map([['a', entry('{"x":1}', sealRecord(KEY, 'a', Buffer.from('{"x":1}'), 'cd'.repeat(32)))]])));
  assert.ok(parseRolePack(good, 100));
  const badMagic = Buffer.from(good);
  badMagic[0] = 0x58;
  assert.equal(parseRolePack(badMagic, 100), undefined, 'bad magic');
  const version1 = Buffer.from(good);
  version1[16] = 0x31;
  assert.equal(parseRolePack(version1, 100), undefined, 'a version 1 pack (unsealed digests) is an empty cache');
  for (let cut = good.length - 1; cut > 18; cut--) assert.equal(parseRolePack(good.subarray(0, cut), 100), undefined, `truncated at ${cut}`);
  const hugeLength = Buffer.from(good);
  hugeLength.writeUInt32BE(0xffffffff, 18 + 2 + 1);
  assert.equal(parseRolePack(hugeLength, Number.MAX_SAFE_INTEGER), undefined, 'a length past the end of the file');
  assert.equal(parseRolePack(good, 3), undefined, 'a role longer than the role limit');
  const twice = Buffer.concat([good, good.subarray(18)]);
  assert.equal(parseRolePack(twice, 100), undefined, 'the same role twice');
  const badRecord = Buffer.from(good);
  badRecord[good.length - 65] = 32;
  assert.equal(parseRolePack(badRecord, 100), undefined, 'a record of a length other than 0 or 64');
  const badName = Buffer.from(good);
  badName[18 + 2] = 0xff;
  assert.equal(parseRolePack(badName, 100), undefined, 'a name that is not UTF-8');
});

/** Session 1 verifies `pkg` (key A) into the pack; returns the pack file. */
async function packedPkg(env: Env): Promise<string> {
  packWorld(env);
  const first = env.updater(PACK);
  assert.ok(await first.getTargetInfo('pkg/a.tgz'));
  await first.persist();
  const file = join(env.metadataDir, ROLE_PACK_FILE);
  const packed = parseRolePack(readFileSync(file), 1 << 20)!.get('pkg')!;
  assert.match(openRecord(KEY, 'pkg', packed.bytes, packed.record!) ?? '', /^[0-9a-f]{64}$/, 'the pack records, sealed, the delegation pkg verified under');
  return file;
}

/** pkg's packed bytes with a broken signature (and, with `forge`, a forged target), under the record `record` gives. */
function breakPackedPkg(file: string, record: (genuine: PackEntry, bytes: Buffer) => Uint8Array | undefined, forge = false): void {
  const roles = parseRolePack(readFileSync(file), 1 << 20)!;
  const genuine = roles.get('pkg')!;
  const doc = JSON.parse(Buffer.from(genuine.bytes).toString('utf8'));
  doc.signatures[0].sig = '00'.repeat(64);
  if (forge) doc.signed.targets['pkg/evil.tgz'] = { length: 1, hashes: { sha256: '00'.repeat(32) } };
  const bytes = Buffer.from(JSON.stringify(doc));
  roles.set('pkg', { bytes, record: record(genuine, bytes) });
  writeFileSync(file, serializeRolePack(roles));
}

/** A record for `bytes` sealed with `key`, vouching for the delegation the genuine entry verified under. */
const resealed = (key: Uint8Array) => (genuine: PackEntry, bytes: Buffer): Uint8Array =>
  sealRecord(key, 'pkg', bytes, openRecord(KEY, 'pkg', genuine.bytes, genuine.record!)!);

test('the verification record answers only the signature check: packed bytes sealed with this machine\'s key are accepted without one', async (t) => {
  const env = await newEnv(t);
  const file = await packedPkg(env);
  // Only this machine's key can make such a record (the installers keep the key outside the package caches);
  // that it is believed shows the signature check was answered by it. The other TUF 5.6 checks still ran.
  breakPackedPkg(file, resealed(KEY));
  assert.ok(await env.updater(PACK).getTargetInfo('pkg/a.tgz'));
  assert.equal(env.sim.count('metadata/2.pkg.json'), 1, 'no download: the record was used');
  // The same bytes without a record face the signature check, fail it, and are replaced by the genuine role.
  breakPackedPkg(file, () => undefined);
  assert.ok(await env.updater(PACK).getTargetInfo('pkg/a.tgz'));
  assert.equal(env.sim.count('metadata/2.pkg.json'), 2);
});

test('rejects a forged role whose verification record was kept (the record is sealed to the exact bytes)', async (t) => {
  const env = await newEnv(t);
  const file = await packedPkg(env);
  // The attack of issue 15: whoever can write the pack replaces a role's bytes (a forged target, signatures
  // now invalid) and keeps the entry's record, whose delegation digest is public data.
  breakPackedPkg(file, (genuine) => genuine.record, true);
  const second = env.updater(PACK);
  assert.equal(await second.getTargetInfo('pkg/evil.tgz'), undefined, 'the forged target is not trusted');
  assert.equal(env.sim.count('metadata/2.pkg.json'), 2, 'the signature check ran, failed, and the genuine role was fetched again');
  await second.persist();
  const repaired = parseRolePack(readFileSync(file), 1 << 20)!.get('pkg')!;
  assert.deepEqual(new Uint8Array(repaired.bytes), env.sim.latest.get('pkg'), 'the pack holds the genuine role again');
  assert.ok(openRecord(KEY, 'pkg', repaired.bytes, repaired.record!), 'with a record sealed to its bytes');
});

test('rejects a forged role sealed with another key (an attacker\'s), and believes no record without a key', async (t) => {
  const env = await newEnv(t);
  const file = await packedPkg(env);
  const genuinePack = readFileSync(file);
  breakPackedPkg(file, resealed(randomBytes(32)), true);
  assert.equal(await env.updater(PACK).getTargetInfo('pkg/evil.tgz'), undefined, 'another key\'s record is no record');
  assert.equal(env.sim.count('metadata/2.pkg.json'), 2);
  // Sealed with this machine's key but read by an Updater given no key: the signatures are checked.
  writeFileSync(file, genuinePack);
  breakPackedPkg(file, resealed(KEY), true);
  assert.equal(await env.updater({ delegatedRoleCache: 'pack' }).getTargetInfo('pkg/evil.tgz'), undefined, 'without a key no record is believed');
  assert.equal(env.sim.count('metadata/2.pkg.json'), 3);
});

for (const change of ['its keys', 'its threshold'] as const) {
  test(`rejects a packed role signed by revoked keys after the delegator changed ${change} (the verification record does not carry over)`, async (t) => {
    const env = await newEnv(t);
    await packedPkg(env);
    const { sim } = env;
    // The delegator re-signs pkg's delegation; pkg itself (signed by the old key) is still what is served.
    const delegation = sim.role('targets').delegations;
    const entry = delegation.roles.find((r: { name: string }) => r.name === 'pkg');
    const [fresh] = sim.addDelegation('targets', { name: 'other', paths: ['other/*'] });
    if (change === 'its keys') {
      entry.keyids = [fresh!.keyid];
    } else {
      entry.keyids = [...entry.keyids, fresh!.keyid];
      entry.threshold = 2;
    }
    sim.publish('targets');
    sim.updateSnapshot();
    await rejectsWith(env.updater(PACK).getTargetInfo('pkg/a.tgz'), 'TUF_THRESHOLD');
  });
}

/** Requests for the top-level targets file (consistent snapshots: `<version>.targets.json`). */
const targetsFetches = (env: Env): number => env.sim.metadataRequests().filter((r) => /^[0-9]+\.targets\.json$/.test(r)).length;

/** Rewrites the packed copy of the top-level targets with a broken signature: record kept, resealed with this machine's key, or dropped. */
function breakPackedTargets(file: string, record: 'kept' | 'resealed' | 'none', forge?: (signed: Record<string, any>) => void): void {
  const roles = parseRolePack(readFileSync(file), 1 << 20)!;
  const packed = roles.get('targets')!;
  const doc = JSON.parse(Buffer.from(packed.bytes).toString('utf8'));
  doc.signatures[0].sig = '00'.repeat(64);
  forge?.(doc.signed);
  const bytes = Buffer.from(JSON.stringify(doc));
  const digest = openRecord(KEY, 'targets', packed.bytes, packed.record!)!;
  roles.set('targets', { bytes, record: record === 'kept' ? packed.record : record === 'resealed' ? sealRecord(KEY, 'targets', bytes, digest) : undefined });
  writeFileSync(file, serializeRolePack(roles));
}

test('the top-level targets is read back from the pack with its record: no strict re-parse, no signature check, no download', async (t) => {
  const env = await newEnv(t);
  const file = await packedPkg(env);
  assert.equal(targetsFetches(env), 1);
  // A broken signature with a record of this machine's key, and no durable copy to fall back on: only the
  // packed copy, its signature check answered by the record (ADR 0008), can spare the download.
  breakPackedTargets(file, 'resealed');
  rmSync(join(env.metadataDir, 'targets.json'));
  const second = env.updater(PACK);
  assert.ok(await second.getTargetInfo('pkg/a.tgz'));
  assert.equal(targetsFetches(env), 1, 'the packed copy was used');
  // Without the record the same bytes face the signature check, fail it, and the genuine role is downloaded.
  breakPackedTargets(file, 'none');
  assert.ok(await env.updater(PACK).getTargetInfo('pkg/a.tgz'));
  assert.equal(targetsFetches(env), 2);
});

test('rejects a forged top-level targets planted in the pack with its record kept (the record does not open: the signature check runs, the durable file is used instead)', async (t) => {
  const env = await newEnv(t);
  const file = await packedPkg(env);
  breakPackedTargets(file, 'kept', (signed) => {
    signed.targets['evil.tgz'] = { length: 1, hashes: { sha256: '00'.repeat(32) } };
  });
  const second = env.updater(PACK);
  assert.equal(await second.getTargetInfo('evil.tgz'), undefined, 'the forged target is not trusted');
  assert.ok(await second.getTargetInfo('pkg/a.tgz'));
  assert.equal(targetsFetches(env), 1, 'targets.json, genuine, was read instead; nothing downloaded');
  await second.persist();
  const repaired = parseRolePack(readFileSync(file), 1 << 20)!.get('targets')!;
  assert.deepEqual(new Uint8Array(repaired.bytes), new Uint8Array(readFileSync(join(env.metadataDir, 'targets.json'))), 'the pack holds the verified copy again');
});

test('rejects a packed top-level targets signed by revoked keys after the root rotated the targets keys (the record does not carry over)', async (t) => {
  const env = await newEnv(t);
  await packedPkg(env);
  const { sim } = env;
  // Root v2 trusts a new targets key; the targets role served (and packed) is still signed by the old one.
  sim.rotateKeys('targets');
  sim.publish('root');
  await rejectsWith(env.updater(PACK).getTargetInfo('pkg/a.tgz'), 'TUF_THRESHOLD');
});
