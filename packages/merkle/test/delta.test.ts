import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SparseMerkleTree, MerkleDeltaError, applyDelta, deltaOf, encodeDelta, parseDelta, type MerkleDelta } from '../src/index.js';
import { live } from './helpers.js';

function repoAndAuditor(): { repo: SparseMerkleTree; auditor: SparseMerkleTree } {
  const repo = new SparseMerkleTree();
  const auditor = new SparseMerkleTree();
  for (let i = 0; i < 50; i++) repo.set(`p${i}`, live(2));
  const d = deltaOf(repo, repo.commit());
  applyDelta(auditor, parseDelta(encodeDelta(d)), repo.committedHead());
  return { repo, auditor };
}
const rejected = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof MerkleDeltaError && err.code === 'TUF_MERKLE_DELTA' && message.test(err.message));

test('an auditor replaying deltas recomputes the repository root: additions, raises and tombstones', () => {
  const { repo, auditor } = repoAndAuditor();
  repo.set('p1', live(3));
  repo.set('p2', { version: 2, tombstone: true });
  repo.set('new', live(1));
  const c = repo.commit();
  const head = applyDelta(auditor, parseDelta(encodeDelta(deltaOf(repo, c))), { root: c.root, size: c.size });
  assert.deepEqual(head, { root: c.root, size: 51 });
  assert.deepEqual(auditor.get('p2'), { version: 2, tombstone: true });
});

test('rejects a delta that rolls one role back', () => {
  const { auditor } = repoAndAuditor();
  const head = auditor.committedHead();
  const d: MerkleDelta = { previous_root: head.root, previous_size: head.size, leaves: [{ name: 'p3', ...live(1) }] };
  rejected(() => applyDelta(auditor, d), /versions only go up/);
  assert.deepEqual(auditor.committedHead(), head);
});

test('rejects a delta that rewrites a leaf at the same version, or revives a tombstone without a raise', () => {
  const { repo, auditor } = repoAndAuditor();
  const head = auditor.committedHead();
  rejected(() => applyDelta(auditor, { previous_root: head.root, previous_size: head.size, leaves: [{ name: 'p3', ...live(2, 'other-bytes') }] }), /rollback/);
  repo.set('p4', { version: 2, tombstone: true });
  const c = repo.commit();
  applyDelta(auditor, deltaOf(repo, c), c);
  rejected(() => applyDelta(auditor, { previous_root: c.root, previous_size: c.size, leaves: [{ name: 'p4', ...live(2) }] }), /revives/);
});

test('rejects a delta whose recomputed root differs from the signed one (split view) and keeps the old head', () => {
  const { repo, auditor } = repoAndAuditor();
  const before = auditor.committedHead();
  repo.set('p1', live(3));
  repo.set('hidden', live(1));
  const c = repo.commit();
  const d = deltaOf(repo, c);
  d.leaves = d.leaves.filter((l) => l.name !== 'hidden'); // the delta hides a leaf the signed root contains
  rejected(() => applyDelta(auditor, d, { root: c.root, size: c.size }), /split view/);
  assert.deepEqual(auditor.committedHead(), before);
  assert.deepEqual(auditor.get('p1'), live(2));
});

test('rejects a delta from another previous root, duplicate leaves, or malformed files', () => {
  const { auditor } = repoAndAuditor();
  const head = auditor.committedHead();
  rejected(() => applyDelta(auditor, { previous_root: 'ab'.repeat(32), previous_size: head.size, leaves: [] }), /not at the verified head/);
  rejected(() => applyDelta(auditor, { previous_root: head.root, previous_size: head.size, leaves: [{ name: 'x', ...live(1) }, { name: 'x', ...live(2) }] }), /twice/);
  rejected(() => parseDelta(Buffer.from('{"previous_root":"00","previous_size":0,"leaves":[]}')), /previous_root/);
  rejected(() => parseDelta(Buffer.from('{"previous_root":"' + '0'.repeat(64) + '","previous_size":0,"leaves":[],"x":1}')), /exactly/);
  rejected(() => parseDelta(Buffer.alloc(100, 0x20), 10), /exceeds/);
});
