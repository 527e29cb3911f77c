// Delegation search: order, terminating roles, bounds, hash prefixes, succinct bins, and trust per delegator.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newEnv, rejectsWith } from './helpers/env.js';
import { RepoSim, newKey, sha256hex, type SimKey } from './helpers/simulator.js';

test('wrong delegation order: the first listed role wins, even with integer-like role names', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  // a plain JS object keyed by role name would iterate '1' before '2'
  sim.addDelegation('targets', { name: '2', paths: ['pkg/*'] });
  sim.addDelegation('targets', { name: '1', paths: ['pkg/*'] });
  sim.addTarget('2', 'pkg/a.tgz', 'signed by role 2');
  sim.addTarget('1', 'pkg/a.tgz', 'signed by role 1');
  for (const r of ['1', '2', 'targets']) sim.publish(r);
  sim.updateSnapshot();
  const info = await env.updater().getTargetInfo('pkg/a.tgz');
  assert.deepEqual(info?.rolePath, ['targets', '2']);
  assert.equal(info?.hashes.sha256, sha256hex('signed by role 2'));
});

test('search is pre-order depth-first: a child of the first role comes before the second role', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.addDelegation('targets', { name: 'A', paths: ['*'] });
  sim.addDelegation('targets', { name: 'B', paths: ['*'] });
  sim.addDelegation('A', { name: 'A1', paths: ['*'] });
  sim.addTarget('A1', 'file', 'from A1');
  sim.addTarget('B', 'file', 'from B');
  for (const r of ['A1', 'A', 'B', 'targets']) sim.publish(r);
  sim.updateSnapshot();
  const info = await env.updater().getTargetInfo('file');
  assert.deepEqual(info?.rolePath, ['targets', 'A', 'A1']);
});

test('terminating role stops search', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.addDelegation('targets', { name: 'claimed', paths: ['pkg/*'], terminating: true });
  sim.addDelegation('targets', { name: 'unclaimed', paths: ['*/*'] }); // '*' never matches '/'
  sim.addTarget('unclaimed', 'pkg/a.tgz', 'attacker-controlled online role');
  for (const r of ['unclaimed', 'targets']) sim.publish(r);
  sim.updateSnapshot();
  assert.equal(await env.updater().getTargetInfo('pkg/a.tgz'), undefined);
  assert.equal(sim.count('metadata/2.unclaimed.json'), 0);
  // a path the terminating role does not match still reaches the next role
  sim.addTarget('unclaimed', 'other/b.tgz', 'b');
  sim.publish('unclaimed');
  sim.updateSnapshot();
  assert.deepEqual((await env.updater().getTargetInfo('other/b.tgz'))?.rolePath, ['targets', 'unclaimed']);
});

test('terminating role deep in the graph also ends the search of roles pending higher up', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.addDelegation('targets', { name: 'A', paths: ['*/*'] });
  sim.addDelegation('targets', { name: 'B', paths: ['*/*'] });
  sim.addDelegation('A', { name: 'C', paths: ['pkg/*'], terminating: true });
  sim.addTarget('B', 'pkg/a.tgz', 'from B, after a terminating role');
  for (const r of ['C', 'A', 'B', 'targets']) sim.publish(r);
  sim.updateSnapshot();
  assert.equal(await env.updater().getTargetInfo('pkg/a.tgz'), undefined);
  assert.equal(sim.count('metadata/2.B.json'), 0);
});

test('non-terminating role lets the search continue', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.addDelegation('targets', { name: 'first', paths: ['pkg/*'], terminating: false });
  sim.addDelegation('targets', { name: 'second', paths: ['*/*'] });
  sim.addTarget('second', 'pkg/a.tgz', 'a');
  for (const r of ['second', 'targets']) sim.publish(r);
  sim.updateSnapshot();
  assert.deepEqual((await env.updater().getTargetInfo('pkg/a.tgz'))?.rolePath, ['targets', 'second']);
});

