// The delegated-role pack ('pack' mode): one file for all delegated roles, read once and written once per
// session; strict parsing (a malformed pack is an empty cache); every packed role still faces TUF 5.6, and a
// verification record answers its signature check only when the pack's seal, made with this machine's key over
// every entry's name, exact bytes and record, opens.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROLE_PACK_FILE, parseRolePack, rolePackSealOpens, serializeRolePack, type PackEntry, type ParsedRolePack } from '../src/role-pack.js';
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
  const packed = parseRolePack(readFileSync(join(env.metadataDir, ROLE_PACK_FILE)), 1 << 20)!.roles;
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
  const roles = parseRolePack(readFileSync(file), 1 << 20)!.roles;
  const doc = JSON.parse(Buffer.from(roles.get('pkg')!.bytes).toString('utf8'));
  doc.signed.targets['pkg/evil.tgz'] = { length: 1, hashes: { sha256: '00'.repeat(32) } };
  roles.set('pkg', { bytes: Buffer.from(JSON.stringify(doc)), digest: undefined });
  writeFileSync(file, serializeRolePack(roles, KEY));
  const second = env.updater(PACK);
  assert.equal(await second.getTargetInfo('pkg/evil.tgz'), undefined, 'the forged target is not trusted');
  assert.ok(await second.getTargetInfo('pkg/a.tgz'));
  assert.equal(env.sim.count('metadata/2.pkg.json'), 2, 'the genuine role fetched again');
  await second.persist();
  assert.deepEqual(new Uint8Array(parseRolePack(readFileSync(file), 1 << 20)!.roles.get('pkg')!.bytes), env.sim.latest.get('pkg'));
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
  assert.ok(parseRolePack(readFileSync(file), 1 << 20)?.roles.has('pkg'));
});

const DIGEST = Buffer.alloc(32, 0xab);

function entry(text: string, digest?: Uint8Array): PackEntry {
  return { bytes: Buffer.from(text), digest };
}

/** The digest the pack records for `name`, believed only when its seal opens with `key`. */
function recordOf(pack: ParsedRolePack, name: string, key: Uint8Array = KEY): string | undefined {
  const digest = pack.roles.get(name)?.digest;
  return digest !== undefined && rolePackSealOpens(key, pack) ? Buffer.from(digest).toString('hex') : undefined;
}

/** `data` with its seal replaced by `seal` (what someone who can write the pack but not read the key can do). */
function withSeal(data: Uint8Array, seal: Uint8Array | undefined): Buffer {
  const pack = parseRolePack(data, 1 << 20)!;
  const header = Buffer.from(data.subarray(0, 18));
  return Buffer.concat([header, Buffer.from([seal?.length ?? 0]), seal ?? Buffer.alloc(0), pack.body]);
}

test('the pack round-trips names, bytes and verification records, sealed as a whole', () => {
  const roles = new Map([['a', entry('{"x":1}', DIGEST)], ['@s/ü', entry('')]]);
  const parsed = parseRolePack(serializeRolePack(roles, KEY), 100)!;
  assert.equal(parsed.roles.size, 2);
  assert.equal(recordOf(parsed, 'a'), DIGEST.toString('hex'));
  assert.equal(Buffer.from(parsed.roles.get('a')!.bytes).toString(), '{"x":1}');
  assert.equal(parsed.roles.get('@s/ü')!.digest, undefined);
  const unsealed = parseRolePack(serializeRolePack(roles), 100)!;
  assert.equal(unsealed.seal, undefined, 'without a key: no seal');
  assert.equal(unsealed.roles.get('a')!.digest, undefined, 'and no record');
});

test('a pack\'s seal opens only with its key, over its exact names, bytes and records', () => {
  const roles = new Map([['pkg', entry('{"signed":{}}', DIGEST)], ['other', entry('{"signed":{"o":1}}', DIGEST)]]);
  const good = Buffer.from(serializeRolePack(roles, KEY));
  assert.equal(rolePackSealOpens(KEY, parseRolePack(good, 100)!), true);
  assert.equal(rolePackSealOpens(randomBytes(32), parseRolePack(good, 100)!), false, 'another machine\'s key');
  const edits: Array<[string, (m: Map<string, PackEntry>) => void]> = [
    ['other bytes', (m) => m.set('pkg', entry('{"signed":{"x":1}}', DIGEST))],
    ['another role name', (m) => { m.set('pkg2', m.get('pkg')!); m.delete('pkg'); }],
    ['a digest swapped for another delegation\'s', (m) => m.set('pkg', entry('{"signed":{}}', Buffer.alloc(32, 0xcd)))],
    ['an entry removed', (m) => m.delete('other')],
    ['an entry added', (m) => m.set('evil', entry('{"signed":{"e":1}}', DIGEST))],
  ];
  for (const [what, edit] of edits) {
    const copy = new Map(roles);
    edit(copy);
    const forged = withSeal(serializeRolePack(copy, randomBytes(32)), parseRolePack(good, 100)!.seal);
    assert.equal(rolePackSealOpens(KEY, parseRolePack(forged, 100)!), false, what);
  }
});

