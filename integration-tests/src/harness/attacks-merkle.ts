// Attacks on a Merkle-profile registry (issue 21, ADR 0022) that need the tree itself: a registry holding the
// online timestamp key commits a new epoch to its tree store and signs it. NpmWorld keeps its repository
// in memory, so an attack here is the last thing a world sees.
import { MetaFile, Metadata, encodeRoleName } from '@tufpm/models';
import { MerkleStore, leafForRoleFile, storeDirOf, writeEpochFiles } from '@tufpm/merkle';
import type { NpmWorld } from './npm-world.js';

/**
 * Rollback of one role in a new tree: a new epoch whose tree lists `role` one version back (its older file is
 * still served), signed into a new timestamp with the registry's online timestamp key. Every other role and
 * the epoch number move forward, so only the per-role checks (cache, pins, auditors) can see it.
 */
export async function forgeMerkleRoleRollback(world: NpmWorld, role: string): Promise<{ from: number; to: number; root: string }> {
  const ts = Metadata.timestamp(await world.readMetadata('timestamp.json'));
  const head = ts.signed.unrecognized['x-tufpm-merkle'] as { root: string; size: number };
  const store = await MerkleStore.open(storeDirOf(world.metadataDir), head.root);
  const from = store.tree.get(role)?.version;
  if (from === undefined || from < 2) throw new Error(`role ${role} has no earlier version in the tree`);
  const to = from - 1;
  store.tree.set(role, leafForRoleFile(to, await world.readMetadata(`${to}.${encodeRoleName(role)}.json`)));
  const commit = await store.commit();
  if (commit === undefined) throw new Error('the forged epoch changed nothing');
  await writeEpochFiles(world.metadataDir, store, commit);
  ts.signed.version += 1;
  ts.signed.snapshotMeta = new MetaFile(ts.signed.snapshotMeta.version + 1);
  ts.signed.unrecognized['x-tufpm-merkle'] = { root: commit.root, size: commit.size };
  ts.signatures.clear();
  for (const signer of await world.repo.signersFor('timestamp')) ts.sign(signer, true);
  await world.writeMetadata('timestamp.json', ts.toBytes());
  return { from, to, root: commit.root };
}
