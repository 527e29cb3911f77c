// Role bundles (ADR 0024): hash bins taken from `<snapshot version>.bundle-<k>.json` are verified exactly as
// the same bytes fetched alone; a bundle that cannot be used is a fault of transport (the bins are fetched
// one by one); entries nobody asked for are never verified or cached.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BINS_PER_BUNDLE, encodeRoleBundle, roleBundleFileName } from '@tufpm/models';
import { newEnv, rejectsWith, type Env } from './helpers/env.js';
import { RepoSim } from './helpers/simulator.js';

const BITS = 6; // 64 bins: bundles 0 and 1
const PREFIX = 'bin';

/** `count` packages, each in the bin its tarball path hashes to; returns the target paths. */
function binsWorld(sim: RepoSim, count: number): string[] {
  sim.addSuccinctRoles('targets', BITS, PREFIX);
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = `pkg${i}/-/pkg${i}-1.0.0.tgz`;
    sim.addTarget(RepoSim.binFor(path, BITS, PREFIX), path, `tarball ${i}`);
    paths.push(path);
  }
  for (const bin of new Set(paths.map((p) => RepoSim.binFor(p, BITS, PREFIX)))) sim.publish(bin);
  sim.publish('targets');
  sim.updateSnapshot();
  return paths;
}

function binIndex(name: string): number {
  return parseInt(name.slice(PREFIX.length + 1), 16);
}

/** Serves bundle k of the current snapshot holding the latest bytes of its bins (with `change` applied). */
function serveBundles(sim: RepoSim, change: (name: string, bytes: Uint8Array) => Uint8Array = (_n, b) => b, extra: Array<[string, Uint8Array]> = []): void {
  const version = sim.snapshot.version as number;
  for (let k = 0; k < 2 ** BITS / BINS_PER_BUNDLE; k++) {
    const entries: Array<[string, Uint8Array]> = [];
    for (const [name, bytes] of sim.latest) {
      if (name.startsWith(`${PREFIX}-`) && Math.floor(binIndex(name) / BINS_PER_BUNDLE) === k) entries.push([name, change(name, bytes)]);
    }
    if (k === 0) entries.push(...extra);
    sim.overrides.set(`metadata/${roleBundleFileName(version, k)}`, encodeRoleBundle(k, entries));
  }
}

function singleBinRequests(sim: RepoSim): string[] {
  return sim.metadataRequests().filter((r) => r.includes(`.${PREFIX}-`));
}

function bundleRequests(sim: RepoSim): string[] {
  return sim.metadataRequests().filter((r) => r.includes('.bundle-'));
}

/** every lookup of getTargetInfos at once (one burst), so each bundle's demand is known in one window */
function bundled(env: Env): ReturnType<Env['updater']> {
  return env.updater({ roleBundles: { threshold: 3, windowMs: 50 }, config: { concurrency: 100 } });
}

/** the byte-level tamper of a role an attacker holding no key can make: one target's hash changed */
function tamper(bytes: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(bytes);
  const m = /"sha256":\s*"([0-9a-f])/.exec(text)!;
  const flipped = m[1] === '0' ? '1' : '0';
  return new TextEncoder().encode(text.slice(0, m.index) + m[0].slice(0, -1) + flipped + text.slice(m.index + m[0].length));
}

test('a cold lookup of many hash bins takes them from their bundles: one request per bundle, none per bin', async (t) => {
  const env = await newEnv(t);
  const paths = binsWorld(env.sim, 60);
  serveBundles(env.sim);
  const updater = bundled(env);
  const infos = await updater.getTargetInfos(paths);
  for (const p of paths) assert.equal(infos.get(p)?.rolePath[1], RepoSim.binFor(p, BITS, PREFIX));
  assert.deepEqual(singleBinRequests(env.sim), []);
  assert.equal(bundleRequests(env.sim).length, 2);
  assert.equal(updater.roleBundleStats?.fetched, 2);
  // each bin used was verified and cached like a single download (files mode: its own file)
  const bin = RepoSim.binFor(paths[0]!, BITS, PREFIX);
  assert.ok(existsSync(join(env.metadataDir, `${bin}.json`)));
});

