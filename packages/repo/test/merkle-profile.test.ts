import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, encodeRoleName, generateEd25519KeyPair, verifyHashes } from '@tufpm/models';
import { deltaPath, encodeProof, parseDelta, proofPath, verifyProof } from '@tufpm/merkle';
import { initRepository, openRepository, type NpmRepository } from '../src/index.js';
import { makeTarball, tempDir } from './helpers.js';

async function merkleRepo(materializeProofs = false): Promise<{ dir: string; keysDir: string; repo: NpmRepository; cleanup: () => Promise<void> }> {
  const t = await tempDir();
  const dir = join(t.path, 'metadata');
  const keysDir = join(t.path, 'keys');
  const repo = await initRepository({ dir, keysDir, bitLength: 2, snapshotProfile: 'merkle', materializeProofs });
  return { dir, keysDir, repo, cleanup: t.cleanup };
}

async function signedHead(dir: string): Promise<{ root: string; size: number; epoch: number }> {
  const ts = Metadata.timestamp(await readFile(join(dir, 'timestamp.json')));
  const head = ts.signed.unrecognized['x-tufpm-merkle'] as { root: string; size: number };
  return { ...head, epoch: ts.signed.snapshotMeta.version };
}

/** Every targets role of the repository is proven present under the signed root with its file's version, length and sha256. */
async function assertEveryRoleProven(dir: string, repo: NpmRepository, prove: (name: string, root: string) => Uint8Array): Promise<void> {
  const head = await signedHead(dir);
  const names = ['targets', ...repo.repo.delegated.keys()];
  assert.equal(head.size, names.length);
  for (const name of names) {
    const r = verifyProof(prove(name, head.root), name, Buffer.from(head.root, 'hex'));
    assert.equal(r.present, true, name);
    if (!r.present) continue;
    const file = await readFile(join(dir, `${r.value.version}.${encodeRoleName(name)}.json`));
    assert.equal(r.value.version, repo.repo.role(name).signed.version);
    assert.equal(r.value.length, file.length);
    verifyHashes(file, r.value.hashes!);
  }
}

test('init --snapshot merkle: root declares the profile, the timestamp signs the tree head, no snapshot file', async () => {
  const { dir, repo, cleanup } = await merkleRepo();
  try {
    const root = Metadata.root(await readFile(join(dir, '1.root.json')));
    assert.equal(root.signed.unrecognized['x-tufpm-snapshot'], 'merkle');
    assert.ok(!(await readdir(dir)).some((f) => f.includes('snapshot')), 'no snapshot.json in the merkle profile');
    const ts = Metadata.timestamp(await readFile(join(dir, 'timestamp.json')));
    root.signed.verifyDelegate('timestamp', ts);
    assert.deepEqual(ts.signed.snapshotMeta.toJSON(), { version: 1 });
    await assertEveryRoleProven(dir, repo, (n, r) => encodeProof(repo.repo.merkle!.tree.prove(n, r)));
    const status = await repo.status();
    assert.equal(status.healthy, true);
    assert.ok(!status.roles.some((r) => r.kind === 'snapshot'));
  } finally {
    await cleanup();
  }
});

test('a publish moves the tree to a new root whose delta lists only the changed roles; the old root stays provable', async () => {
  const { dir, keysDir, repo, cleanup } = await merkleRepo();
  try {
    const before = await signedHead(dir);
    const res = await repo.publishTarball(await makeTarball({ name: 'left-pad', version: '1.0.0' }));
    const after = await signedHead(dir);
    assert.notEqual(after.root, before.root);
    assert.equal(after.epoch, before.epoch + 1);
    const delta = parseDelta(await readFile(join(dir, deltaPath(after.root))));
    assert.equal(delta.previous_root, before.root);
    assert.deepEqual(delta.leaves.map((l) => l.name), [res.role]);
    // A reopened repository (another process) continues the same tree and proves both roots.
    const again = await openRepository({ dir, keysDir });
    await assertEveryRoleProven(dir, again, (n, r) => encodeProof(again.repo.merkle!.tree.prove(n, r)));
    const old = verifyProof(again.repo.merkle!.tree.prove(res.role, before.root), res.role, Buffer.from(before.root, 'hex'));
    assert.ok(old.present && old.value.version === repo.repo.role(res.role).signed.version - 1);
    await again.publishTarball(await makeTarball({ name: 'left-pad', version: '1.0.1' }));
    assert.equal((await signedHead(dir)).epoch, after.epoch + 1);
    assert.equal(parseDelta(await readFile(join(dir, deltaPath((await signedHead(dir)).root)))).previous_root, after.root);
  } finally {
    await cleanup();
  }
});

test('a claimed package role becomes a leaf; a timestamp-only refresh keeps the tree head', async () => {
  const { dir, repo, cleanup } = await merkleRepo(true);
  try {
    const maintainer = generateEd25519KeyPair().signer;
    await repo.addPackage('@scope/pkg', [maintainer.key], 1, { signers: [maintainer] });
    const head = await signedHead(dir);
    await repo.timestamp();
    const refreshed = await signedHead(dir);
    assert.equal(refreshed.root, head.root);
    // materialized: the static host serves merkle/<root>/<role>.proof.json
    await assertEveryRoleProven(dir, repo, (n, r) => new Uint8Array(readFileSync(join(dir, proofPath(r, n)))));
  } finally {
    await cleanup();
  }
});