test('delegation visit bound ends a long chain with DelegationLimitError', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  let parent = 'targets';
  for (let i = 0; i < 5; i++) {
    sim.addDelegation(parent, { name: `level${i}`, paths: ['*'] });
    parent = `level${i}`;
  }
  sim.addTarget(parent, 'deep', 'deep');
  for (let i = 0; i < 5; i++) sim.publish(`level${i}`);
  sim.publish('targets');
  sim.updateSnapshot();
  await rejectsWith(env.updater({ config: { maxDelegations: 3 } }).getTargetInfo('deep'), 'TUF_DELEGATION_LIMIT');
  assert.deepEqual((await env.updater({ config: { maxDelegations: 6 } }).getTargetInfo('deep'))?.rolePath.length, 6);
});

test('path_hash_prefixes select roles by the hash of the target path', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  const prefix = sha256hex('pkg/a.tgz').slice(0, 2);
  const other = prefix === '00' ? '01' : '00';
  sim.addDelegation('targets', { name: 'wrongbin', pathHashPrefixes: [other] });
  sim.addDelegation('targets', { name: 'bin', pathHashPrefixes: [prefix] });
  sim.addTarget('wrongbin', 'pkg/a.tgz', 'wrong');
  sim.addTarget('bin', 'pkg/a.tgz', 'right');
  for (const r of ['wrongbin', 'bin', 'targets']) sim.publish(r);
  sim.updateSnapshot();
  const info = await env.updater().getTargetInfo('pkg/a.tgz');
  assert.deepEqual(info?.rolePath, ['targets', 'bin']);
  assert.equal(sim.count('metadata/2.wrongbin.json'), 0);
});

test('succinct_roles find the one hash bin of a target', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.addSuccinctRoles('targets', 4, 'bin');
  const bin = RepoSim.binFor('lodash/-/lodash-4.17.21.tgz', 4, 'bin');
  sim.addTarget(bin, 'lodash/-/lodash-4.17.21.tgz', 'tarball');
  sim.publish(bin);
  sim.publish('targets');
  sim.updateSnapshot();
  const updater = env.updater();
  const info = await updater.getTargetInfo('lodash/-/lodash-4.17.21.tgz');
  assert.deepEqual(info?.rolePath, ['targets', bin]);
  // only that bin was fetched
  const fetchedBins = sim.metadataRequests().filter((r) => r.includes('bin-'));
  assert.deepEqual(fetchedBins, [`2.${bin}.json`]);
});

test('threshold with duplicated key: one key listed under two keyids counts once', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  const key = newKey();
  const alias: SimKey = { ...key, keyid: 'a'.repeat(64) };
  sim.addDelegation('targets', { name: 'pkg', paths: ['pkg/*'], keys: [key, alias], threshold: 2 });
  sim.addTarget('pkg', 'pkg/a.tgz', 'a');
  sim.publish('pkg');
  sim.publish('targets');
  sim.updateSnapshot();
  await env.updater().refresh();
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_THRESHOLD');
  // control: two distinct keys reach the threshold
  const second = newKey();
  sim.role('targets').delegations.keys[alias.keyid] = second.json;
  sim.signers.set('pkg', [key, { ...second, keyid: alias.keyid }]);
  sim.publish('pkg');
  sim.publish('targets');
  sim.updateSnapshot();
  assert.ok(await env.updater().getTargetInfo('pkg/a.tgz'));
});

/**
 * targets delegates to A and B (both matching every two-segment path); A delegates X to key kX for a/...,
 * B delegates X to key kY for b/....
 * X is signed by kX only, and lists b/evil.tgz. Reaching X through B must check kY and fail.
 */
