import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, generateEd25519KeyPair, verifyHashes } from '@tufpm/models';
import { NpmRepository, initRepository, UNCLAIMED_ROLE } from '../src/index.js';
import { makeTarball, snapshotDir, tempDir } from './helpers.js';

async function setup(bitLength = 4): Promise<{ dir: string; keysDir: string; repo: NpmRepository; cleanup: () => Promise<void> }> {
  const t = await tempDir();
  const dir = join(t.path, 'metadata');
  const keysDir = join(t.path, 'keys');
  const repo = await initRepository({ dir, keysDir, bitLength });
  return { dir, keysDir, repo, cleanup: t.cleanup };
}

test('init writes consistent-snapshot metadata, every role signed, keys split offline/online with 0600/0700', async () => {
  const { dir, keysDir, repo, cleanup } = await setup();
  try {
    const files = await readdir(dir);
    for (const f of ['1.root.json', 'timestamp.json', '1.snapshot.json', '1.targets.json', '1.unclaimed.json', '1.unclaimed-0.json', '1.unclaimed-f.json']) {
      assert.ok(files.includes(f), `${f} written`);
    }
    assert.ok(!files.includes('root.json'));
    assert.deepEqual((await readdir(join(keysDir, 'offline'))).sort(), ['root.pem', 'root.pub.pem', 'targets.pem', 'targets.pub.pem']);
    assert.deepEqual((await readdir(join(keysDir, 'online'))).sort(),
      ['snapshot.pem', 'snapshot.pub.pem', 'timestamp.pem', 'timestamp.pub.pem', 'unclaimed.pem', 'unclaimed.pub.pem']);
    assert.equal((await stat(join(keysDir, 'offline'))).mode & 0o777, 0o700);
    assert.equal((await stat(join(keysDir, 'online', 'unclaimed.pem'))).mode & 0o777, 0o600);
    const root = Metadata.root(await readFile(join(dir, '1.root.json')));
    root.signed.verifyDelegate('root', root);
    const targets = Metadata.targets(await readFile(join(dir, '1.targets.json')));
    root.signed.verifyDelegate('targets', targets);
    const unclaimed = Metadata.targets(await readFile(join(dir, '1.unclaimed.json')));
    targets.signed.verifyDelegate(UNCLAIMED_ROLE, unclaimed);
    assert.deepEqual(targets.signed.delegations?.roles?.map((r) => [r.name, r.terminating, r.paths]), [[UNCLAIMED_ROLE, true, ['*/-/*', '@*/*/-/*']]]);
    assert.equal(unclaimed.signed.delegations?.succinctRoles?.bitLength, 4);
    const status = await repo.status();
    assert.equal(status.healthy, true);
    assert.equal(status.bins.count, 16);
  } finally {
    await cleanup();
  }
});

test('publish signs an unclaimed tarball into its bin with length, sha512 and sha256', async () => {
  const { dir, repo, cleanup } = await setup();
  try {
    const tgz = await makeTarball({ name: '@scope/pkg', version: '1.2.3' }, { 'index.js': 'module.exports = 1' });
    const res = await repo.publishTarball(tgz);
    assert.equal(res.targetPath, '@scope/pkg/-/pkg-1.2.3.tgz');
    assert.equal(res.claimed, false);
    assert.match(res.role, /^unclaimed-[0-9a-f]$/);
    const ts = Metadata.timestamp(await readFile(join(dir, 'timestamp.json')));
    assert.equal(ts.signed.version, 2);
    const snap = Metadata.snapshot(await readFile(join(dir, '2.snapshot.json')));
    ts.signed.snapshotMeta.verifyLengthAndHashes(await readFile(join(dir, '2.snapshot.json')));
    const binVersion = snap.signed.meta.get(`${res.role}.json`)!.version;
    assert.equal(binVersion, 2);
    const bin = Metadata.targets(await readFile(join(dir, `2.${res.role}.json`)));
    const unclaimed = Metadata.targets(await readFile(join(dir, '1.unclaimed.json')));
    unclaimed.signed.verifyDelegate(res.role, bin);
    const t = bin.signed.targets.get(res.targetPath)!;
    t.verifyLengthAndHashes(tgz);
    assert.deepEqual(Object.keys(t.hashes).sort(), ['sha256', 'sha512']);
    verifyHashes(tgz, { sha512: t.hashes['sha512']! });
    // Publishing the same bytes again changes nothing.
    const again = await repo.publishTarball(tgz);
    assert.equal(again.added, false);
  } finally {
    await cleanup();
  }
});

test('claiming a package moves its existing versions into the maintainers role, listed before unclaimed', async () => {
  const { dir, repo, cleanup } = await setup();
  try {
    const m1 = generateEd25519KeyPair();
    const m2 = generateEd25519KeyPair();
    const v1 = await makeTarball({ name: 'lodash', version: '1.0.0' });
    await repo.publishTarball(v1);
    const res = await repo.addPackage('lodash', [m1.key, m2.key], 2, { signers: [m1.signer, m2.signer] });
    assert.deepEqual(res.movedTargets, ['lodash/-/lodash-1.0.0.tgz']);
    const targets = Metadata.targets(await readFile(join(dir, `${repo.repo.targets.signed.version}.targets.json`)));
    assert.deepEqual(targets.signed.delegations?.roles?.map((r) => r.name), ['lodash', UNCLAIMED_ROLE]);
    const role = Metadata.targets(await readFile(join(dir, '1.lodash.json')));
    assert.equal(targets.signed.verifyDelegate('lodash', role).distinctKeys, 2);
    assert.ok(role.signed.targets.has('lodash/-/lodash-1.0.0.tgz'));
    // The online key can no longer publish it; one maintainer key is below the 2-of-2 threshold.
    const v2 = await makeTarball({ name: 'lodash', version: '2.0.0' });
    await assert.rejects(repo.publishTarball(v2, { onlineOnly: true }), { code: 'TUF_PACKAGE_CLAIMED' });
    await assert.rejects(repo.publishTarball(v2), { code: 'TUF_KEY_MISSING' });
    await assert.rejects(repo.publishTarball(v2, { signers: [m1.signer] }), { code: 'TUF_THRESHOLD' });
    const ok = await repo.publishTarball(v2, { signers: [m1.signer, m2.signer] });
    assert.equal(ok.role, 'lodash');
  } finally {
    await cleanup();
  }
});

