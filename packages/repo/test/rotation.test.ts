import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, generateEd25519KeyPair, type Root, type Targets } from '@tufpm/models';
import { NpmRepository, initRepository, UNCLAIMED_ROLE } from '../src/index.js';
import { beginRotation } from '../src/rotation-journal.js';
import { makeTarball, snapshotDir, tempDir } from './helpers.js';

async function setup(): Promise<{ dir: string; keysDir: string; repo: NpmRepository; cleanup: () => Promise<void> }> {
  const t = await tempDir();
  const dir = join(t.path, 'metadata');
  const keysDir = join(t.path, 'keys');
  const repo = await initRepository({ dir, keysDir, bitLength: 2 });
  return { dir, keysDir, repo, cleanup: t.cleanup };
}

async function load<T extends Root | Targets>(dir: string, file: string): Promise<Metadata<T>> {
  return Metadata.fromBytes(await readFile(join(dir, file))) as unknown as Metadata<T>;
}

test('rotating the timestamp and snapshot keys re-signs both with the new keys and retires the old files', async () => {
  const { dir, keysDir, repo, cleanup } = await setup();
  try {
    for (const role of ['timestamp', 'snapshot'] as const) {
      const old = repo.repo.root.signed.getRole(role).keyids[0]!;
      const res = await repo.rotateKey(role, old);
      const root = await load<Root>(dir, `${res.versions['root']}.root.json`);
      assert.deepEqual(root.signed.getRole(role).keyids, [res.newKeyid]);
      const ts = Metadata.timestamp(await readFile(join(dir, 'timestamp.json')));
      root.signed.verifyDelegate('timestamp', ts);
      root.signed.verifyDelegate('snapshot', Metadata.snapshot(await readFile(join(dir, `${ts.signed.snapshotMeta.version}.snapshot.json`))));
      assert.ok(res.retiredKeyFile?.startsWith(join(keysDir, 'retired')));
    }
    assert.equal((await repo.status()).healthy, true);
    // The next plain operation finds exactly the new key files.
    await repo.timestamp();
  } finally {
    await cleanup();
  }
});

test('rotating the unclaimed key re-signs every bin; the delegation is signed by the offline targets key', async () => {
  const { dir, repo, cleanup } = await setup();
  try {
    await repo.publishTarball(await makeTarball({ name: 'x', version: '1.0.0' }));
    const old = repo.repo.targets.signed.delegations!.roles![0]!.keyids[0]!;
    const res = await repo.rotateKey(UNCLAIMED_ROLE, old);
    const targets = await load<Targets>(dir, `${repo.repo.targets.signed.version}.targets.json`);
    const unclaimed = await load<Targets>(dir, `${res.versions[UNCLAIMED_ROLE]}.unclaimed.json`);
    targets.signed.verifyDelegate(UNCLAIMED_ROLE, unclaimed);
    assert.deepEqual(unclaimed.signed.delegations?.succinctRoles?.keyids, [res.newKeyid]);
    assert.ok(!unclaimed.signed.delegations!.keys.has(old), 'the old key is gone from the delegation');
    for (const bin of unclaimed.signed.delegations!.succinctRoles!.getRoles()) {
      const v = repo.repo.targetsRole(bin).signed.version;
      unclaimed.signed.verifyDelegate(bin, await load<Targets>(dir, `${v}.${bin}.json`));
    }
    await repo.publishTarball(await makeTarball({ name: 'x', version: '1.0.1' }));
  } finally {
    await cleanup();
  }
});

