// The updater's refresh walk around its checks (TUF 5.2-5.4): what it keeps of the root chain, which
// failures end the root chain and which fail the refresh, and a damaged cache. Written for the surviving
// mutants of updater.js (issue 19, docs/reliability.md "Mutation testing"); each test fails with the line it
// names changed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Metadata } from '@tufpm/models';
import { newEnv, rejectsWith } from './helpers/env.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('the root chain records every root walked: version, sha256 of the file served and of its signed part (what the pins compare)', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  const oldKeys = sim.signers.get('root')!;
  sim.publish('root', true, [...oldKeys, ...sim.rotateKeys('root')]);
  const updater = env.updater();
  await updater.refresh();
  const expected = [1, 2].map((version) => {
    const bytes = sim.rootBytes(version);
    return { version, sha256: sha256(bytes), signedSha256: sha256(Metadata.fromBytes(bytes, 'root').signedBytes()) };
  });
  assert.deepEqual(updater.rootChain.map((e) => ({ ...e })), expected);
  assert.notEqual(expected[1]!.sha256, expected[1]!.signedSha256, 'the two digests differ (file and signed part)');
});

test('root N+1 answered with HTTP 500 fails the refresh: only "not found" (404/403) ends the root chain', async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('metadata/2.root.json', (_req, res) => {
    res.writeHead(500).end('down');
  });
  await rejectsWith(env.updater().refresh(), 'TUF_DOWNLOAD');
  assert.ok(!env.sim.metadataRequests().includes('timestamp.json'), 'the walk stopped at the root: no timestamp was asked for');
});

test('root N+1 longer than rootMaxLength fails the refresh (endless data), it does not end the chain as if absent', async (t) => {
  const env = await newEnv(t);
  const bound = env.sim.rootBytes(1).length + 100; // the trusted root 1 fits
  env.sim.overrides.set('metadata/2.root.json', new Uint8Array(bound + 1024).fill(0x20));
  await rejectsWith(env.updater({ config: { rootMaxLength: bound } }).refresh(), 'TUF_LENGTH');
  assert.ok(!env.sim.metadataRequests().includes('timestamp.json'), 'the walk stopped at the root');
});

test('a damaged cached timestamp is set aside and replaced by the repository\'s (a bad cache file does not wedge the client)', async (t) => {
  const env = await newEnv(t);
  await env.updater().refresh();
  const file = join(env.metadataDir, 'timestamp.json');
  writeFileSync(file, '{"signed": not json');
  env.sim.updateTimestamp(); // v2
  await env.updater().refresh();
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).signed.version, 2);
});