test('a malformed pack is refused as a whole (bad magic, truncation, lengths past the end, duplicates, over-long roles, bad UTF-8)', () => {
  const good = Buffer.from(serializeRolePack(new Map([['a', entry('{"x":1}', DIGEST)]]), KEY));
  assert.ok(parseRolePack(good, 100));
  const body = 18 + 1 + 32;
  const badMagic = Buffer.from(good);
  badMagic[0] = 0x58;
  assert.equal(parseRolePack(badMagic, 100), undefined, 'bad magic');
  for (const [version, what] of [[0x31, 'a version 1 pack (unsealed digests)'], [0x32, 'a version 2 pack (one seal per record)']] as const) {
    const old = Buffer.from(good);
    old[16] = version;
    assert.equal(parseRolePack(old, 100), undefined, `${what} is an empty cache`);
  }
  // cut anywhere inside the seal or the one entry (cutting at `body` leaves a well-formed empty pack whose seal does not open)
  for (let cut = good.length - 1; cut > 18; cut--) {
    if (cut !== body) assert.equal(parseRolePack(good.subarray(0, cut), 100), undefined, `truncated at ${cut}`);
  }
  assert.equal(rolePackSealOpens(KEY, parseRolePack(good.subarray(0, body), 100)!), false, 'a pack cut to no entries keeps no seal');
  const badSeal = Buffer.from(good);
  badSeal[18] = 16;
  assert.equal(parseRolePack(badSeal, 100), undefined, 'a seal of a length other than 0 or 32');
  const hugeLength = Buffer.from(good);
  hugeLength.writeUInt32BE(0xffffffff, body + 2 + 1);
  assert.equal(parseRolePack(hugeLength, Number.MAX_SAFE_INTEGER), undefined, 'a length past the end of the file');
  assert.equal(parseRolePack(good, 3), undefined, 'a role longer than the role limit');
  const twice = Buffer.concat([good, good.subarray(body)]);
  assert.equal(parseRolePack(twice, 100), undefined, 'the same role twice');
  const badRecord = Buffer.from(good);
  badRecord[good.length - 33] = 16;
  assert.equal(parseRolePack(badRecord, 100), undefined, 'a record of a length other than 0 or 32');
  const badName = Buffer.from(good);
  badName[body + 2] = 0xff;
  assert.equal(parseRolePack(badName, 100), undefined, 'a name that is not UTF-8');
});

/** Session 1 verifies `pkg` (key A) into the pack; returns the pack file. */
async function packedPkg(env: Env): Promise<string> {
  packWorld(env);
  const first = env.updater(PACK);
  assert.ok(await first.getTargetInfo('pkg/a.tgz'));
  await first.persist();
  const file = join(env.metadataDir, ROLE_PACK_FILE);
  assert.match(recordOf(parseRolePack(readFileSync(file), 1 << 20)!, 'pkg') ?? '', /^[0-9a-f]{64}$/, 'the pack records, sealed, the delegation pkg verified under');
  return file;
}

/**
 * How a rewritten pack is sealed: with a key (this machine's, or an attacker's), 'kept' (the genuine pack's seal
 * copied over the new body: all that someone without the key can do), or 'dropped' (the entry's record removed,
 * the pack sealed again with this machine's key: an honest pack without a record for it).
 */
type Reseal = Uint8Array | 'kept' | 'dropped';

function rewritePack(file: string, name: string, bytes: Buffer, how: Reseal): void {
  const data = readFileSync(file);
  const pack = parseRolePack(data, 1 << 20)!;
  const genuine = pack.roles.get(name)!;
  pack.roles.set(name, { bytes, digest: how === 'dropped' ? undefined : genuine.digest });
  if (how === 'kept') writeFileSync(file, withSeal(serializeRolePack(pack.roles, randomBytes(32)), pack.seal));
  else writeFileSync(file, serializeRolePack(pack.roles, how === 'dropped' ? KEY : how));
}

/** pkg's packed bytes with a broken signature (and, with `forge`, a forged target), the pack sealed `how`. */
function breakPackedPkg(file: string, how: Reseal, forge = false): void {
  const genuine = parseRolePack(readFileSync(file), 1 << 20)!.roles.get('pkg')!;
  const doc = JSON.parse(Buffer.from(genuine.bytes).toString('utf8'));
  doc.signatures[0].sig = '00'.repeat(64);
  if (forge) doc.signed.targets['pkg/evil.tgz'] = { length: 1, hashes: { sha256: '00'.repeat(32) } };
  rewritePack(file, 'pkg', Buffer.from(JSON.stringify(doc)), how);
}

test('the verification record answers only the signature check: packed bytes sealed with this machine\'s key are accepted without one', async (t) => {
  const env = await newEnv(t);
  const file = await packedPkg(env);
  // Only this machine's key can make such a record (the installers keep the key outside the package caches);
  // that it is believed shows the signature check was answered by it. The other TUF 5.6 checks still ran.
  breakPackedPkg(file, KEY);
  assert.ok(await env.updater(PACK).getTargetInfo('pkg/a.tgz'));
  assert.equal(env.sim.count('metadata/2.pkg.json'), 1, 'no download: the record was used');
  // The same bytes without a record face the signature check, fail it, and are replaced by the genuine role.
  breakPackedPkg(file, 'dropped');
  assert.ok(await env.updater(PACK).getTargetInfo('pkg/a.tgz'));
  assert.equal(env.sim.count('metadata/2.pkg.json'), 2);
});

