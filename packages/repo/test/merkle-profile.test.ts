import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, encodeRoleName, generateEd25519KeyPair, verifyHashes } from '@tufpm/models';
import { MerkleStore, deltaPath, encodeProof, parseDelta, proofPath, verifyProof } from '@tufpm/merkle';
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

test('an unpublished (removed) role becomes a tombstone leaf, never a deletion; the repository reopens without it', async () => {
  const { dir, keysDir, repo, cleanup } = await merkleRepo();
  try {
    const maintainer = generateEd25519KeyPair().signer;
    await repo.addPackage('gone-pkg', [maintainer.key], 1, { signers: [maintainer] });
    const version = repo.repo.role('gone-pkg').signed.version;
    const sizeBefore = (await signedHead(dir)).size;
    await repo.transaction(async (r) => {
      r.removeDelegation('targets', 'gone-pkg');
      await repo.signRole('targets');
      await repo.resignSnapshotAndTimestamp();
    });
    const head = await signedHead(dir);
    assert.equal(head.size, sizeBefore, 'the leaf stays');
    const proof = verifyProof(repo.repo.merkle!.tree.prove('gone-pkg', head.root), 'gone-pkg', Buffer.from(head.root, 'hex'));
    assert.deepEqual(proof, { present: true, value: { version, tombstone: true } });
    const delta = parseDelta(await readFile(join(dir, deltaPath(head.root))));
    assert.deepEqual(delta.leaves.find((l) => l.name === 'gone-pkg'), { name: 'gone-pkg', version, tombstone: true });
    const again = await openRepository({ dir, keysDir });
    assert.equal(again.repo.delegated.has('gone-pkg'), false);
    assert.equal(again.repo.snapshot.signed.meta.has('gone-pkg.json'), false);
  } finally {
    await cleanup();
  }
});

test('an epoch committed without its timestamp (crash) is ignored: the next publish continues from the signed root', async () => {
  const { dir, keysDir, repo, cleanup } = await merkleRepo();
  try {
    await repo.publishTarball(await makeTarball({ name: 'a-pkg', version: '1.0.0' }));
    const signed = await signedHead(dir);
    // A writer that committed the tree and died before writing timestamp.json.
    const orphan = await MerkleStore.open(join(dir, 'merkle', '.store'));
    orphan.tree.set('targets', { version: 99 });
    await orphan.commit();
    const again = await openRepository({ dir, keysDir });
    assert.equal(Buffer.from(again.repo.merkle!.tree.root()).toString('hex'), signed.root);
    await again.publishTarball(await makeTarball({ name: 'a-pkg', version: '1.0.1' }));
    const next = await signedHead(dir);
    assert.equal(parseDelta(await readFile(join(dir, deltaPath(next.root)))).previous_root, signed.root);
    const targets = verifyProof(again.repo.merkle!.tree.prove('targets', next.root), 'targets', Buffer.from(next.root, 'hex'));
    assert.ok(targets.present && targets.value.version === again.repo.targets.signed.version);
    assert.deepEqual((await MerkleStore.open(join(dir, 'merkle', '.store'))).committedHead().root, next.root);
  } finally {
    await cleanup();
  }
});

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const cli = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });

test('tufpm-repo init --snapshot merkle --materialize-proofs writes a static-hostable tree; bad profile flags are usage errors', async () => {
  const t = await tempDir();
  try {
    const dir = join(t.path, 'm');
    const r = await cli('init', '--dir', dir, '--keys', join(t.path, 'k'), '--bit-length', '1', '--snapshot', 'merkle', '--materialize-proofs', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { snapshot: string }).snapshot, 'merkle');
    const head = await signedHead(dir);
    const files = (await readdir(join(dir, 'merkle', head.root))).sort();
    assert.deepEqual(files, ['delta.json', 'targets.proof.json', 'unclaimed-0.proof.json', 'unclaimed-1.proof.json', 'unclaimed.proof.json']);
    assert.equal((await cli('init', '--dir', join(t.path, 'x'), '--keys', join(t.path, 'kx'), '--snapshot', 'tree')).code, 2);
    assert.equal((await cli('init', '--dir', join(t.path, 'y'), '--keys', join(t.path, 'ky'), '--materialize-proofs')).code, 2);
  } finally {
    await t.cleanup();
  }
});
