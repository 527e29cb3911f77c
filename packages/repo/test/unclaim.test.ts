import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, UNCLAIM_RECORDS_FIELD, generateEd25519KeyPair, parseUnclaimRecords, releaseIndexPath, type Snapshot } from '@tufpm/models';
import { verifyProof, encodeProof } from '@tufpm/merkle';
import { UNCLAIMED_ROLE, initRepository, openRepository, type NpmRepository } from '../src/index.js';
import { approveClaim, createClaimRequest } from '../src/maintainer/claims.js';
import { signRole } from '../src/maintainer/role-build.js';
import { makeTarball, snapshotDir, tempDir } from './helpers.js';

async function setup(profile: 'classic' | 'merkle' = 'classic'): Promise<{ dir: string; keysDir: string; repo: NpmRepository; cleanup: () => Promise<void> }> {
  const t = await tempDir();
  const dir = join(t.path, 'metadata');
  const keysDir = join(t.path, 'keys');
  const repo = await initRepository({ dir, keysDir, bitLength: 2, snapshotProfile: profile });
  return { dir, keysDir, repo, cleanup: t.cleanup };
}

/** lodash claimed by one maintainer, with 1.0.0 (published before the claim) and 2.0.0 (maintainer-signed). */
async function claimedLodash(repo: NpmRepository): Promise<ReturnType<typeof generateEd25519KeyPair>> {
  const m = generateEd25519KeyPair();
  await repo.publishTarball(await makeTarball({ name: 'lodash', version: '1.0.0' }));
  await repo.addPackage('lodash', [m.key], 1, { signers: [m.signer] });
  await repo.publishTarball(await makeTarball({ name: 'lodash', version: '2.0.0' }), { signers: [m.signer] });
  return m;
}

async function readSnapshot(dir: string, repo: NpmRepository): Promise<Metadata<Snapshot>> {
  return Metadata.snapshot(await readFile(join(dir, `${repo.repo.snapshot.signed.version}.snapshot.json`)));
}

test('unclaim ends the delegation with an unclaim record signed by the offline targets key and moves the maintainers\' versions into the bins', async () => {
  const { dir, repo, cleanup } = await setup();
  try {
    const m = await claimedLodash(repo);
    const lastRole = repo.repo.targetsRole('lodash').signed.version;
    const res = await repo.unclaim('lodash');
    assert.equal(res.roleVersion, lastRole);
    assert.deepEqual(res.keyids, [m.key.keyid]);
    assert.deepEqual(res.moved, ['lodash/-/lodash-1.0.0.tgz', 'lodash/-/lodash-2.0.0.tgz']);

    const root = Metadata.root(await readFile(join(dir, '1.root.json')));
    const targets = Metadata.targets(await readFile(join(dir, `${res.targetsVersion}.targets.json`)));
    assert.equal(root.signed.verifyDelegate('targets', targets).verified, true, 'the record is covered by the offline targets signature');
    assert.deepEqual(targets.signed.delegations?.roles?.map((r) => r.name), [UNCLAIMED_ROLE]);
    const record = parseUnclaimRecords(targets.signed.unrecognized).get('lodash');
    assert.deepEqual(record && { roleVersion: record.roleVersion, keyids: record.keyids, threshold: record.threshold }, { roleVersion: lastRole, keyids: [m.key.keyid], threshold: 1 });

    const bins = repo.unclaimedBins();
    for (const path of [...res.moved, releaseIndexPath('lodash')]) {
      const bin = bins.getRoleForTarget(path);
      const binMd = Metadata.targets(await readFile(join(dir, `${repo.repo.targetsRole(bin).signed.version}.${bin}.json`)));
      assert.ok(binMd.signed.targets.has(path), `${path} is signed in ${bin}`);
    }
    // A later npm publish is signed by the registry's online key into the bin.
    const v3 = await repo.publishTarball(await makeTarball({ name: 'lodash', version: '3.0.0' }), { onlineOnly: true });
    assert.equal(v3.role, bins.getRoleForTarget('lodash/-/lodash-3.0.0.tgz'));
    assert.equal(v3.claimed, false);
    assert.equal(repo.coverage('lodash').claimed, false);
    assert.deepEqual((await repo.status()).roles.filter((r) => r.kind === 'package'), [], 'status lists no claim');
  } finally {
    await cleanup();
  }
});

test('the snapshot after an unclaim is no rollback: it keeps the retired role at its last version, and every entry the previous snapshot listed', async () => {
  const { dir, repo, cleanup } = await setup();
  try {
    await claimedLodash(repo);
    const before = await readSnapshot(dir, repo);
    await repo.unclaim('lodash');
    const reopened = await openRepository({ dir, keysDir: repo.keysDir });
    await reopened.publishTarball(await makeTarball({ name: 'lodash', version: '3.0.0' }));
    const after = await readSnapshot(dir, reopened);
    assert.ok(after.signed.version > before.signed.version);
    for (const [file, meta] of before.signed.meta) {
      const now = after.signed.meta.get(file);
      assert.ok(now !== undefined && now.version >= meta.version, `${file}: v${meta.version} -> v${now?.version ?? 'dropped'}`);
    }
    assert.equal(after.signed.meta.get('lodash.json')?.version, before.signed.meta.get('lodash.json')?.version);
  } finally {
    await cleanup();
  }
});

