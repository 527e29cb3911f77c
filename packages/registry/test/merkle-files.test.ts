import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MerkleStore, proofFileName, storeDirOf, verifyProof } from '@tufpm/merkle';
import { resolveMerkleFile } from '../src/merkle-files.js';

// The registry serves proofs from the tree store its publisher writes (ADR 0021). A publish must cost it
// O(log M) reads: the store stays in memory and catches up with the new epoch (MerkleStore.refresh); it is
// reopened whole only on first use or when its history was rewritten.

test('a publish costs the registry a refresh of the appended epoch, not a reopen of the whole store', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-registry-merkle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const open = MerkleStore.open;
  const refresh = MerkleStore.prototype.refresh;
  const calls = { open: 0, refreshed: [] as number[] };
  MerkleStore.open = async (...args: Parameters<typeof open>) => {
    calls.open++;
    return open.apply(MerkleStore, args);
  };
  MerkleStore.prototype.refresh = async function (this: MerkleStore) {
    const r = await refresh.call(this);
    calls.refreshed.push(r?.bytesRead ?? -1);
    return r;
  };
  t.after(() => {
    MerkleStore.open = open;
    MerkleStore.prototype.refresh = refresh;
  });
  const writer = await open.call(MerkleStore, storeDirOf(dir));
  for (let i = 0; i < 3000; i++) writer.tree.set(`p${i}`, { version: 1, length: 10, hashes: { sha256: 'a'.repeat(64) } });
  const first = (await writer.commit())!;
  const proofOf = async (root: string, role: string) => verifyProof((await resolveMerkleFile(dir, root, [proofFileName(role)]))!, role, Buffer.from(root, 'hex'));
  assert.equal((await proofOf(first.root, 'p7')).present, true);
  assert.equal(calls.open, 1, 'first use opens the store');
  for (let p = 1; p <= 3; p++) {
    writer.tree.set('p7', { version: 1 + p, length: 10, hashes: { sha256: 'b'.repeat(64) } });
    const c = (await writer.commit())!;
    const proven = await proofOf(c.root, 'p7');
    assert.ok(proven.present && proven.value.version === 1 + p);
    // the old root stays provable (clients mid-install pinned it)
    assert.ok((await proofOf(first.root, 'p7')).present);
  }
  assert.equal(calls.open, 1, 'no reopen after a publish');
  assert.equal(calls.refreshed.length, 3);
  for (const bytes of calls.refreshed) assert.ok(bytes > 0 && bytes < 1500, `a publish read ${bytes} bytes of the store`);
});