test('role bundles are off unless asked for: a plain Updater requests only TUF metadata', async (t) => {
  const env = await newEnv(t);
  const paths = binsWorld(env.sim, 20);
  serveBundles(env.sim);
  await env.updater().getTargetInfos(paths);
  assert.deepEqual(bundleRequests(env.sim), []);
  assert.equal(singleBinRequests(env.sim).length, new Set(paths.map((p) => RepoSim.binFor(p, BITS, PREFIX))).size);
});

test('rejects a tampered bundle entry with the code the same bytes earn fetched alone (signature)', async (t) => {
  const env = await newEnv(t);
  const paths = binsWorld(env.sim, 40);
  const victim = RepoSim.binFor(paths[0]!, BITS, PREFIX);
  serveBundles(env.sim, (name, bytes) => (name === victim ? tamper(bytes) : bytes));
  await rejectsWith(bundled(env).getTargetInfos(paths), 'TUF_THRESHOLD');
  assert.ok(!existsSync(join(env.metadataDir, `${victim}.json`)), 'the refused entry is not cached');
  // the same bytes served as the role's own file meet the same refusal
  const version = env.sim.role(victim).version as number;
  env.sim.overrides.set(`metadata/${version}.${victim}.json`, tamper(env.sim.latest.get(victim)!));
  await rejectsWith(env.updater().getTargetInfo(paths[0]!), 'TUF_THRESHOLD');
});

test('rejects a bundle entry the snapshot hashes differently with TUF_HASH, as the file alone', async (t) => {
  const sim = new RepoSim();
  sim.computeHashes = true;
  const env = await newEnv(t, sim);
  const paths = binsWorld(sim, 40);
  const victim = RepoSim.binFor(paths[0]!, BITS, PREFIX);
  // same length, other bytes: the snapshot's sha256 refuses it before any signature is looked at
  serveBundles(sim, (name, bytes) => (name === victim ? tamper(bytes) : bytes));
  await rejectsWith(bundled(env).getTargetInfos(paths), 'TUF_HASH');
  const version = sim.role(victim).version as number;
  sim.overrides.delete(`metadata/${roleBundleFileName(sim.snapshot.version as number, 0)}`);
  sim.overrides.delete(`metadata/${roleBundleFileName(sim.snapshot.version as number, 1)}`);
  sim.overrides.set(`metadata/${version}.${victim}.json`, tamper(sim.latest.get(victim)!));
  await rejectsWith(env.updater().getTargetInfo(paths[0]!), 'TUF_HASH');
});

test('rejects a bundle entry longer than the snapshot signs with TUF_LENGTH, as the file alone', async (t) => {
  const sim = new RepoSim();
  sim.computeHashes = true;
  const env = await newEnv(t, sim);
  const paths = binsWorld(sim, 40);
  const victim = RepoSim.binFor(paths[0]!, BITS, PREFIX);
  const padded = (bytes: Uint8Array): Uint8Array => new Uint8Array([...bytes, 0x20]);
  serveBundles(sim, (name, bytes) => (name === victim ? padded(bytes) : bytes));
  await rejectsWith(bundled(env).getTargetInfos(paths), 'TUF_LENGTH');
  const version = sim.role(victim).version as number;
  for (const k of [0, 1]) sim.overrides.delete(`metadata/${roleBundleFileName(sim.snapshot.version as number, k)}`);
  sim.overrides.set(`metadata/${version}.${victim}.json`, padded(sim.latest.get(victim)!));
  await rejectsWith(env.updater().getTargetInfo(paths[0]!), 'TUF_LENGTH');
});

test('ignores a bundle entry nobody asked for: neither verified nor cached', async (t) => {
  const env = await newEnv(t);
  const paths = binsWorld(env.sim, 40);
  const needed = new Set(paths.map((p) => RepoSim.binFor(p, BITS, PREFIX)));
  const unneeded = [...Array(32).keys()].map((i) => `${PREFIX}-${i.toString(16).padStart(2, '0')}`).find((b) => !needed.has(b))!;
  // a garbage entry for a bin the install never needs, and one for a role the repository does not have
  serveBundles(env.sim, (name, bytes) => (name === unneeded ? new TextEncoder().encode('not a role') : bytes), [['evil', new TextEncoder().encode('{"signed":{}}')]]);
  const updater = bundled(env);
  const infos = await updater.getTargetInfos(paths);
  assert.equal(infos.size, paths.length);
  assert.ok(!existsSync(join(env.metadataDir, `${unneeded}.json`)));
  assert.ok(!existsSync(join(env.metadataDir, 'evil.json')));
  assert.equal(updater.roleBundleStats?.entries, needed.size);
});

