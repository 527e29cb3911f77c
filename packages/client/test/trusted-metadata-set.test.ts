// TrustedMetadataSet in isolation: bytes in, verified objects out, load order enforced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrustedMetadataSet } from '../src/index.js';
import { RepoSim, newKey, signEnvelope, type SimKey } from './helpers/simulator.js';

const now = () => new Date();
const bytes = (sim: RepoSim, role: string) => sim.latest.get(role)!;

function loaded(sim: RepoSim): TrustedMetadataSet {
  const set = new TrustedMetadataSet(sim.rootBytes(1), now());
  set.updateTimestamp(bytes(sim, 'timestamp'));
  set.updateSnapshot(bytes(sim, 'snapshot'));
  set.updateTargets(bytes(sim, 'targets'));
  return set;
}

test('enforces load order root, timestamp, snapshot, targets, delegated', () => {
  const sim = new RepoSim();
  const set = new TrustedMetadataSet(sim.rootBytes(1), now());
  assert.throws(() => set.updateSnapshot(bytes(sim, 'snapshot')), { code: 'TUF_LOAD_ORDER' });
  assert.throws(() => set.updateTargets(bytes(sim, 'targets')), { code: 'TUF_LOAD_ORDER' });
  set.updateTimestamp(bytes(sim, 'timestamp'));
  assert.throws(() => set.updateTargets(bytes(sim, 'targets')), { code: 'TUF_LOAD_ORDER' });
  set.updateSnapshot(bytes(sim, 'snapshot'));
  assert.throws(() => set.updateDelegatedTargets(bytes(sim, 'targets'), 'x', ['targets']), { code: 'TUF_LOAD_ORDER' });
  set.updateTargets(bytes(sim, 'targets'));
  assert.throws(() => set.updateSnapshot(bytes(sim, 'snapshot')), { code: 'TUF_LOAD_ORDER' });
  assert.equal(set.targets?.signed.version, 1);
});

test('root may not be updated once timestamp has been loaded', () => {
  const sim = new RepoSim();
  const set = new TrustedMetadataSet(sim.rootBytes(1), now());
  set.updateTimestamp(bytes(sim, 'timestamp'));
  const v2 = sim.publish('root');
  assert.throws(() => set.updateRoot(v2), { code: 'TUF_LOAD_ORDER' });
  // before timestamp the same root update is accepted
  assert.equal(new TrustedMetadataSet(sim.rootBytes(1), now()).updateRoot(v2).signed.version, 2);
});

test('timestamp of equal version keeps the trusted one', () => {
  const sim = new RepoSim();
  const set = new TrustedMetadataSet(sim.rootBytes(1), now());
  assert.equal(set.updateTimestamp(bytes(sim, 'timestamp')).updated, true);
  assert.equal(set.updateTimestamp(bytes(sim, 'timestamp')).updated, false);
});

test('threshold with duplicated key: one timestamp key under two keyids does not meet threshold 2', () => {
  const sim = new RepoSim();
  const key = sim.signers.get('timestamp')![0]!;
  const alias: SimKey = { ...key, keyid: 'b'.repeat(64) };
  sim.root.keys[alias.keyid] = key.json;
  sim.root.roles.timestamp = { keyids: [key.keyid, alias.keyid], threshold: 2 };
  const v2 = sim.publish('root');
  const set = new TrustedMetadataSet(sim.rootBytes(1), now());
  set.updateRoot(v2);
  const ts = signEnvelope(sim.timestamp, [key, alias]);
  assert.throws(() => set.updateTimestamp(ts), { code: 'TUF_THRESHOLD' });
});

test('a trusted root must be signed by its own threshold', () => {
  const sim = new RepoSim();
  const forged = signEnvelope(sim.root, [newKey()]);
  assert.throws(() => new TrustedMetadataSet(forged, now()), { code: 'TUF_THRESHOLD' });
});