test('a failed operation writes nothing and leaves the in-memory repository usable', async () => {
  const { dir, keysDir, repo, cleanup } = await setup();
  try {
    const m1 = generateEd25519KeyPair();
    const intruder = generateEd25519KeyPair();
    await repo.addPackage('left-pad', [m1.key], 1, { signers: [m1.signer] });
    const before = await snapshotDir(dir);
    const keysBefore = await snapshotDir(keysDir);
    const tgz = await makeTarball({ name: 'left-pad', version: '1.0.0' });
    await assert.rejects(repo.publishTarball(tgz, { signers: [intruder.signer] }), { code: 'TUF_KEY_MISMATCH' });
    await assert.rejects(repo.publishTarball(tgz, { signers: [m1.signer], expectedName: 'right-pad' }), { code: 'TUF_PACKAGE_MISMATCH' });
    await assert.rejects(repo.revokeKey('no-such-package', m1.key.keyid), { code: 'TUF_UNKNOWN_PACKAGE' });
    await assert.rejects(repo.addPackage('left-pad', [m1.key], 1), { code: 'TUF_PACKAGE_CLAIMED' });
    assert.deepEqual(await snapshotDir(dir), before);
    assert.deepEqual(await snapshotDir(keysDir), keysBefore);
    const ok = await repo.publishTarball(tgz, { signers: [m1.signer] });
    assert.equal(ok.role, 'left-pad');
    const reopened = await NpmRepository.open({ dir, keysDir });
    assert.equal((await reopened.status()).healthy, true);
  } finally {
    await cleanup();
  }
});

test('an opened repository reads a delegated role only when used: a publish loads its bin, not the others; the snapshot still lists every role', async () => {
  const { dir, keysDir, repo, cleanup } = await setup();
  try {
    for (const name of ['a', 'b', 'c']) await repo.publishTarball(await makeTarball({ name, version: '1.0.0' }, { 'index.js': '1' }));
    const opened = await NpmRepository.open({ dir, keysDir });
    const loaded = (): string[] => [...opened.repo.delegated.keys()].filter((n) => opened.repo.delegated.isLoaded(n));
    assert.deepEqual(loaded(), [], 'nothing but the top-level roles is parsed at open');
    const res = await opened.publishTarball(await makeTarball({ name: 'd', version: '1.0.0' }, { 'index.js': '1' }));
    assert.ok(loaded().length <= 3, `the publish loaded only unclaimed and its bin(s): ${loaded().join(', ')}`);
    assert.ok(loaded().includes(res.role));
    const snap = Metadata.snapshot(await readFile(join(dir, `${opened.repo.snapshot.signed.version}.snapshot.json`)));
    assert.equal(snap.signed.meta.size, 2 + 16, 'targets, unclaimed and every bin stay listed');
    // every listed role still verifies from disk (versions the snapshot lists exist and parse)
    const again = await NpmRepository.open({ dir, keysDir });
    for (const [name, md] of again.repo.delegated.entries()) assert.equal(md.signed.version, snap.signed.meta.get(`${name}.json`)!.version);
    assert.equal((await again.status()).healthy, true);
  } finally {
    await cleanup();
  }
});

test('a delegated role file missing on disk is refused when the role is first used, with the repository state error', async () => {
  const { dir, keysDir, repo, cleanup } = await setup();
  try {
    const res = await repo.publishTarball(await makeTarball({ name: 'gone', version: '1.0.0' }, { 'index.js': '1' }));
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, `2.${res.role}.json`));
    const opened = await NpmRepository.open({ dir, keysDir });
    assert.throws(() => opened.repo.targetsRole(res.role), /metadata file .* is missing/);
  } finally {
    await cleanup();
  }
});

test('a failed transaction that replaced or removed a role not loaded yet puts it back as it was read', async () => {
  const { dir, keysDir, repo, cleanup } = await setup();
  try {
    const res = await repo.publishTarball(await makeTarball({ name: 'kept', version: '1.0.0' }, { 'index.js': '1' }));
    const opened = await NpmRepository.open({ dir, keysDir });
    const bytes = await readFile(join(dir, `2.${res.role}.json`));
    await assert.rejects(opened.transaction(async (r) => {
      r.delegated.set(res.role, Metadata.targets(bytes));
      r.changed.add(res.role);
      throw new Error('store failed');
    }), /store failed/);
    assert.ok(opened.repo.targetsRole(res.role).signed.targets.has(res.targetPath), 'the replaced role is back');
    const owner = generateEd25519KeyPair();
    await opened.addPackage('owned', [owner.key], 1, { signers: [owner.signer] });
    const reopened = await NpmRepository.open({ dir, keysDir });
    assert.equal(reopened.repo.delegated.isLoaded('owned'), false);
    await assert.rejects(reopened.transaction(async (r) => {
      r.removeDelegation('targets', 'owned');
      assert.equal(r.delegated.has('owned'), false);
      throw new Error('failed after removing');
    }), /failed after removing/);
    assert.equal(reopened.repo.targetsRole('owned').signed.version, 1, 'the removed role is back');
  } finally {
    await cleanup();
  }
});
