// The client in the Merkle snapshot profile (TAP 16, ADR 0022): what a refresh fetches, one pinned root per
// session, and the attacks on proofs, trees and auditors, each named after the attack it stops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalize, generateEd25519KeyPair } from '@tufpm/models';
import { PROOF_CACHE_FILE, cosignatureFileName, parseAuditorPolicy, signCosignature, type AuditorPolicy } from '../src/index.js';
import { newEnv, rejectsWith } from './helpers/env.js';
import { MerkleSim, proofPath } from './helpers/merkle-sim.js';
import { RepoSim } from './helpers/simulator.js';

/** a Merkle-profile repository with targets -> pkg (pkg/a.tgz) and targets -> other (other/b.tgz) */
async function merkleEnv(t: Parameters<typeof newEnv>[0]) {
  const sim = new MerkleSim();
  sim.addDelegation('targets', { name: 'pkg', paths: ['pkg/*'] });
  sim.addTarget('pkg', 'pkg/a.tgz', 'a');
  sim.addDelegation('targets', { name: 'other', paths: ['other/*'] });
  sim.addTarget('other', 'other/b.tgz', 'b');
  sim.publish('pkg');
  sim.publish('other');
  sim.publish('targets');
  sim.publishTree();
  const env = await newEnv(t, sim);
  return { env, sim };
}

test('installs in the Merkle profile: refresh fetches only the timestamp, each role is proven', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const updater = env.updater();
  const info = await updater.getTargetInfo('pkg/a.tgz');
  assert.equal(info?.roleVersion, 2);
  const head = sim.trees.at(-1)!;
  const requests = sim.metadataRequests();
  assert.ok(!requests.some((r) => r.includes('snapshot')), `no snapshot file: ${requests.join(' ')}`);
  assert.deepEqual(requests, ['2.root.json', 'timestamp.json', `merkle/${head.root}/targets.proof.json`, '2.targets.json', `merkle/${head.root}/pkg.proof.json`, '2.pkg.json']);
  assert.equal(updater.trustedSet?.merkleHead?.root, head.root);
  // a warm session fetches the timestamp and the proofs (none cached without persist()), and no role file it holds already
  sim.requests.length = 0;
  assert.equal((await env.updater().getTargetInfo('pkg/a.tgz'))?.roleVersion, 2);
  assert.ok(!sim.metadataRequests().some((r) => /\.(pkg|targets)\.json$/.test(r)));
});

test('rejects a forged proof (a leaf with another version, same siblings)', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const head = sim.trees.at(-1)!;
  const proof = head.proof('pkg');
  (proof.leaf as { version: number }).version = 7;
  sim.serveProof(head.root, 'pkg', proof);
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_MERKLE_PROOF');
});

test('rejects a proof for a different root (an older tree served under the current root)', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const old = sim.trees.at(-2)!;
  const head = sim.trees.at(-1)!;
  // the proof as the old tree made it (its own "root" field), and relabelled with the current root
  sim.serveProof(head.root, 'pkg', old.proof('pkg'));
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_MERKLE_PROOF');
  sim.serveProof(head.root, 'pkg', { ...old.proof('pkg'), root: head.root });
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_MERKLE_PROOF');
});

test('rejects a missing leaf presented as present', async (t) => {
  const sim = new MerkleSim();
  sim.addDelegation('targets', { name: 'pkg', paths: ['pkg/*'] });
  sim.addTarget('pkg', 'pkg/a.tgz', 'a');
  sim.publish('targets');
  const withPkg = sim.publishTree();
  // the signed tree lacks pkg; the registry answers with the proof of a tree that has it
  const without = sim.publishTree((leaves) => leaves.delete('pkg'));
  assert.equal(without.proof('pkg').leaf, null);
  const env = await newEnv(t, sim);
  sim.serveProof(without.root, 'pkg', { ...withPkg.proof('pkg'), root: without.root });
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_MERKLE_PROOF');
});

test('rejects a present leaf presented as absent', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const head = sim.trees.at(-1)!;
  // the absence proof of a tree without pkg, relabelled: the role would silently vanish from the install
  const scratch = new MerkleSim();
  const absent = scratch.trees.at(-1)!.proof('pkg');
  assert.equal(absent.leaf, null);
  sim.serveProof(head.root, 'pkg', { ...absent, root: head.root });
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_MERKLE_PROOF');
  // and the honest proof with its leaf nulled
  sim.serveProof(head.root, 'pkg', { ...head.proof('pkg'), leaf: null });
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_MERKLE_PROOF');
});