test('rotating a maintainer key needs the maintainers to re-sign; revoking below the threshold needs a new threshold', async () => {
  const { repo, cleanup } = await setup();
  try {
    const a = generateEd25519KeyPair();
    const b = generateEd25519KeyPair();
    const c = generateEd25519KeyPair();
    await repo.addPackage('pkg', [a.key, b.key], 2, { signers: [a.signer, b.signer] });
    await repo.rotateKey('pkg', b.key.keyid, { publicKey: c.key }, { signers: [a.signer, c.signer] });
    assert.deepEqual([...repo.claimedRole('pkg')!.keyids].sort(), [a.key.keyid, c.key.keyid].sort());
    assert.equal(repo.repo.verification('pkg').verified, true);
    await assert.rejects(repo.revokeKey('pkg', c.key.keyid), { code: 'TUF_INVALID_INPUT' });
    await assert.rejects(repo.revokeKey('pkg', b.key.keyid), { code: 'TUF_KEY_MISMATCH' });
    const res = await repo.revokeKey('pkg', c.key.keyid, { threshold: 1 });
    assert.deepEqual(res.keyids, [a.key.keyid]);
    // The package role's signature by a still verifies under the new delegation.
    assert.equal((await repo.status()).healthy, true);
  } finally {
    await cleanup();
  }
});

test('a root rotation that the new key cannot sign is refused and writes nothing', async () => {
  const { dir, keysDir, repo, cleanup } = await setup();
  try {
    const before = await snapshotDir(dir);
    const keysBefore = await snapshotDir(keysDir);
    const stranger = generateEd25519KeyPair();
    const old = repo.repo.root.signed.getRole('root').keyids[0]!;
    // Only the public half: root v2 would lack the new key's signature (its own threshold).
    await assert.rejects(repo.rotateKey('root', old, { publicKey: stranger.key }), { code: 'TUF_THRESHOLD' });
    assert.deepEqual(await snapshotDir(dir), before);
    assert.deepEqual(await snapshotDir(keysDir), keysBefore);
    assert.equal(repo.repo.root.signed.version, 1);
  } finally {
    await cleanup();
  }
});

test('refresh-expiry moves expiry dates forward and bumps versions', async () => {
  const t = await tempDir();
  try {
    const dir = join(t.path, 'm');
    const keysDir = join(t.path, 'k');
    const past = new Date(Date.now() - 30 * 24 * 3600 * 1000);
    await initRepository({ dir, keysDir, bitLength: 1, now: past });
    const repo = await NpmRepository.open({ dir, keysDir });
    const stale = await repo.status();
    assert.equal(stale.healthy, false);
    assert.ok(stale.roles.find((r) => r.name === 'timestamp')!.expired);
    const res = await repo.refreshExpiry('all');
    assert.ok(new Date(res['timestamp']!).getTime() > Date.now());
    const fresh = await repo.status();
    assert.equal(fresh.healthy, true, JSON.stringify(fresh.roles.filter((r) => r.expired || !r.verified)));
    assert.equal(fresh.roles.find((r) => r.name === 'root')!.version, 2);
    assert.equal(fresh.roles.find((r) => r.name === 'root')!.crossSigned, true);
    assert.ok((await readdir(dir)).includes('2.root.json'));
  } finally {
    await t.cleanup();
  }
});

// A kill -9 inside rotate-key, between its key files and its metadata (rotation-journal.ts). Each state a
// kill can leave is rebuilt here exactly; the crash-consistency integration test kills the real command.
test('a rotation killed before its metadata was persisted: the next command sets the unused new key aside and signs with the old key', async () => {
  const { dir, keysDir, repo, cleanup } = await setup();
  try {
    const old = repo.repo.root.signed.getRole('timestamp').keyids[0]!;
    const fresh = generateEd25519KeyPair();
    const base = `timestamp.${fresh.key.keyid.slice(0, 16)}`;
    await beginRotation(keysDir, { role: 'timestamp', oldKeyid: old, newKeyid: fresh.key.keyid, oldKeyFile: join(keysDir, 'online', 'timestamp.pem') }, { base, privateKeyPem: fresh.privateKeyPem });
    const reopened = await NpmRepository.open({ dir, keysDir });
    await reopened.timestamp();
    const ts = Metadata.timestamp(await readFile(join(dir, 'timestamp.json')));
    assert.deepEqual([...ts.signatures.keys()], [old], 'still signed by the old key');
    assert.deepEqual((await readdir(join(keysDir, 'online'))).filter((f) => f.startsWith('timestamp')).sort(), ['timestamp.pem', 'timestamp.pub.pem']);
    assert.deepEqual((await readdir(join(keysDir, 'retired'))).sort(), [`${base}.never-used.pem`, `${base}.never-used.pub.pem`], 'the unused key is kept, not deleted');
    assert.ok(!(await readdir(keysDir)).includes('rotation-journal.json'));
  } finally {
    await cleanup();
  }
});

