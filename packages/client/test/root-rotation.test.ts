// TUF 5.3: root chain updates.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DAY, daysAhead, newEnv, rejectsWith } from './helpers/env.js';
import { RepoSim, isoIn } from './helpers/simulator.js';

function rootVersion(dir: string): number {
  return JSON.parse(readFileSync(join(dir, 'root.json'), 'utf8')).signed.version;
}

test('root rotation chain of 5 with a key change at each step', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  for (let i = 0; i < 5; i++) {
    const oldKeys = sim.signers.get('root')!;
    const newKeys = sim.rotateKeys('root');
    // each new root is signed by the previous root's keys and by its own
    sim.publish('root', true, [...oldKeys, ...newKeys]);
  }
  await env.updater().refresh();
  assert.equal(rootVersion(env.metadataDir), 6);
  // the metadata dir holds the exact bytes the repository served
  assert.deepEqual(new Uint8Array(readFileSync(join(env.metadataDir, 'root.json'))), sim.rootBytes(6));
  assert.deepEqual(sim.metadataRequests().filter((r) => r.endsWith('.root.json')), ['2.root.json', '3.root.json', '4.root.json', '5.root.json', '6.root.json', '7.root.json']);
});

test('rejects a new root not signed by the old root keys (old threshold)', async (t) => {
  const env = await newEnv(t);
  const newKeys = env.sim.rotateKeys('root');
  env.sim.publish('root', true, newKeys);
  await rejectsWith(env.updater().refresh(), 'TUF_THRESHOLD');
  assert.equal(rootVersion(env.metadataDir), 1);
});

test('rejects a new root not signed by its own keys (new threshold)', async (t) => {
  const env = await newEnv(t);
  const oldKeys = env.sim.signers.get('root')!;
  env.sim.rotateKeys('root');
  env.sim.publish('root', true, oldKeys);
  await rejectsWith(env.updater().refresh(), 'TUF_THRESHOLD');
  assert.equal(rootVersion(env.metadataDir), 1);
});

test('rejects a root that skips a version', async (t) => {
  const env = await newEnv(t);
  env.sim.root.version = 3;
  const v3 = env.sim.publish('root', false);
  env.sim.overrides.set('metadata/2.root.json', v3);
  await rejectsWith(env.updater().refresh(), 'TUF_VERSION_MISMATCH');
});

test('rejects a root update served as root 2 when it is a copy of root 1 (rollback)', async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('metadata/2.root.json', env.sim.rootBytes(1));
  await rejectsWith(env.updater().refresh(), 'TUF_VERSION_MISMATCH');
});

test('root expired but newer root available', async (t) => {
  const sim = new RepoSim();
  sim.root.expires = isoIn(5 * DAY);
  sim.publish('root', false); // root v1 expires in 5 days
  const env = await newEnv(t, sim);
  sim.root.expires = isoIn(60 * DAY);
  sim.publish('root'); // v2
  for (const role of ['timestamp', 'snapshot', 'targets']) sim.signed.get(role)!.expires = isoIn(60 * DAY);
  sim.publish('targets');
  sim.updateSnapshot();
  await env.updater({ clock: daysAhead(10) }).refresh();
  assert.equal(rootVersion(env.metadataDir), 2);
});

test('root expired and no newer root: refresh fails (freeze)', async (t) => {
  const sim = new RepoSim();
  sim.root.expires = isoIn(5 * DAY);
  sim.publish('root', false);
  const env = await newEnv(t, sim);
  await rejectsWith(env.updater({ clock: daysAhead(10) }).refresh(), 'TUF_EXPIRED');
});

test('intermediate roots may be expired, only the final one counts', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.root.expires = isoIn(-DAY);
  sim.publish('root'); // v2 already expired
  sim.root.expires = sim.safeExpiry;
  sim.publish('root'); // v3 valid
  await env.updater().refresh();
  assert.equal(rootVersion(env.metadataDir), 3);
});

test('the number of root updates per refresh is bounded', async (t) => {
  const env = await newEnv(t);
  for (let i = 0; i < 5; i++) env.sim.publish('root');
  await env.updater({ config: { maxRootRotations: 2 } }).refresh();
  assert.equal(rootVersion(env.metadataDir), 3);
  assert.equal(env.sim.metadataRequests().filter((r) => r.endsWith('.root.json')).length, 2);
  // the next refresh continues the chain
  await env.updater().refresh();
  assert.equal(rootVersion(env.metadataDir), 6);
});

test('a root that rotates the timestamp key makes the old timestamp key useless', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  const oldTimestampKeys = sim.signers.get('timestamp')!;
  sim.rotateKeys('timestamp');
  sim.publish('root');
  sim.timestamp.meta = { 'snapshot.json': { version: 1 } };
  sim.publish('timestamp', true, oldTimestampKeys); // signed by the revoked key
  await rejectsWith(env.updater().refresh(), 'TUF_THRESHOLD');
});
