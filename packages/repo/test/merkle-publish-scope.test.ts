// Issue 21: in the Merkle snapshot profile a publish touches only the roles it changes (the tree already holds
// every other role's version), so its cost grows with log M, not with M. These tests count what a publish
// reads, walks and writes; they are behavioural, not timed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, TargetFile, TufError } from '@tufpm/models';
import { initRepository, openRepository, type NpmRepository } from '../src/index.js';
import { makeTarball, tempDir } from './helpers.js';

async function merkleRepo(): Promise<{ dir: string; keysDir: string; repo: NpmRepository; cleanup: () => Promise<void> }> {
  const t = await tempDir();
  const dir = join(t.path, 'metadata');
  const keysDir = join(t.path, 'keys');
  // 64 bins + unclaimed + targets: 66 roles, of which one publish changes one bin
  const repo = await initRepository({ dir, keysDir, bitLength: 6, snapshotProfile: 'merkle' });
  return { dir, keysDir, repo, cleanup: t.cleanup };
}

/** Role files (N.<role>.json) in the metadata directory. */
async function roleFiles(dir: string): Promise<Set<string>> {
  return new Set((await readdir(dir)).filter((f) => /^[0-9]+\..+\.json$/.test(f) && !f.endsWith('.root.json')));
}

test('a Merkle-profile publish reads, walks and writes only the roles it changes, never the other listed roles', async () => {
  const { dir, keysDir, repo, cleanup } = await merkleRepo();
  try {
    await repo.publishTarball(await makeTarball({ name: 'left-pad', version: '1.0.0' }));
    // Another process opens the repository: every role is listed, none is read yet.
    const again = await openRepository({ dir, keysDir });
    const listed = again.repo.delegated.size;
    assert.equal(listed, 65);
    assert.equal(again.repo.delegated.loadedCount, 0);
    // The in-memory snapshot holds no entry per role: the tree holds the versions.
    assert.equal(again.repo.snapshot.signed.meta.size, 0);
    let walks = 0;
    const d = again.repo.delegated;
    const keys = d.keys.bind(d);
    d.keys = () => {
      walks++;
      return keys();
    };
    const before = await roleFiles(dir);
    const res = await again.publishTarball(await makeTarball({ name: 'right-pad', version: '2.0.0' }));
    assert.equal(walks, 0, 'the publish walked every listed role name (O(M))');
    // written: the bin the tarball went into and the one holding the package's release list (ADR 0013)
    const written = [...await roleFiles(dir)].filter((f) => !before.has(f));
    const writtenRoles = new Set(written.map((f) => f.replace(/^[0-9]+\.(.+)\.json$/, '$1')));
    assert.ok(writtenRoles.has(res.role) && writtenRoles.size <= 2, `wrote ${written.join(', ')}`);
    for (const r of writtenRoles) assert.ok(written.includes(`${again.repo.role(r).signed.version}.${r}.json`));
    // read: those roles and their delegator (unclaimed), none of the other listed roles
    assert.deepEqual(new Set(d.loadedNames()), new Set(['unclaimed', ...writtenRoles]));
    assert.equal(again.repo.snapshot.signed.meta.size, 0);
    assert.ok(again.repo.persisted.get('snapshot')!.length < 1024, 'the in-memory snapshot grew with the roles');
  } finally {
    await cleanup();
  }
});

test('rejects a publish that would put a role below the version the tree holds (rollback), writing nothing', async () => {
  const { dir, repo, cleanup } = await merkleRepo();
  try {
    const res = await repo.publishTarball(await makeTarball({ name: 'left-pad', version: '1.0.0' }));
    const ts = await readFile(join(dir, 'timestamp.json'));
    await assert.rejects(repo.transaction(async (r) => {
      r.addTarget(res.role, new TargetFile('left-pad/-/left-pad-1.0.1.tgz', 10, { sha512: 'ab'.repeat(64) }));
      r.targetsRole(res.role).signed.version = 1; // below the committed leaf (2)
      await repo.signRole(res.role);
      await repo.resignSnapshotAndTimestamp();
    }), (err: unknown) => err instanceof TufError && /version.*rollback/.test(err.message));
    assert.deepEqual(await readFile(join(dir, 'timestamp.json')), ts);
  } finally {
    await cleanup();
  }
});

test('rejects persisting a role edited after its leaf was staged (the tree would name other bytes than the file)', async () => {
  const { dir, repo, cleanup } = await merkleRepo();
  try {
    const res = await repo.publishTarball(await makeTarball({ name: 'left-pad', version: '1.0.0' }));
    const ts = await readFile(join(dir, 'timestamp.json'));
    await assert.rejects(repo.transaction(async (r) => {
      r.addTarget(res.role, new TargetFile('left-pad/-/left-pad-1.0.1.tgz', 10, { sha512: 'ab'.repeat(64) }));
      await repo.signRole(res.role);
      await repo.resignSnapshotAndTimestamp();
      r.addTarget(res.role, new TargetFile('left-pad/-/left-pad-1.0.2.tgz', 11, { sha512: 'cd'.repeat(64) }));
      await repo.signRole(res.role);
    }), (err: unknown) => err instanceof TufError && /does not hold/.test(err.message));
    assert.deepEqual(await readFile(join(dir, 'timestamp.json')), ts);
    // the repository recovers: the next publish goes through from the signed tree
    await repo.publishTarball(await makeTarball({ name: 'left-pad', version: '1.0.3' }));
    assert.notDeepEqual(await readFile(join(dir, 'timestamp.json')), ts);
    assert.equal(Metadata.timestamp(await readFile(join(dir, 'timestamp.json'))).signed.snapshotMeta.version, 3);
  } finally {
    await cleanup();
  }
});