test('a rotation killed after its metadata was persisted: the next command promotes the new key and retires the old one', async () => {
  const { dir, keysDir, repo, cleanup } = await setup();
  try {
    const old = repo.repo.root.signed.getRole('timestamp').keyids[0]!;
    const res = await repo.rotateKey('timestamp', old);
    // Put the files back where a kill right after persisting leaves them.
    const { rename } = await import('node:fs/promises');
    await rename(res.newKeyFile!, `${res.newKeyFile!}.pending`);
    await rename(res.newKeyFile!.replace(/\.pem$/, '.pub.pem'), res.newKeyFile!.replace(/\.pem$/, '.pub.pem.pending'));
    const oldFile = join(keysDir, 'online', 'timestamp.pem');
    await rename(res.retiredKeyFile!, oldFile);
    await writeFile(join(keysDir, 'rotation-journal.json'), JSON.stringify({ role: 'timestamp', oldKeyid: old, newKeyid: res.newKeyid, oldKeyFile: oldFile, newKeyFile: res.newKeyFile }));
    const reopened = await NpmRepository.open({ dir, keysDir });
    await reopened.timestamp();
    const ts = Metadata.timestamp(await readFile(join(dir, 'timestamp.json')));
    assert.deepEqual([...ts.signatures.keys()], [res.newKeyid], 'signed by the new key');
    assert.ok((await readdir(join(keysDir, 'retired'))).includes(`timestamp.${old.slice(0, 16)}.pem`));
    assert.ok(!(await readdir(keysDir)).includes('rotation-journal.json'));
  } finally {
    await cleanup();
  }
});

test('a damaged rotation journal stops every repository command with a coded error instead of guessing', async () => {
  const { dir, keysDir, cleanup } = await setup();
  try {
    await writeFile(join(keysDir, 'rotation-journal.json'), '{"role":"timestamp","oldKeyid":"a","newKeyid":"b","oldKeyFile":"/etc/passwd"}');
    const reopened = await NpmRepository.open({ dir, keysDir });
    await assert.rejects(reopened.timestamp(), { code: 'TUF_REPO_STATE', message: /outside/ });
    await writeFile(join(keysDir, 'rotation-journal.json'), '{"role":');
    await assert.rejects(reopened.timestamp(), { code: 'TUF_REPO_STATE', message: /damaged/ });
  } finally {
    await cleanup();
  }
});

test('a timestamp key rotation is readable at every moment: the new timestamp verifies under root N and N+1, and root N+1 is written last', async () => {
  const { dir, repo, cleanup } = await setup();
  try {
    const before = repo.repo.root.signed.version;
    const old = repo.repo.root.signed.getRole('timestamp').keyids[0]!;
    const res = await repo.rotateKey('timestamp', old);
    const ts = Metadata.timestamp(await readFile(join(dir, 'timestamp.json')));
    (await load<Root>(dir, `${before}.root.json`)).signed.verifyDelegate('timestamp', ts);
    (await load<Root>(dir, `${res.versions['root']}.root.json`)).signed.verifyDelegate('timestamp', ts);
    const { stat } = await import('node:fs/promises');
    const rootWritten = (await stat(join(dir, `${res.versions['root']}.root.json`))).mtimeMs;
    assert.ok(rootWritten >= (await stat(join(dir, 'timestamp.json'))).mtimeMs, 'root N+1 written after the timestamp');
    // The next timestamp is signed by the new key alone.
    await repo.timestamp();
    assert.deepEqual([...Metadata.timestamp(await readFile(join(dir, 'timestamp.json'))).signatures.keys()], [res.newKeyid]);
  } finally {
    await cleanup();
  }
});