test('rejects an oversized proof before parsing it (endless data)', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const head = sim.trees.at(-1)!;
  sim.overrides.set(proofPath(head.root, 'pkg'), new Uint8Array(40_000).fill(0x20));
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_LENGTH');
});

test('rejects rollback of one role in a new tree', async (t) => {
  const { env, sim } = await merkleEnv(t);
  assert.equal((await env.updater().getTargetInfo('pkg/a.tgz'))?.roleVersion, 2);
  // a new, validly timestamped tree that lists pkg at version 1 again (its v1 file is still served)
  sim.leafOverrides.set('pkg', { version: 1 });
  sim.publishTree();
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_MERKLE_ROLLBACK');
});

test('rejects two different trees signed for one snapshot epoch (fork)', async (t) => {
  const { env, sim } = await merkleEnv(t);
  await env.updater().refresh();
  const head = sim.trees.at(-1)!;
  sim.epoch -= 1; // the next tree reuses the epoch
  sim.publishTree((leaves) => leaves.set('extra', { version: 1 }));
  assert.equal(sim.trees.at(-1)!.epoch, head.epoch);
  await rejectsWith(env.updater().refresh(), 'TUF_MERKLE_FORK');
});

test('rejects a tree with fewer leaves than the trusted one (a leaf removed)', async (t) => {
  const { env, sim } = await merkleEnv(t);
  await env.updater().refresh();
  sim.publishTree((leaves) => leaves.delete('other'));
  await rejectsWith(env.updater().refresh(), 'TUF_MERKLE_ROLLBACK');
});

test('rejects a Merkle-profile timestamp without the tree, and a classic one with it', async (t) => {
  const { env, sim } = await merkleEnv(t);
  delete sim.timestamp['x-tufpm-merkle'];
  sim.publish('timestamp');
  await rejectsWith(env.updater().refresh(), 'TUF_MERKLE_PROFILE');
  const classic = new RepoSim();
  const env2 = await newEnv(t, classic);
  classic.timestamp['x-tufpm-merkle'] = { root: '00'.repeat(32), size: 0 };
  classic.publish('timestamp');
  await rejectsWith(env2.updater().refresh(), 'TUF_MERKLE_PROFILE');
});

test('rejects a role file from another tree (mix-and-match against the proven leaf)', async (t) => {
  const { env, sim } = await merkleEnv(t);
  sim.overrides.set('metadata/2.pkg.json', sim.published.get('pkg')!.get(1)!);
  await rejectsWith(env.updater().getTargetInfo('pkg/a.tgz'), 'TUF_LENGTH');
});

test('one root per session: a tree published mid-install is not mixed in', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const updater = env.updater();
  await updater.refresh();
  const pinned = sim.trees.at(-1)!.root;
  sim.publish('pkg'); // pkg v3 in a new tree
  const next = sim.publishTree();
  const info = await updater.getTargetInfo('pkg/a.tgz');
  assert.equal(info?.roleVersion, 2);
  assert.ok(sim.metadataRequests().includes(`merkle/${pinned}/pkg.proof.json`));
  assert.ok(!sim.metadataRequests().some((r) => r.startsWith(`merkle/${next.root}/`)));
});

test('batches proof requests: prefetching N roles overlaps their round trips', async (t) => {
  const sim = new MerkleSim();
  const names = Array.from({ length: 24 }, (_, i) => `p${i}`);
  for (const name of names) sim.addDelegation('targets', { name, paths: [`${name}/*`] });
  sim.publish('targets');
  const head = sim.publishTree();
  let inFlight = 0;
  let peak = 0;
  for (const name of names) {
    const bytes = sim.overrides.get(proofPath(head.root, name)) as Uint8Array;
    sim.overrides.set(proofPath(head.root, name), (_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200).end(bytes);
      }, 30);
    });
  }
  const env = await newEnv(t, sim);
  const updater = env.updater();
  await updater.prefetchProofs(names);
  assert.ok(peak > 1 && peak <= updater.config.concurrency, `peak concurrency ${peak}`);
  const before = sim.metadataRequests().length;
  await updater.getTargetInfos(names.map((n) => `${n}/x.tgz`));
  assert.ok(!sim.metadataRequests().slice(before).some((r) => r.endsWith('.proof.json')), 'no proof fetched twice');
});

function auditors(count: number, threshold: number) {
  const pairs = Array.from({ length: count }, () => generateEd25519KeyPair());
  const policy: AuditorPolicy = parseAuditorPolicy(
    { threshold, keys: Object.fromEntries(pairs.map((p) => [p.key.keyid, p.key.toJSON()])) },
    'test auditors',
  );
  return { pairs, policy };
}

