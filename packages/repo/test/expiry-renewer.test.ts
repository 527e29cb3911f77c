import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initRepository, openRepository, startExpiryRenewer } from '../src/index.js';

async function repoDir(t: { after(fn: () => Promise<void>): void }): Promise<{ dir: string; keysDir: string }> {
  const base = await mkdtemp(join(tmpdir(), 'tufpm-renew-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  return { dir: join(base, 'metadata'), keysDir: join(base, 'keys') };
}

test('tufpm-repo timestamp and every re-signed snapshot get a fresh expiry (a cron job or a publish keeps installs working)', async (t) => {
  const { dir, keysDir } = await repoDir(t);
  const start = new Date('2030-01-01T00:00:00Z');
  await initRepository({ dir, keysDir, bitLength: 1, now: start, expiries: { timestamp: 3600, snapshot: 7200 } });
  const later = new Date(start.getTime() + 1800_000);
  const repo = await openRepository({ dir, keysDir, now: later });
  await repo.timestamp();
  assert.equal(repo.repo.timestamp.signed.expires.toISOString(), new Date(later.getTime() + 3600_000).toISOString());
  await repo.snapshot();
  assert.equal(repo.repo.snapshot.signed.expires.toISOString(), new Date(later.getTime() + 7200_000).toISOString());
});

test('the expiry renewer re-signs the timestamp once less than half its lifetime is left, and nothing before', async (t) => {
  const { dir, keysDir } = await repoDir(t);
  await initRepository({ dir, keysDir, bitLength: 1, expiries: { timestamp: 100, snapshot: 1000 } });
  let clock = Date.now();
  const renewed: string[] = [];
  const renewer = await startExpiryRenewer({ dir, keysDir, now: () => new Date(clock), intervalMs: 3_600_000, onRenew: (r) => renewed.push(r.role) });
  t.after(() => renewer.stop());
  assert.equal(await renewer.check(), undefined, 'fresh metadata is left alone');
  clock += 60_000; // 40 s of the timestamp's 100 s left
  assert.equal(await renewer.check(), 'timestamp');
  clock += 500_000; // the snapshot is past half its lifetime too
  assert.equal(await renewer.check(), 'snapshot');
  assert.deepEqual(renewed, ['timestamp', 'snapshot']);
  const reopened = await openRepository({ dir, keysDir });
  assert.ok(reopened.repo.timestamp.signed.version >= 3);
});