test('rejects a forged role whose verification record and pack seal were kept (the seal covers the exact bytes)', async (t) => {
  const env = await newEnv(t);
  const file = await packedPkg(env);
  // The attack of issue 15: whoever can write the pack replaces a role's bytes (a forged target, signatures
  // now invalid) and keeps the entry's record, whose delegation digest is public data, and the pack's seal.
  breakPackedPkg(file, 'kept', true);
  const second = env.updater(PACK);
  assert.equal(await second.getTargetInfo('pkg/evil.tgz'), undefined, 'the forged target is not trusted');
  assert.equal(env.sim.count('metadata/2.pkg.json'), 2, 'the signature check ran, failed, and the genuine role was fetched again');
  await second.persist();
  const repaired = parseRolePack(readFileSync(file), 1 << 20)!;
  assert.deepEqual(new Uint8Array(repaired.roles.get('pkg')!.bytes), env.sim.latest.get('pkg'), 'the pack holds the genuine role again');
  assert.ok(recordOf(repaired, 'pkg'), 'with a record, under a seal that opens');
});

test('rejects a forged role sealed with another key (an attacker\'s), and believes no record without a key', async (t) => {
  const env = await newEnv(t);
  const file = await packedPkg(env);
  const genuinePack = readFileSync(file);
  breakPackedPkg(file, randomBytes(32), true);
  assert.equal(await env.updater(PACK).getTargetInfo('pkg/evil.tgz'), undefined, 'another key\'s record is no record');
  assert.equal(env.sim.count('metadata/2.pkg.json'), 2);
  // Sealed with this machine's key but read by an Updater given no key: the signatures are checked.
  writeFileSync(file, genuinePack);
  breakPackedPkg(file, KEY, true);
  assert.equal(await env.updater({ delegatedRoleCache: 'pack' }).getTargetInfo('pkg/evil.tgz'), undefined, 'without a key no record is believed');
  assert.equal(env.sim.count('metadata/2.pkg.json'), 3);
});

test('rejects a forged role left in a pack whose seal did not open, after another session rewrote the pack (its record is not sealed again)', async (t) => {
  const env = await newEnv(t);
  const file = await packedPkg(env);
  // The forged pkg keeps its record and the old seal; the next session reads only other roles, re-verifies
  // them (the seal does not open) and rewrites the pack, sealed with this machine's key.
  breakPackedPkg(file, 'kept', true);
  const second = env.updater(PACK);
  assert.ok(await second.getTargetInfo('@scope/pkg/b.tgz'));
  await second.persist();
  const rewritten = parseRolePack(readFileSync(file), 1 << 20)!;
  assert.equal(rolePackSealOpens(KEY, rewritten), true, 'the rewritten pack is sealed');
  assert.equal(recordOf(rewritten, 'pkg'), undefined, 'the forged entry lost its record: the new seal does not vouch for it');
  assert.equal(await env.updater(PACK).getTargetInfo('pkg/evil.tgz'), undefined, 'the forged target is not trusted');
  assert.equal(env.sim.count('metadata/2.pkg.json'), 2, 'its signature check ran, failed, and the genuine role was fetched again');
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

/** Rewrites the packed copy of the top-level targets with a broken signature, the pack sealed `how`. */
function breakPackedTargets(file: string, how: Reseal, forge?: (signed: Record<string, any>) => void): void {
  const packed = parseRolePack(readFileSync(file), 1 << 20)!.roles.get('targets')!;
  const doc = JSON.parse(Buffer.from(packed.bytes).toString('utf8'));
  doc.signatures[0].sig = '00'.repeat(64);
  forge?.(doc.signed);
  rewritePack(file, 'targets', Buffer.from(JSON.stringify(doc)), how);
}

test('the top-level targets is read back from the pack with its record: no strict re-parse, no signature check, no download', async (t) => {
  const env = await newEnv(t);
  const file = await packedPkg(env);
  assert.equal(targetsFetches(env), 1);
  // A broken signature with a record of this machine's key, and no durable copy to fall back on: only the
  // packed copy, its signature check answered by the record (ADR 0008), can spare the download.
  breakPackedTargets(file, KEY);
  rmSync(join(env.metadataDir, 'targets.json'));
  const second = env.updater(PACK);
  assert.ok(await second.getTargetInfo('pkg/a.tgz'));
  assert.equal(targetsFetches(env), 1, 'the packed copy was used');
  // Without the record the same bytes face the signature check, fail it, and the genuine role is downloaded.
  breakPackedTargets(file, 'dropped');
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
  const repaired = parseRolePack(readFileSync(file), 1 << 20)!.roles.get('targets')!;
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
