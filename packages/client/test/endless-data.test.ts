// Endless data: every file type has a length bound, enforced while streaming.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { newEnv, padded, rejectsWith } from './helpers/env.js';
import { RepoSim } from './helpers/simulator.js';

test('endless data: root longer than rootMaxLength', async (t) => {
  const env = await newEnv(t);
  env.sim.publish('root');
  env.sim.overrides.set('metadata/2.root.json', padded(env.sim.rootBytes(2), 10_000));
  await rejectsWith(env.updater({ config: { rootMaxLength: 8_000 } }).refresh(), 'TUF_LENGTH');
});

test('endless data: timestamp longer than timestampMaxLength', async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('metadata/timestamp.json', padded(env.sim.latest.get('timestamp')!, 20_000));
  await rejectsWith(env.updater().refresh(), 'TUF_LENGTH');
});

test('endless data: snapshot longer than the length signed in timestamp', async (t) => {
  const sim = new RepoSim();
  sim.computeHashes = true;
  const env = await newEnv(t, sim);
  sim.updateSnapshot();
  sim.overrides.set('metadata/2.snapshot.json', padded(sim.latest.get('snapshot')!, 1));
  await rejectsWith(env.updater().refresh(), 'TUF_LENGTH');
});

test('endless data: snapshot longer than snapshotMaxLength when timestamp gives no length', async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('metadata/1.snapshot.json', padded(env.sim.latest.get('snapshot')!, 5_000));
  await rejectsWith(env.updater({ config: { snapshotMaxLength: 4_000 } }).refresh(), 'TUF_METADATA_TOO_LARGE');
});

test('endless data: targets longer than targetsMaxLength', async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('metadata/1.targets.json', padded(env.sim.latest.get('targets')!, 5_000));
  await rejectsWith(env.updater({ config: { targetsMaxLength: 4_000 } }).refresh(), 'TUF_METADATA_TOO_LARGE');
});

test('endless data: delegated role longer than the length signed in snapshot', async (t) => {
  const sim = new RepoSim();
  sim.computeHashes = true;
  const env = await newEnv(t, sim);
  sim.publishPkgRole();
  sim.overrides.set('metadata/2.pkg.json', padded(sim.latest.get('pkg')!, 1));
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_LENGTH');
});

test('endless data: target file longer than its signed length is not written', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.addTarget('targets', 'file.txt', 'short');
  sim.publish('targets');
  sim.updateSnapshot();
  const updater = env.updater();
  const info = (await updater.getTargetInfo('file.txt'))!;
  sim.overrides.set(`targets/${info.hashes.sha256}.file.txt`, new TextEncoder().encode('short, then much more data'));
  await rejectsWith(updater.downloadTarget(info), 'TUF_LENGTH');
  await rejectsWith(updater.fetchTarget(info), 'TUF_LENGTH');
  assert.deepEqual(existsSync(env.targetDir) ? readdirSync(env.targetDir) : [], []);
});

test('endless data: a stream that never ends is cut at the limit', async (t) => {
  const env = await newEnv(t);
  let written = 0;
  env.sim.overrides.set('metadata/timestamp.json', (_req, res) => {
    res.writeHead(200);
    const chunk = Buffer.alloc(4096, 0x20);
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk)) written += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  await rejectsWith(env.updater().refresh(), 'TUF_LENGTH');
  assert.ok(written < 50_000_000);
});

test('arbitrary target: a target whose hash differs from the signed one is rejected and not written', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.addTarget('targets', 'dir/file.txt', 'genuine');
  sim.publish('targets');
  sim.updateSnapshot();
  const updater = env.updater();
  const info = (await updater.getTargetInfo('dir/file.txt'))!;
  sim.artifacts.get('dir/file.txt')!.data = new TextEncoder().encode('malware'); // same length
  await rejectsWith(updater.downloadTarget(info), 'TUF_HASH');
  await rejectsWith(updater.fetchTarget(info), 'TUF_HASH');
  assert.deepEqual(existsSync(env.targetDir) ? readdirSync(env.targetDir) : [], []);
});

test('a verified target is written and a matching copy is not downloaded again', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.addTarget('targets', 'dir/file.txt', 'genuine');
  sim.publish('targets');
  sim.updateSnapshot();
  const updater = env.updater();
  const info = (await updater.getTargetInfo('dir/file.txt'))!;
  assert.equal(await updater.findCachedTarget(info), undefined);
  const path = await updater.downloadTarget(info);
  assert.equal(path, join(env.targetDir, encodeURIComponent('dir/file.txt')));
  assert.equal(await updater.findCachedTarget(info), path);
  assert.deepEqual(sim.requests.filter((r) => r.startsWith('targets/')), [`targets/dir/${info.hashes.sha256}.file.txt`]);
  assert.equal(new TextDecoder().decode(await updater.fetchTarget(info)), 'genuine');
});

test('endless data: a signed snapshot length above snapshotMaxLength does not raise the bound', async (t) => {
  const sim = new RepoSim();
  const env = await newEnv(t, sim);
  const snapshot = sim.latest.get('snapshot')!;
  // the online timestamp key vouches for a 6000-byte snapshot (valid JSON padded with spaces)
  const big = padded(snapshot, 6_000 - snapshot.length);
  sim.timestamp.meta = { 'snapshot.json': { version: 1, length: big.length } };
  sim.publish('timestamp');
  sim.overrides.set('metadata/1.snapshot.json', big);
  await env.updater({ config: { snapshotMaxLength: 6_000 } }).refresh(); // accepted within the bound
  await rejectsWith(env.updater({ config: { snapshotMaxLength: 4_000 } }).refresh(), 'TUF_METADATA_TOO_LARGE');
});
