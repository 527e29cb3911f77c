// Rollback, freeze, mix-and-match and fast-forward attacks against the top-level and delegated roles.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DAY, daysAhead, newEnv, rejectsWith } from './helpers/env.js';
import { RepoSim, isoIn, signEnvelope } from './helpers/simulator.js';

function versionOf(path: string): number {
  return JSON.parse(readFileSync(path, 'utf8')).signed.version;
}

test('rejects timestamp rollback', async (t) => {
  const env = await newEnv(t);
  env.sim.updateTimestamp(); // timestamp v2
  await env.updater().refresh();
  assert.equal(versionOf(join(env.metadataDir, 'timestamp.json')), 2);
  env.sim.overrides.set('metadata/timestamp.json', env.sim.published.get('timestamp')!.get(1)!);
  await rejectsWith(env.updater().refresh(), 'TUF_ROLLBACK');
  assert.equal(versionOf(join(env.metadataDir, 'timestamp.json')), 2);
});

test('rejects timestamp rollback even when the cached timestamp has expired', async (t) => {
  const env = await newEnv(t);
  const oldTimestamp = env.sim.published.get('timestamp')!.get(1)!; // expires in 30 days
  env.sim.timestamp.expires = isoIn(DAY);
  env.sim.updateTimestamp(); // v2, expires tomorrow
  await env.updater().refresh();
  env.sim.overrides.set('metadata/timestamp.json', oldTimestamp);
  // two days later the cached v2 is expired, but it still proves that v1 is a rollback
  await rejectsWith(env.updater({ clock: daysAhead(2) }).refresh(), 'TUF_ROLLBACK');
});

test('rejects snapshot rollback announced by a new timestamp', async (t) => {
  const env = await newEnv(t);
  env.sim.updateSnapshot(); // snapshot v2, timestamp v2
  await env.updater().refresh();
  env.sim.timestamp.meta = { 'snapshot.json': { version: 1 } };
  env.sim.publish('timestamp'); // v3 points back to snapshot v1
  await rejectsWith(env.updater().refresh(), 'TUF_ROLLBACK');
});

test('rejects targets rollback listed by a new snapshot', async (t) => {
  const env = await newEnv(t);
  env.sim.publish('targets'); // v2
  env.sim.updateSnapshot();
  await env.updater().refresh();
  env.sim.snapshot.meta['targets.json'] = { version: 1 };
  env.sim.publish('snapshot');
  env.sim.updateTimestamp();
  await rejectsWith(env.updater().refresh(), 'TUF_ROLLBACK');
});

test('rejects delegated role rollback listed by a new snapshot', async (t) => {
  const env = await newEnv(t);
  env.sim.publishPkgRole(); // pkg v2
  const info = await env.updater().getTargetInfo('pkg/a.tgz');
  assert.equal(info?.roleVersion, 2);
  env.sim.snapshot.meta['pkg.json'] = { version: 1 };
  env.sim.publish('snapshot');
  env.sim.updateTimestamp();
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_ROLLBACK');
});

test('rejects a delegated role older than the snapshot lists (mix-and-match)', async (t) => {
  const env = await newEnv(t);
  env.sim.addDelegation('targets', { name: 'pkg', paths: ['pkg/*'] });
  env.sim.addTarget('pkg', 'pkg/a.tgz', 'a');
  env.sim.publish('targets');
  env.sim.updateSnapshot();
  const v1 = env.sim.latest.get('pkg')!;
  env.sim.publish('pkg'); // v2
  env.sim.updateSnapshot();
  env.sim.overrides.set('metadata/2.pkg.json', v1);
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_VERSION_MISMATCH');
});

test('rejects a snapshot whose hash differs from the one in timestamp (mix-and-match)', async (t) => {
  const sim = new RepoSim();
  sim.computeHashes = true;
  const env = await newEnv(t, sim);
  sim.updateSnapshot(); // snapshot v2 with hashes in timestamp
  // another, validly signed snapshot v2 (as a compromised snapshot key could make)
  const other = structuredClone(sim.snapshot);
  other.meta['targets.json'].version = 9; // same length, different bytes
  sim.overrides.set('metadata/2.snapshot.json', signEnvelope(other, sim.signers.get('snapshot')!));
  await rejectsWith(env.updater().refresh(), 'TUF_HASH');
});

test('rejects a delegated role whose hash differs from the one in snapshot (mix-and-match)', async (t) => {
  const sim = new RepoSim();
  sim.computeHashes = true;
  const env = await newEnv(t, sim);
  sim.publishPkgRole();
  const other = structuredClone(sim.role('pkg'));
  other.targets['pkg/a.tgz'].length = 9; // same length, different bytes, validly signed
  sim.overrides.set('metadata/2.pkg.json', signEnvelope(other, sim.signers.get('pkg')!));
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_HASH');
});

test('rejects top-level targets of another version than the snapshot lists', async (t) => {
  const env = await newEnv(t);
  const v1 = env.sim.latest.get('targets')!;
  env.sim.publish('targets');
  env.sim.updateSnapshot();
  env.sim.overrides.set('metadata/2.targets.json', v1);
  await rejectsWith(env.updater().refresh(), 'TUF_VERSION_MISMATCH');
});

test('freeze: rejects an expired timestamp', async (t) => {
  const env = await newEnv(t);
  env.sim.timestamp.expires = isoIn(-DAY);
  env.sim.updateTimestamp();
  await rejectsWith(env.updater().refresh(), 'TUF_EXPIRED');
});