test('accepts a tree root cosigned by the threshold of the user\'s auditors', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const { pairs, policy } = auditors(3, 2);
  const head = sim.trees.at(-1)!;
  for (const p of pairs.slice(0, 2)) sim.overrides.set(`metadata/${cosignatureFileName(head.root, p.key.keyid)}`, signCosignature(head, sim.timestamp.version, p.signer));
  assert.equal((await env.updater({ auditors: policy }).getTargetInfo('pkg/a.tgz'))?.roleVersion, 2);
});

test('rejects a tree root an auditor has not signed (threshold not met)', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const { pairs, policy } = auditors(2, 2);
  const head = sim.trees.at(-1)!;
  sim.overrides.set(`metadata/${cosignatureFileName(head.root, pairs[0]!.key.keyid)}`, signCosignature(head, sim.timestamp.version, pairs[0]!.signer));
  await rejectsWith(env.updater({ auditors: policy }).refresh(), 'TUF_MERKLE_UNAUDITED');
  // a cosignature by a key the user did not configure does not count either
  const stranger = generateEd25519KeyPair();
  sim.overrides.set(`metadata/${cosignatureFileName(head.root, pairs[1]!.key.keyid)}`, signCosignature(head, sim.timestamp.version, stranger.signer));
  await rejectsWith(env.updater({ auditors: policy }).refresh(), 'TUF_MERKLE_UNAUDITED');
});

test('rejects split view: the registry shows this user a tree the auditors did not see', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const { pairs, policy } = auditors(1, 1);
  const seen = sim.trees.at(-1)!;
  const cosignature = signCosignature(seen, sim.timestamp.version, pairs[0]!.signer);
  // the registry signs a second history for this user (pkg rolled back in it) and replays the auditors'
  // cosignature of the public tree under the new root's path
  sim.leafOverrides.set('pkg', { version: 1 });
  const shown = sim.publishTree();
  sim.overrides.set(`metadata/${cosignatureFileName(seen.root, pairs[0]!.key.keyid)}`, cosignature);
  sim.overrides.set(`metadata/${cosignatureFileName(shown.root, pairs[0]!.key.keyid)}`, cosignature);
  await rejectsWith(env.updater({ auditors: policy }).getTargetInfo('pkg/a.tgz'), 'TUF_MERKLE_UNAUDITED');
});

test('rejects an auditor cosignature replayed at a later epoch (a fresh machine rolled back to an older audited tree)', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const { pairs, policy } = auditors(1, 1);
  const cosign = (head: { epoch: number; root: string; size: number }): void => {
    sim.overrides.set(`metadata/${cosignatureFileName(head.root, pairs[0]!.key.keyid)}`, signCosignature(head, sim.timestamp.version, pairs[0]!.signer));
  };
  const audited = sim.trees.at(-1)!;
  cosign(audited);
  // pkg moves on in a new, audited tree (the fix a user must not be rolled back past) ...
  sim.leafOverrides.set('pkg', { version: 3 });
  cosign(sim.publishTree());
  // ... and the registry signs the next epoch with the OLD audited root, whose cosignature it still serves
  sim.leafOverrides.delete('pkg');
  const replayed = sim.publishTree();
  assert.equal(replayed.root, audited.root, 'the same leaves give the same root');
  assert.ok(replayed.epoch > audited.epoch);
  await rejectsWith(env.updater({ auditors: policy }).refresh(), 'TUF_MERKLE_UNAUDITED');
});

test('parseAuditorPolicy refuses a keyid that is not its key\'s, a key listed twice and a threshold above the keys', () => {
  const a = generateEd25519KeyPair();
  assert.throws(() => parseAuditorPolicy({ threshold: 1, keys: { ['0'.repeat(64)]: a.key.toJSON() } }, 'x'), /not the TUF keyid/);
  assert.throws(() => parseAuditorPolicy({ threshold: 2, keys: { [a.key.keyid]: a.key.toJSON() } }, 'x'), /threshold/);
  assert.throws(() => parseAuditorPolicy({ threshold: 1, keys: { [a.key.keyid]: a.key.toJSON() }, extra: 1 }, 'x'), /unknown field/);
});

// The proof cache (ADR 0022): proofs and cosignatures verified under a root are kept for the next session
// (merkle-proofs.cache), and verified again when read back: never trusted as they are.
const proofRequests = (sim: MerkleSim): string[] => sim.metadataRequests().filter((r) => r.endsWith('.proof.json'));