test('unclaim in the Merkle profile keeps the retired role\'s leaf: no tombstone, the tree does not shrink', async () => {
  const { dir, repo, cleanup } = await setup('merkle');
  try {
    await claimedLodash(repo);
    const sizeBefore = repo.repo.merkle!.tree.size();
    const lastRole = repo.repo.targetsRole('lodash').signed.version;
    await repo.unclaim('lodash');
    const ts = Metadata.timestamp(await readFile(join(dir, 'timestamp.json')));
    const head = ts.signed.unrecognized['x-tufpm-merkle'] as { root: string; size: number };
    assert.equal(head.size, sizeBefore);
    const proof = verifyProof(encodeProof(repo.repo.merkle!.tree.prove('lodash', head.root)), 'lodash', Buffer.from(head.root, 'hex'));
    assert.equal(proof.present, true, 'the retired role is still proven present');
    if (proof.present) {
      assert.equal(proof.value.version, lastRole);
      assert.notEqual(proof.value.tombstone, true);
    }
  } finally {
    await cleanup();
  }
});

test('re-claim of an unclaimed name: the role starts one above the retired version and the claim ends the record (claim request flow and add-package)', async () => {
  const { dir, repo, cleanup } = await setup();
  try {
    await claimedLodash(repo);
    const { roleVersion } = await repo.unclaim('lodash');
    await repo.publishTarball(await makeTarball({ name: 'lodash', version: '3.0.0' }));
    const m2 = generateEd25519KeyPair();
    const existing = repo.coverage('lodash').targets.map((t) => repo.repo.targetsRole(t.role).signed.targets.get(t.path)!);
    const v1 = createClaimRequest({ name: 'lodash', keys: [m2.key], threshold: 1, existing, now: new Date() });
    signRole(v1.role, [m2.signer]);
    await assert.rejects(approveClaim(repo, v1), { code: 'TUF_CLAIM', message: /must have version 3/ });
    const req = createClaimRequest({ name: 'lodash', keys: [m2.key], threshold: 1, existing, now: new Date(), version: roleVersion + 1 });
    signRole(req.role, [m2.signer]);
    const res = await approveClaim(repo, req);
    assert.equal(res.adopted.length, 3);
    const targets = Metadata.targets(await readFile(join(dir, `${res.targetsVersion}.targets.json`)));
    assert.deepEqual(targets.signed.delegations?.roles?.map((r) => r.name), ['lodash', UNCLAIMED_ROLE]);
    assert.equal(targets.signed.unrecognized[UNCLAIM_RECORDS_FIELD], undefined, 'the record is gone');
    const snap = await readSnapshot(dir, repo);
    assert.equal(snap.signed.meta.get('lodash.json')?.version, roleVersion + 1);
    const v4 = await repo.publishTarball(await makeTarball({ name: 'lodash', version: '4.0.0' }), { signers: [m2.signer] });
    assert.equal(v4.role, 'lodash');

    // add-package (the operator holding the maintainers' keys) follows the same rule.
    await repo.unclaim('lodash');
    const m3 = generateEd25519KeyPair();
    await repo.addPackage('lodash', [m3.key], 1, { signers: [m3.signer] });
    assert.equal(repo.repo.targetsRole('lodash').signed.version, roleVersion + 3);
    assert.equal(repo.repo.targets.signed.unrecognized[UNCLAIM_RECORDS_FIELD], undefined);
  } finally {
    await cleanup();
  }
});

test('unclaim is refused for a package that is not claimed, and without the offline targets key it writes nothing', async () => {
  const { dir, keysDir, repo, cleanup } = await setup();
  try {
    await repo.publishTarball(await makeTarball({ name: 'left-pad', version: '1.0.0' }));
    await assert.rejects(repo.unclaim('left-pad'), { code: 'TUF_UNKNOWN_PACKAGE' });
    await claimedLodash(repo);
    const files = await snapshotDir(dir);
    await rename(join(keysDir, 'offline', 'targets.pem'), join(keysDir, 'offline', 'targets.pem.away'));
    await assert.rejects(repo.unclaim('lodash'), { code: 'TUF_KEY_MISSING' });
    assert.deepEqual(await snapshotDir(dir), files, 'nothing written');
    assert.equal(repo.claimedRole('lodash')?.name, 'lodash', 'the in-memory repository is back as it was');
  } finally {
    await cleanup();
  }
});

test('a snapshot never drops an entry, even for a role removed outright (TUF 5.5.5: that is what clients call a rollback)', async () => {
  const { dir, repo, cleanup } = await setup();
  try {
    await claimedLodash(repo);
    const listed = repo.repo.snapshot.signed.meta.get('lodash.json')?.version;
    await repo.transaction(async (r) => {
      r.removeDelegation('targets', 'lodash');
      await repo.signRole('targets');
      await repo.resignSnapshotAndTimestamp();
    });
    await repo.publishTarball(await makeTarball({ name: 'left-pad', version: '1.0.0' }));
    assert.equal((await readSnapshot(dir, repo)).signed.meta.get('lodash.json')?.version, listed);
  } finally {
    await cleanup();
  }
});