test('freeze: rejects an expired snapshot', async (t) => {
  const env = await newEnv(t);
  env.sim.snapshot.expires = isoIn(-DAY);
  env.sim.updateSnapshot();
  await rejectsWith(env.updater().refresh(), 'TUF_EXPIRED');
});

test('freeze: rejects an expired top-level targets', async (t) => {
  const env = await newEnv(t);
  env.sim.targets.expires = isoIn(-DAY);
  env.sim.publish('targets');
  env.sim.updateSnapshot();
  await rejectsWith(env.updater().refresh(), 'TUF_EXPIRED');
});

test('freeze: rejects an expired delegated role', async (t) => {
  const env = await newEnv(t);
  env.sim.addDelegation('targets', { name: 'pkg', paths: ['pkg/*'] });
  env.sim.addTarget('pkg', 'pkg/a.tgz', 'a');
  env.sim.role('pkg').expires = isoIn(-DAY);
  env.sim.publish('pkg');
  env.sim.publish('targets');
  env.sim.updateSnapshot();
  await env.updater().refresh();
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_EXPIRED');
});

test('freeze: rejects an expired root when no newer root exists', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  // Only the root expires (at +30 days): timestamp, snapshot and targets are re-signed valid for a year, so
  // no other expiry check can answer for the root's (it used to, with every role expiring at once).
  for (const role of ['targets', 'snapshot', 'timestamp']) sim.role(role).expires = isoIn(365 * DAY);
  sim.publish('targets');
  sim.updateSnapshot();
  // the suite moves the clock with libfaketime; we inject it.
  await assert.rejects(env.updater({ clock: daysAhead(31) }).refresh(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'TUF_EXPIRED');
    assert.match(err.message, /^root v1 expired/, 'the root expiry answered');
    return true;
  });
  await env.updater().refresh();
});

test('fast-forward recovery: a rotated timestamp key resets the timestamp version', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  // an attacker holding the timestamp key fast-forwards the version
  sim.timestamp.version = 1000;
  sim.publish('timestamp', false);
  await env.updater().refresh();
  // the repository rotates the timestamp key and starts again at a low version
  sim.rotateKeys('timestamp');
  sim.publish('root');
  sim.timestamp.version = 1;
  sim.updateTimestamp(); // v2, new key
  await env.updater().refresh();
  assert.equal(versionOf(join(env.metadataDir, 'timestamp.json')), 2);
});

test('fast-forward recovery: without a key rotation the fast-forwarded version still blocks rollback', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.timestamp.version = 1000;
  sim.publish('timestamp', false);
  await env.updater().refresh();
  sim.timestamp.version = 1;
  sim.updateTimestamp();
  await rejectsWith(env.updater().refresh(), 'TUF_ROLLBACK');
});

test('fast-forward recovery: a rotated snapshot key resets the snapshot version', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  // an attacker holding the snapshot key fast-forwards the snapshot (the online timestamp points to it)
  sim.snapshot.version = 1000;
  sim.publish('snapshot', false);
  sim.updateTimestamp();
  await env.updater().refresh();
  assert.equal(versionOf(join(env.metadataDir, 'snapshot.json')), 1000);
  sim.rotateKeys('snapshot');
  sim.publish('root');
  sim.snapshot.version = 1;
  sim.updateSnapshot(); // snapshot v2 with the new key, timestamp v3
  await env.updater().refresh();
  assert.equal(versionOf(join(env.metadataDir, 'snapshot.json')), 2);
});

test('a timestamp of the same version is not persisted over the trusted one', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  await env.updater().refresh();
  const before = readFileSync(join(env.metadataDir, 'timestamp.json'));
  sim.timestamp.meta = { 'snapshot.json': { version: 1 }, };
  sim.timestamp.expires = isoIn(20 * DAY); // different bytes, same version 1
  sim.publish('timestamp', false);
  await env.updater().refresh();
  assert.deepEqual(readFileSync(join(env.metadataDir, 'timestamp.json')), before);
});

test('TUF 5.3.11: a timestamp key rotation deletes the cached timestamp and snapshot', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  await env.updater().refresh();
  assert.ok(existsSync(join(env.metadataDir, 'timestamp.json')));
  sim.rotateKeys('timestamp');
  sim.publish('root');
  sim.overrides.set('metadata/timestamp.json', (_req, res) => res.writeHead(404).end());
  await rejectsWith(env.updater().refresh(), 'TUF_DOWNLOAD');
  assert.equal(versionOf(join(env.metadataDir, 'root.json')), 2);
  assert.equal(existsSync(join(env.metadataDir, 'timestamp.json')), false);
  assert.equal(existsSync(join(env.metadataDir, 'snapshot.json')), false);
});

test('TUF 5.3.11: the purge happens even when a later root in the chain fails', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  await env.updater().refresh();
  assert.ok(existsSync(join(env.metadataDir, 'timestamp.json')));
  sim.rotateKeys('timestamp');
  sim.publish('root'); // v2 rotates the timestamp key
  sim.publish('root', true, sim.rotateKeys('snapshot')); // v3 signed by keys the root does not trust
  await rejectsWith(env.updater().refresh(), 'TUF_THRESHOLD');
  assert.equal(versionOf(join(env.metadataDir, 'root.json')), 2, 'root v2 was accepted and persisted');
  assert.equal(existsSync(join(env.metadataDir, 'timestamp.json')), false, 'the timestamp signed by the rotated-away key is gone');
  assert.equal(existsSync(join(env.metadataDir, 'snapshot.json')), false);
});