test('delegated roles are trusted per delegation path, not per name', () => {
  const sim = new RepoSim();
  sim.addDelegation('targets', { name: 'A', paths: ['*'] });
  sim.addDelegation('targets', { name: 'B', paths: ['*'] });
  const kX = newKey();
  sim.addDelegation('A', { name: 'X', keys: [kX] });
  sim.addDelegation('B', { name: 'X', keys: [newKey()] });
  sim.signers.set('X', [kX]);
  for (const r of ['X', 'A', 'B', 'targets']) sim.publish(r);
  sim.updateSnapshot();
  const set = loaded(sim);
  set.updateDelegatedTargets(bytes(sim, 'A'), 'A', ['targets']);
  set.updateDelegatedTargets(bytes(sim, 'B'), 'B', ['targets']);
  set.updateDelegatedTargets(bytes(sim, 'X'), 'X', ['targets', 'A']);
  assert.ok(set.getRole(['targets', 'A', 'X']));
  assert.equal(set.getRole(['targets', 'B', 'X']), undefined);
  assert.throws(() => set.updateDelegatedTargets(bytes(sim, 'X'), 'X', ['targets', 'B']), { code: 'TUF_THRESHOLD' });
  assert.equal(set.getRole(['targets', 'B', 'X']), undefined);
  // a delegator that was never verified cannot vouch for anything
  assert.throws(() => set.updateDelegatedTargets(bytes(sim, 'X'), 'X', ['targets', 'C']), { code: 'TUF_LOAD_ORDER' });
});

test('a role the snapshot does not list is refused', () => {
  const sim = new RepoSim();
  sim.addDelegation('targets', { name: 'A', paths: ['*'] });
  sim.publish('targets');
  sim.snapshot.meta = { 'targets.json': { version: 2 } };
  sim.publish('snapshot');
  sim.updateTimestamp();
  const set = loaded(sim);
  assert.throws(() => set.updateDelegatedTargets(bytes(sim, 'A'), 'A', ['targets']), { code: 'TUF_REPOSITORY' });
});

test('a delegated role named like a top-level role is refused', () => {
  const sim = new RepoSim();
  const set = loaded(sim);
  assert.throws(() => set.updateDelegatedTargets(bytes(sim, 'targets'), 'snapshot', ['targets']), { code: 'TUF_REPOSITORY' });
});

test('uses the reference time given at construction (injectable clock)', () => {
  const sim = new RepoSim();
  const later = new Date(Date.now() + 31 * 86_400_000);
  const set = new TrustedMetadataSet(sim.rootBytes(1), later);
  assert.throws(() => set.updateTimestamp(bytes(sim, 'timestamp')), { code: 'TUF_EXPIRED' });
});

// Mutation testing (issue 19) found adoptCachedSnapshot's checks against the timestamp untested: removing the
// length/hash check, or adopting when the timestamp lists no hashes, failed no test.
test('rejects adopting a cached snapshot whose bytes differ from the hash the timestamp lists (same version, re-signed)', () => {
  const sim = new RepoSim();
  sim.computeHashes = true;
  sim.canonicalFiles = true;
  sim.updateSnapshot();
  const genuine = bytes(sim, 'snapshot');
  const version = (sim.signed.get('snapshot') as { version: number }).version;
  // the snapshot key signs other content under the same version (a cache writer's mix-and-match)
  const other = { ...(sim.signed.get('snapshot') as Record<string, unknown>), meta: { 'targets.json': { version: 1 }, 'x.json': { version: 1 } } };
  const forged = signEnvelope(other, sim.signers.get('snapshot')!, true);
  assert.equal((JSON.parse(Buffer.from(forged).toString()) as { signed: { version: number } }).signed.version, version);
  const set = new TrustedMetadataSet(sim.rootBytes(1), now());
  set.updateTimestamp(bytes(sim, 'timestamp'));
  assert.equal(set.adoptCachedSnapshot(forged), false, 'a snapshot other than the one the timestamp hashes is not adopted');
  const again = new TrustedMetadataSet(sim.rootBytes(1), now());
  again.updateTimestamp(bytes(sim, 'timestamp'));
  assert.equal(again.adoptCachedSnapshot(genuine), true, 'the listed snapshot is adopted');
});

test('does not adopt a cached snapshot when the timestamp lists no hashes or length for it (the full path verifies it)', () => {
  const sim = new RepoSim();
  sim.canonicalFiles = true;
  sim.updateSnapshot();
  const set = new TrustedMetadataSet(sim.rootBytes(1), now());
  set.updateTimestamp(bytes(sim, 'timestamp'));
  assert.equal(set.adoptCachedSnapshot(bytes(sim, 'snapshot')), false);
});