test('falls back to single role fetches when the bundle is missing', async (t) => {
  const env = await newEnv(t);
  const paths = binsWorld(env.sim, 40);
  const updater = bundled(env); // no bundle served: 404
  const infos = await updater.getTargetInfos(paths);
  for (const p of paths) assert.ok(infos.get(p) !== undefined);
  assert.equal(updater.roleBundleStats?.failed, 2);
  assert.equal(singleBinRequests(env.sim).length, new Set(paths.map((p) => RepoSim.binFor(p, BITS, PREFIX))).size);
});

test('falls back to single role fetches when the bundle is malformed, another bundle, or not canonical base64', async (t) => {
  for (const bad of ['{"bundle":0', 'other-bundle', 'padding-bits']) {
    const env = await newEnv(t);
    const paths = binsWorld(env.sim, 40);
    const v = env.sim.snapshot.version as number;
    for (const k of [0, 1]) {
      const file = `metadata/${roleBundleFileName(v, k)}`;
      if (bad === 'other-bundle') env.sim.overrides.set(file, encodeRoleBundle(k + 1, []));
      else if (bad === 'padding-bits') env.sim.overrides.set(file, new TextEncoder().encode(`{"bundle":${k},"format":1,"roles":{"${PREFIX}-00":"QR=="}}`));
      else env.sim.overrides.set(file, new TextEncoder().encode(bad));
    }
    const updater = bundled(env);
    const infos = await updater.getTargetInfos(paths);
    for (const p of paths) assert.ok(infos.get(p) !== undefined, bad);
    assert.equal(updater.roleBundleStats?.failed, 2, bad);
  }
});

test('a few bins of a bundle are fetched alone (below the threshold), the rest of a burst from the bundle', async (t) => {
  const env = await newEnv(t);
  const paths = binsWorld(env.sim, 40);
  serveBundles(env.sim);
  const updater = env.updater({ roleBundles: { threshold: 1000, windowMs: 1 } });
  await updater.getTargetInfo(paths[0]!);
  assert.deepEqual(bundleRequests(env.sim), []);
  assert.equal(singleBinRequests(env.sim).length, 1);
});

test('roles expected from a lockfile fetch their bundle at the first lookup', async (t) => {
  const env = await newEnv(t);
  const paths = binsWorld(env.sim, 40);
  serveBundles(env.sim);
  const updater = env.updater({ roleBundles: { threshold: 3, windowMs: 60_000 } });
  await updater.refresh();
  updater.expectRoles(paths.map((p) => RepoSim.binFor(p, BITS, PREFIX)));
  // a window of a minute would time the test out: the expected roles cross the threshold without waiting
  await updater.getTargetInfo(paths[0]!);
  assert.equal(bundleRequests(env.sim).length, 1);
  assert.deepEqual(singleBinRequests(env.sim), []);
});

test('rejects a bundle entry of another version than the snapshot lists (mix-and-match), as the file alone', async (t) => {
  const env = await newEnv(t);
  const paths = binsWorld(env.sim, 40);
  const victim = RepoSim.binFor(paths[0]!, BITS, PREFIX);
  // version 1 of the bin, validly signed, where the snapshot lists version 2
  const old = env.sim.published.get(victim)!.get(1)!;
  serveBundles(env.sim, (name, bytes) => (name === victim ? old : bytes));
  await rejectsWith(bundled(env).getTargetInfos(paths), 'TUF_VERSION_MISMATCH');
  const version = env.sim.role(victim).version as number;
  for (const k of [0, 1]) env.sim.overrides.delete(`metadata/${roleBundleFileName(env.sim.snapshot.version as number, k)}`);
  env.sim.overrides.set(`metadata/${version}.${victim}.json`, old);
  await rejectsWith(env.updater().getTargetInfo(paths[0]!), 'TUF_VERSION_MISMATCH');
});
