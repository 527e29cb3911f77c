// Metadata size: the bound on the snapshot (and on targets roles) with its coded error, and an unchanged
// cached snapshot adopted by installers without re-decoding it (docs/benchmarks.md, "Metadata size").
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MetadataTooLargeError } from '../src/index.js';
import { newEnv, padded, rejectsWith, type Env } from './helpers/env.js';
import { RepoSim, newKey } from './helpers/simulator.js';

test('rejects a snapshot larger than the bound: a signed length above it is refused before the request, nothing cached', async (t) => {
  const env = await newEnv(t);
  const snapshot = env.sim.latest.get('snapshot')!;
  const big = padded(snapshot, 20_000);
  // the online timestamp key alone vouches for a snapshot above the installer's bound
  env.sim.timestamp.meta = { 'snapshot.json': { version: 1, length: big.length } };
  env.sim.publish('timestamp');
  env.sim.overrides.set('metadata/1.snapshot.json', big);
  await assert.rejects(env.updater({ config: { snapshotMaxLength: 10_000 } }).refresh(), (err: unknown) => {
    assert.ok(err instanceof MetadataTooLargeError);
    assert.equal(err.code, 'TUF_METADATA_TOO_LARGE');
    assert.equal(err.role, 'snapshot');
    assert.equal(err.bound, 10_000);
    assert.match(err.message, /snapshot metadata is signed with a length of \d+ bytes, above the bound of 10000 bytes \(config\.snapshotMaxLength\); .*raise config\.snapshotMaxLength/);
    return true;
  });
  assert.equal(env.sim.count('metadata/1.snapshot.json'), 0, 'not even requested');
  assert.equal(existsSync(join(env.metadataDir, 'snapshot.json')), false, 'nothing cached');
});

test('rejects a snapshot larger than the bound: without a signed length the stream is cut at the bound, nothing cached', async (t) => {
  const env = await newEnv(t);
  env.sim.overrides.set('metadata/1.snapshot.json', padded(env.sim.latest.get('snapshot')!, 50_000));
  await rejectsWith(env.updater({ config: { snapshotMaxLength: 10_000 } }).refresh(), 'TUF_METADATA_TOO_LARGE');
  assert.equal(existsSync(join(env.metadataDir, 'snapshot.json')), false, 'nothing cached');
});

test('rejects a delegated role larger than the bound when the snapshot signs a length above it', async (t) => {
  const sim = new RepoSim();
  sim.computeHashes = true;
  const env = await newEnv(t, sim);
  sim.addDelegation('targets', { name: 'pkg', paths: ['pkg/*'] });
  for (let i = 0; i < 60; i++) sim.addTarget('pkg', `pkg/${i}.tgz`, `a${i}`);
  sim.publish('pkg');
  sim.publish('targets');
  sim.updateSnapshot();
  const updater = env.updater({ config: { targetsMaxLength: 4_000 } });
  await rejectsWith(updater.getTargetInfo('pkg/1.tgz'), 'TUF_METADATA_TOO_LARGE');
  assert.equal(sim.count('metadata/2.pkg.json'), 0, 'not requested');
});

/** A repository written as canonical JSON with hashes in timestamp and snapshot (as tufpm-repo can). */
async function canonicalWorld(t: Parameters<typeof newEnv>[0]): Promise<Env> {
  const sim = new RepoSim();
  sim.computeHashes = true;
  sim.canonicalFiles = true;
  const env = await newEnv(t, sim);
  sim.publishPkgRole();
  const first = env.updater({ delegatedRoleCache: 'pack' });
  assert.ok(await first.getTargetInfo('pkg/a.tgz'));
  await first.persist();
  return env;
}

test('an unchanged cached snapshot is adopted by installers without decoding its entries, and still answers lookups', async (t) => {
  const env = await canonicalWorld(t);
  const second = env.updater({ delegatedRoleCache: 'pack' });
  const trusted = await second.refresh();
  assert.equal(trusted.snapshot!.signed.meta.size, 0, 'adopted: entries are decoded per role by the view');
  assert.equal(trusted.snapshotView!.metaFor('pkg')!.version, env.sim.role('pkg').version);
  assert.equal(trusted.snapshotView!.metaFor('nobody'), undefined);
  assert.ok(await second.getTargetInfo('pkg/a.tgz'));
  assert.equal(env.sim.count('metadata/2.snapshot.json'), 1, 'the snapshot was downloaded once, by the first session');
  // 'files' mode (TUF clients, the conformance suite) keeps the full path
  const files = await env.updater().refresh();
  assert.equal(files.snapshot!.signed.meta.size, 2);
});

test('rejects a forged snapshot planted in the cache: bytes the timestamp does not name are verified in full and replaced', async (t) => {
  const env = await canonicalWorld(t);
  const file = join(env.metadataDir, 'snapshot.json');
  const genuine = readFileSync(file);
  const forged = Buffer.from(genuine.toString('utf8').replace('"pkg.json":{"hashes"', '"pkg.json":{"evil":1,"hashes"'));
  assert.notDeepEqual(forged, genuine);
  writeFileSync(file, forged);
  const second = env.updater({ delegatedRoleCache: 'pack' });
  const trusted = await second.refresh();
  assert.equal(trusted.snapshot!.signed.meta.size, 2, 'not adopted: the full path ran');
  assert.equal(trusted.snapshotView!.metaFor('pkg')!.unrecognized['evil'], undefined, 'the genuine snapshot, downloaded again');
  assert.equal(env.sim.count('metadata/2.snapshot.json'), 2);
  assert.deepEqual(readFileSync(file), genuine, 'the forged copy is replaced');
});

test('rejects a cached snapshot that the timestamp names but the snapshot key did not sign (timestamp key and cache write)', async (t) => {
  const env = await canonicalWorld(t);
  const { sim } = env;
  // The attacker holds the online timestamp key and can write the cache, not the snapshot key.
  sim.addTarget('pkg', 'pkg/evil.tgz', 'evil');
  sim.publish('pkg');
  const meta = sim.snapshot.meta as Record<string, unknown>;
  meta['pkg.json'] = { version: 2 };
  sim.publish('snapshot', true, [newKey()]);
  sim.updateTimestamp();
  writeFileSync(join(env.metadataDir, 'snapshot.json'), sim.latest.get('snapshot')!);
  const updater = env.updater({ delegatedRoleCache: 'pack' });
  await rejectsWith(updater.refresh(), 'TUF_THRESHOLD');
});
