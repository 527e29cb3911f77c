// Arbitrary software installation through metadata signed by keys the trusted root does not name.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { newEnv, rejectsWith } from './helpers/env.js';
import { newKey } from './helpers/simulator.js';

for (const role of ['timestamp', 'snapshot', 'targets']) {
  test(`rejects ${role} signed by a key the root does not list`, async (t) => {
    const env = await newEnv(t);
    const { sim } = env;
    await env.updater().refresh();
    const before = readFileSync(join(env.metadataDir, `${role}.json`));
    sim.signers.set(role, [newKey()]);
    if (role === 'targets') sim.publish('targets');
    if (role === 'timestamp') sim.updateTimestamp();
    else sim.updateSnapshot();
    await rejectsWith(env.updater().refresh(), 'TUF_THRESHOLD');
    // nothing unverified reaches the metadata dir
    assert.deepEqual(readFileSync(join(env.metadataDir, `${role}.json`)), before);
  });
}

test('rejects a snapshot of another version than the timestamp names (mix-and-match)', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  const v1 = sim.latest.get('snapshot')!;
  sim.updateSnapshot(); // snapshot v2
  sim.overrides.set('metadata/2.snapshot.json', v1);
  await rejectsWith(env.updater().refresh(), 'TUF_VERSION_MISMATCH');
});

test('rejects metadata of the wrong type served under a role name', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.overrides.set('metadata/timestamp.json', sim.latest.get('snapshot')!);
  await rejectsWith(env.updater().refresh(), 'TUF_PARSE');
});

test('ecdsa-sha2-nistp256 keys (as in sigstore\'s root) work for top-level and delegated roles', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  const oldRoot = sim.signers.get('root')!;
  const ecRoot = newKey('ecdsa');
  sim.root.keys[ecRoot.keyid] = ecRoot.json;
  sim.root.roles.root = { keyids: [ecRoot.keyid], threshold: 1 };
  sim.signers.set('root', [ecRoot]);
  const ecTimestamp = newKey('ecdsa');
  sim.root.keys[ecTimestamp.keyid] = ecTimestamp.json;
  sim.root.roles.timestamp = { keyids: [ecTimestamp.keyid], threshold: 1 };
  sim.signers.set('timestamp', [ecTimestamp]);
  sim.publish('root', true, [...oldRoot, ecRoot]);
  sim.addDelegation('targets', { name: 'pkg', paths: ['pkg/*'], keys: [newKey('ecdsa')] });
  sim.addTarget('pkg', 'pkg/a.tgz', 'a');
  sim.publish('pkg');
  sim.publish('targets');
  sim.updateSnapshot();
  assert.deepEqual((await env.updater().getTargetInfo('pkg/a.tgz'))?.rolePath, ['targets', 'pkg']);
});
