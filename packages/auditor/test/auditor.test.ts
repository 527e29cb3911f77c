// tufpm-auditor against a served Merkle-profile repository: it cosigns append-only trees and refuses the
// attacks a registry holding the online keys could try on the tree (named after each attack).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { checkCosignature, cosignatureFileName } from '@tufpm/client';
import { SparseMerkleTree } from '@tufpm/merkle';
import { generateEd25519KeyPair } from '@tufpm/models';
import { auditOnce, runAuditorCli, type AuditOptions } from '../src/index.js';
import { MerkleRepo } from './helpers/merkle-repo.js';

async function setup(t: TestContext) {
  const repo = new MerkleRepo();
  await repo.serve();
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-auditor-'));
  t.after(async () => {
    await repo.close();
    await rm(dir, { recursive: true, force: true });
  });
  const auditor = generateEd25519KeyPair();
  const options: AuditOptions = {
    metadataUrl: repo.metadataUrl, stateDir: join(dir, 'state'), outDir: join(dir, 'out'), trustedRoot: repo.rootBytes,
    signer: auditor.signer, retry: { retries: 0, backoffMs: () => 0 },
  };
  const cosignaturePath = (root: string) => join(options.outDir, cosignatureFileName(root, auditor.key.keyid));
  return { repo, dir, auditor, options, cosignaturePath };
}

async function refused(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.equal((e as { code?: string }).code, code, String((e as Error).stack));
    return true;
  });
}

test('cosigns each new tree root after replaying its deltas, catching up over several epochs', async (t) => {
  const { repo, auditor, options, cosignaturePath } = await setup(t);
  const first = await auditOnce(options);
  assert.equal(first.deltasReplayed, 1);
  assert.equal(checkCosignature(readFileSync(cosignaturePath(first.root)), auditor.key, first), undefined);
  repo.publish({ a: { version: 1 }, b: { version: 1 } });
  repo.publish({ a: { version: 2 }, b: { version: 1, tombstone: true } });
  const head = repo.tree.committedHead();
  const next = await auditOnce(options);
  assert.deepEqual([next.root, next.size, next.deltasReplayed, next.leavesReplayed], [head.root, 3, 2, 4]);
  assert.equal(checkCosignature(readFileSync(cosignaturePath(head.root)), auditor.key, next), undefined);
  const again = await auditOnce(options);
  assert.equal(again.alreadySigned, true);
  assert.equal(again.deltasReplayed, 0);
});

test('refuses to sign a tree that lowered a role\'s version (rollback of one role)', async (t) => {
  const { repo, options, cosignaturePath } = await setup(t);
  repo.publish({ pkg: { version: 3 } });
  await auditOnce(options);
  const rolled = repo.publish({ pkg: { version: 2 } });
  await refused(auditOnce(options), 'TUF_MERKLE_DELTA');
  assert.ok(!existsSync(cosignaturePath(rolled.root)));
  // the replica stayed at the last verified root: an honest next epoch from the registry's real history is
  // still refused (it builds on the rolled-back tree), nothing is ever signed past the bad step
  repo.publish({ other: { version: 1 } });
  await refused(auditOnce(options), 'TUF_MERKLE_DELTA');
});

test('refuses to sign a tree that removed a leaf', async (t) => {
  const { repo, options, cosignaturePath } = await setup(t);
  repo.publish({ pkg: { version: 1 }, gone: { version: 1 } });
  const verified = await auditOnce(options);
  // the registry signs the tree without "gone" and a delta that hides it (no leaf changed)
  const shrunk = new SparseMerkleTree();
  shrunk.set('targets', repo.tree.get('targets')!);
  shrunk.set('pkg', { version: 1 });
  shrunk.set('new', { version: 1 });
  const c = shrunk.commit();
  repo.signHead({ root: c.root, size: 3 }, { previous_root: verified.root, previous_size: verified.size, leaves: [{ name: 'new', version: 1 }] });
  repo.proofsFrom = shrunk;
  await refused(auditOnce(options), 'TUF_MERKLE_DELTA');
  assert.ok(!existsSync(cosignaturePath(c.root)));
});

test('refuses split view: a delta that does not recompute the signed root', async (t) => {
  const { repo, options, cosignaturePath } = await setup(t);
  const verified = await auditOnce(options);
  // the auditors are shown an innocent delta while the timestamp signs another tree (the one some users get)
  const shown = new SparseMerkleTree();
  shown.set('targets', repo.tree.get('targets')!);
  shown.set('evil', { version: 9 });
  const c = shown.commit();
  repo.proofsFrom = shown;
  repo.signHead({ root: c.root, size: c.size }, { previous_root: verified.root, previous_size: verified.size, leaves: [{ name: 'innocent', version: 1 }] });
  await refused(auditOnce(options), 'TUF_MERKLE_DELTA');
  assert.ok(!existsSync(cosignaturePath(c.root)));
});

test('refuses a history that does not pass through the root it verified (fork)', async (t) => {
  const { repo, options } = await setup(t);
  repo.publish({ a: { version: 1 } });
  await auditOnce(options);
  // a second history from the empty tree, with more leaves, whose deltas never meet the verified root
  const fork = new SparseMerkleTree();
  fork.set('targets', repo.tree.get('targets')!);
  const c1 = fork.commit();
  fork.set('a', { version: 1 });
  fork.set('b', { version: 1 });
  const c2 = fork.commit();
  repo.files.set(`merkle/${c1.root}/delta.json`, Buffer.from(JSON.stringify({ previous_root: '0'.repeat(64), previous_size: 0, leaves: [{ name: 'targets', ...repo.tree.get('targets')! }] })));
  repo.proofsFrom = fork;
  repo.signHead({ root: c2.root, size: c2.size }, { previous_root: c1.root, previous_size: c1.size, leaves: [{ name: 'a', version: 1 }, { name: 'b', version: 1 }] });
  await refused(auditOnce(options), 'TUF_AUDIT_FORK');
});

test('tufpm-auditor keygen and run --once --json: exit 0 and the cosignature, exit 1 on a refusal', async (t) => {
  const { repo, dir } = await setup(t);
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) };
  assert.equal(await runAuditorCli(['keygen', '--out', join(dir, 'keys'), '--json'], io), 0);
  const { privateKey, keyid } = JSON.parse(out.pop()!) as { privateKey: string; keyid: string };
  const rootFile = join(dir, 'root.json');
  (await import('node:fs')).writeFileSync(rootFile, repo.rootBytes);
  const args = ['run', '--metadata-url', repo.metadataUrl, '--key', privateKey, '--state', join(dir, 's'), '--out', join(dir, 'o'), '--trusted-root', rootFile, '--once', '--json'];
  assert.equal(await runAuditorCli(args, io), 0, err.join(''));
  const result = JSON.parse(out.pop()!) as { ok: boolean; root: string; cosignature: string };
  assert.equal(result.ok, true);
  assert.equal(result.cosignature, join(dir, 'o', cosignatureFileName(result.root, keyid)));
  repo.publish({ x: { version: 5 } });
  repo.publish({ x: { version: 4 } });
  assert.equal(await runAuditorCli(args, io), 1);
  assert.match(err.join(''), /REFUSED TUF_MERKLE_DELTA/);
  assert.equal(await runAuditorCli(['run'], io), 2);
});
