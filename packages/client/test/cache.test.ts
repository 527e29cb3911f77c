// Local metadata cache: permissions, exact bytes, encoded names, atomic writes, recovery from corruption.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeRoleName } from '@tufpm/models';
import { Updater } from '../src/index.js';
import { newEnv, rejectsWith } from './helpers/env.js';

test('creates a missing metadata dir with mode 0700', async (t) => {
  const env = await newEnv(t);
  const dir = join(env.dir, 'fresh', 'metadata');
  new Updater({ metadataDir: dir, metadataBaseUrl: env.sim.metadataUrl });
  assert.equal(statSync(dir).mode & 0o777, 0o700);
});

test('the metadata dir holds the exact bytes received, role names encoded, no temp files', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  for (const name of ['@babel/core', '../escape', 'q?#']) {
    sim.addDelegation('targets', { name, paths: ['*/*/*/*', '*/*'] });
  }
  sim.addTarget('@babel/core', '@babel/core/-/core-7.24.0.tgz', 'tgz');
  sim.addTarget('q?#', 'x/y', 'y');
  for (const r of ['@babel/core', '../escape', 'q?#', 'targets']) sim.publish(r);
  sim.updateSnapshot();
  const updater = env.updater();
  assert.deepEqual((await updater.getTargetInfo('@babel/core/-/core-7.24.0.tgz'))?.rolePath, ['targets', '@babel/core']);
  assert.deepEqual((await updater.getTargetInfo('x/y'))?.rolePath, ['targets', 'q?#']);
  const files = readdirSync(env.metadataDir).sort();
  const expected = ['root', 'timestamp', 'snapshot', 'targets', '@babel/core', '../escape', 'q?#'].map((r) => `${encodeRoleName(r)}.json`).sort();
  assert.deepEqual(files, expected);
  assert.ok(files.includes('@babel%2Fcore.json')); // DESIGN.md: '@' kept, '/' encoded
  for (const role of ['timestamp', 'snapshot', 'targets', '@babel/core', 'q?#']) {
    assert.deepEqual(new Uint8Array(readFileSync(join(env.metadataDir, `${encodeRoleName(role)}.json`))), sim.latest.get(role), role);
  }
  // role names are URL-encoded in requests too
  assert.ok(sim.requests.includes('metadata/2.@babel%2Fcore.json'));
  assert.ok(sim.requests.includes('metadata/2.q%3F%23.json'));
});

test('a second session uses cached snapshot and targets without downloading them again', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.publishPkgRole();
  assert.ok(await env.updater().getTargetInfo('pkg/a.tgz'));
  assert.ok(await env.updater().getTargetInfo('pkg/a.tgz'));
  assert.equal(sim.count('metadata/timestamp.json'), 2);
  assert.equal(sim.count('metadata/2.snapshot.json'), 1);
  assert.equal(sim.count('metadata/2.targets.json'), 1);
  assert.equal(sim.count('metadata/2.pkg.json'), 1);
});

for (const role of ['timestamp', 'snapshot', 'targets', 'pkg']) {
  test(`a corrupt cached ${role} is recovered from the network`, async (t) => {
    const env = await newEnv(t);
    const { sim } = env;
    sim.publishPkgRole();
    assert.ok(await env.updater().getTargetInfo('pkg/a.tgz'));
    const file = join(env.metadataDir, `${role}.json`);
    writeFileSync(file, '{"signed": garbage');
    assert.ok(await env.updater().getTargetInfo('pkg/a.tgz'));
    assert.deepEqual(new Uint8Array(readFileSync(file)), sim.latest.get(role));
  });
}

test('a cached role with a forged signature is replaced by the verified remote copy', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  await env.updater().refresh();
  const file = join(env.metadataDir, 'targets.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  doc.signed.targets['evil'] = { length: 1, hashes: { sha256: '00'.repeat(32) } };
  writeFileSync(file, JSON.stringify(doc));
  assert.equal(await env.updater().getTargetInfo('evil'), undefined);
  assert.deepEqual(new Uint8Array(readFileSync(file)), sim.latest.get('targets'));
});

test('a missing trusted root is a cache error', async (t) => {
  const env = await newEnv(t);
  const updater = new Updater({ metadataDir: join(env.dir, 'empty'), metadataBaseUrl: env.sim.metadataUrl });
  await rejectsWith(updater.refresh(), 'TUF_CACHE');
});

test('bootstrapRoot initializes an empty metadata dir', async (t) => {
  const env = await newEnv(t);
  const dir = join(env.dir, 'bootstrapped');
  const updater = new Updater({ metadataDir: dir, metadataBaseUrl: env.sim.metadataUrl, bootstrapRoot: env.sim.rootBytes(1) });
  await updater.refresh();
  assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'root.json'))), env.sim.rootBytes(1));
  // a bootstrap root that is not self-signed is refused and not persisted
  const forged = join(env.dir, 'forged');
  const bad = new Updater({ metadataDir: forged, metadataBaseUrl: env.sim.metadataUrl, bootstrapRoot: new TextEncoder().encode('{}') });
  await rejectsWith(bad.refresh(), 'TUF_PARSE');
  assert.deepEqual(readdirSync(forged), []);
});

test('a corrupt trusted root is not silently replaced', async (t) => {
  const env = await newEnv(t);
  writeFileSync(join(env.metadataDir, 'root.json'), 'not json');
  await rejectsWith(env.updater().refresh(), 'TUF_PARSE');
});

test('unsafeOffline uses only cached metadata, still verified, without any request', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.publishPkgRole();
  const offline = { config: { unsafeOffline: true } };
  await rejectsWith(env.updater(offline).refresh(), 'TUF_CACHE'); // nothing cached yet
  assert.ok(await env.updater().getTargetInfo('pkg/a.tgz'));
  const before = sim.requests.length;
  assert.ok(await env.updater(offline).getTargetInfo('pkg/a.tgz'));
  assert.equal(sim.requests.length, before);
  // expiry is still enforced offline
  await rejectsWith(env.updater({ ...offline, clock: () => new Date(Date.now() + 31 * 86_400_000) }).refresh(), 'TUF_EXPIRED');
  // a corrupt cache entry cannot be repaired offline
  writeFileSync(join(env.metadataDir, 'pkg.json'), 'garbage');
  await rejectsWith(env.updater(offline).getTargetInfo('pkg/a.tgz'), 'TUF_CACHE');
});