async function twoDelegatorRepo(t: Parameters<typeof newEnv>[0]) {
  const env = await newEnv(t);
  const { sim } = env;
  const kX = newKey();
  const kY = newKey();
  sim.addDelegation('targets', { name: 'A', paths: ['*/*'] });
  sim.addDelegation('targets', { name: 'B', paths: ['*/*'] });
  sim.addDelegation('A', { name: 'X', paths: ['a/*'], keys: [kX] });
  sim.addDelegation('B', { name: 'X', paths: ['b/*'], keys: [kY] });
  sim.signers.set('X', [kX]);
  sim.addTarget('X', 'a/good.tgz', 'good');
  sim.addTarget('X', 'b/evil.tgz', 'evil');
  for (const r of ['X', 'A', 'B', 'targets']) sim.publish(r);
  sim.updateSnapshot();
  return env;
}

test('a role reachable from two delegators is checked against each one that leads to it', async (t) => {
  const env = await twoDelegatorRepo(t);
  const updater = env.updater();
  assert.deepEqual((await updater.getTargetInfo('a/good.tgz'))?.rolePath, ['targets', 'A', 'X']);
  // same session: X is already trusted via A, but B delegates X to kY, which did not sign it
  await rejectsWith(updater.getTargetInfo('b/evil.tgz'), 'TUF_THRESHOLD');
});

test('a delegated role found in the local cache is re-verified against the delegator of the current search', async (t) => {
  const env = await twoDelegatorRepo(t);
  assert.ok(await env.updater().getTargetInfo('a/good.tgz')); // caches X, verified via A
  // new session, straight to B -> X: the cached X must face kY, not be trusted because A accepted it
  await rejectsWith(env.updater().getTargetInfo('b/evil.tgz'), 'TUF_THRESHOLD');
});

test('a delegation whose threshold the role meets is accepted through either delegator', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  const kX = newKey();
  sim.addDelegation('targets', { name: 'A', paths: ['*/*'] });
  sim.addDelegation('targets', { name: 'B', paths: ['*/*'] });
  sim.addDelegation('A', { name: 'X', paths: ['a/*'], keys: [kX] });
  sim.addDelegation('B', { name: 'X', paths: ['b/*'], keys: [kX] });
  sim.addTarget('X', 'b/ok.tgz', 'ok');
  for (const r of ['X', 'A', 'B', 'targets']) sim.publish(r);
  sim.updateSnapshot();
  assert.deepEqual((await env.updater().getTargetInfo('b/ok.tgz'))?.rolePath, ['targets', 'B', 'X']);
});

test('a delegated role signed by a key its delegator does not list is rejected (arbitrary installation)', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  sim.addDelegation('targets', { name: 'pkg', paths: ['pkg/*'] });
  sim.addTarget('pkg', 'pkg/a.tgz', 'a');
  sim.publish('targets');
  const attacker = newKey();
  sim.signers.set('pkg', [attacker]);
  sim.publish('pkg');
  sim.updateSnapshot();
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_THRESHOLD');
});

test('getTargetInfos fetches each role once for many targets', async (t) => {
  const env = await newEnv(t);
  const { sim } = env;
  const paths: string[] = [];
  for (let i = 0; i < 20; i++) {
    const name = `pkg${i % 4}`;
    if (i < 4) sim.addDelegation('targets', { name, paths: [`${name}/*`], terminating: true });
    sim.addTarget(name, `${name}/t${i}.tgz`, `content ${i}`);
    paths.push(`${name}/t${i}.tgz`);
  }
  paths.push('missing/x.tgz');
  for (let i = 0; i < 4; i++) sim.publish(`pkg${i}`);
  sim.publish('targets');
  sim.updateSnapshot();
  const infos = await env.updater().getTargetInfos(paths);
  assert.deepEqual([...infos.keys()], paths);
  assert.equal(infos.get('missing/x.tgz'), undefined);
  for (let i = 0; i < 20; i++) assert.equal(infos.get(paths[i]!)?.hashes.sha256, sha256hex(`content ${i}`));
  for (let i = 0; i < 4; i++) assert.equal(sim.count(`metadata/2.pkg${i}.json`), 1);
});