test('a warm session under an unchanged root makes no proof requests, and an offline one (unsafeOffline) installs from the cached proofs', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const cold = env.updater();
  assert.equal((await cold.getTargetInfo('pkg/a.tgz'))?.roleVersion, 2);
  await cold.persist();
  sim.requests.length = 0;
  assert.equal((await env.updater().getTargetInfo('pkg/a.tgz'))?.roleVersion, 2);
  assert.deepEqual(proofRequests(sim), [], 'warm: no proof fetched');
  assert.deepEqual(sim.metadataRequests(), ['2.root.json', 'timestamp.json'], 'warm: the refresh only');
  sim.requests.length = 0;
  assert.equal((await env.updater({ config: { unsafeOffline: true } }).getTargetInfo('pkg/a.tgz'))?.roleVersion, 2);
  assert.deepEqual(sim.requests, [], 'offline: nothing requested');
  // a new tree: the cached proofs are of another root, so they are fetched again (and the cache moves on)
  sim.publish('pkg');
  const next = sim.publishTree();
  sim.requests.length = 0;
  const moved = env.updater();
  assert.equal((await moved.getTargetInfo('pkg/a.tgz'))?.roleVersion, 3);
  assert.deepEqual(proofRequests(sim), [`merkle/${next.root}/targets.proof.json`, `merkle/${next.root}/pkg.proof.json`]);
  await moved.persist();
  assert.equal((JSON.parse(readFileSync(join(env.metadataDir, PROOF_CACHE_FILE), 'utf8')) as { root: string }).root, next.root);
});

test('a tampered cached proof is never trusted: fetched again online, refused offline', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const cold = env.updater();
  await cold.getTargetInfo('pkg/a.tgz');
  await cold.persist();
  const head = sim.trees.at(-1)!;
  const path = join(env.metadataDir, PROOF_CACHE_FILE);
  const file = JSON.parse(readFileSync(path, 'utf8')) as { proofs: Record<string, string> };
  // whoever can write the cache puts in pkg's leaf of the older tree (version 1) labelled with today's root:
  // trusted, it would roll pkg back
  file.proofs.pkg = Buffer.from(canonicalize({ ...sim.trees.at(-2)!.proof('pkg'), root: head.root })).toString('base64');
  writeFileSync(path, JSON.stringify(file));
  sim.requests.length = 0;
  await rejectsWith(env.updater({ config: { unsafeOffline: true } }).getTargetInfo('pkg/a.tgz'), 'TUF_CACHE');
  assert.equal((await env.updater().getTargetInfo('pkg/a.tgz'))?.roleVersion, 2);
  assert.deepEqual(proofRequests(sim), [`merkle/${head.root}/pkg.proof.json`], 'only the tampered proof is fetched again');
  // a file that is not the cache's format at all is an empty cache
  writeFileSync(path, '{"format": 1, "root": "nope"}');
  sim.requests.length = 0;
  assert.equal((await env.updater().getTargetInfo('pkg/a.tgz'))?.roleVersion, 2);
  assert.equal(proofRequests(sim).length, 2);
});

test('auditor cosignatures are cached with the proofs and checked again: a warm session asks none, a forged one is not counted', async (t) => {
  const { env, sim } = await merkleEnv(t);
  const { pairs, policy } = auditors(1, 1);
  const head = sim.trees.at(-1)!;
  const served = `metadata/${cosignatureFileName(head.root, pairs[0]!.key.keyid)}`;
  sim.overrides.set(served, signCosignature(head, sim.timestamp.version, pairs[0]!.signer));
  const cold = env.updater({ auditors: policy });
  await cold.getTargetInfo('pkg/a.tgz');
  await cold.persist();
  sim.requests.length = 0;
  await env.updater({ auditors: policy }).getTargetInfo('pkg/a.tgz');
  assert.equal(sim.count(served), 0, 'warm: the cached cosignature is checked, not fetched');
  // the cached cosignature replaced by one of a key the user did not configure: not counted
  const path = join(env.metadataDir, PROOF_CACHE_FILE);
  const file = JSON.parse(readFileSync(path, 'utf8')) as { cosignatures: Record<string, string> };
  file.cosignatures[pairs[0]!.key.keyid] = Buffer.from(signCosignature(head, sim.timestamp.version, generateEd25519KeyPair().signer)).toString('base64');
  writeFileSync(path, JSON.stringify(file));
  sim.overrides.delete(served);
  await rejectsWith(env.updater({ auditors: policy }).refresh(), 'TUF_MERKLE_UNAUDITED');
});
