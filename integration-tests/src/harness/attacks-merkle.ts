// Attacks on a Merkle-profile repository (issue 21, ADR 0022) that need the tree itself: whoever holds the
// online timestamp key commits a new epoch to the tree store and signs it; whoever serves the files
// replaces a proof. NpmWorld keeps its repository in memory, so an attack here is the last thing a world
// sees. The same functions serve the loopback registry, an overlay repository and Verdaccio's directory.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MetaFile, Metadata, encodeRoleName, type Signer } from '@tufpm/models';
import { MerkleStore, encodeProof, leafForRoleFile, parseProof, proofPath, storeDirOf, writeEpochFiles } from '@tufpm/merkle';
import type { NpmWorld } from './npm-world.js';

/** A Merkle-profile metadata directory and the online timestamp key that signs it. */
export interface MerkleTarget {
  metadataDir: string;
  timestampSigners(): Promise<Signer[]>;
  /** the repository writes every proof file at each epoch (a static host: an overlay) */
  materialize?: boolean;
}

export function merkleTargetOf(world: NpmWorld): MerkleTarget {
  return { metadataDir: world.metadataDir, timestampSigners: () => world.repo.signersFor('timestamp') };
}

/** The tree head the served timestamp signs. */
export async function servedTreeHead(metadataDir: string): Promise<{ root: string; size: number }> {
  const ts = Metadata.timestamp(await readFile(join(metadataDir, 'timestamp.json')));
  return ts.signed.unrecognized['x-tufpm-merkle'] as { root: string; size: number };
}

/**
 * Rollback of one role in a new tree: a new epoch whose tree lists `role` one version back (its older file is
 * still served), signed into a new timestamp with the online timestamp key. Every other role and the epoch
 * number move forward, so only the per-role checks (cache, pins, auditors) can see it.
 */
export async function forgeMerkleRoleRollback(target: NpmWorld | MerkleTarget, role: string): Promise<{ from: number; to: number; root: string }> {
  const t = 'timestampSigners' in target ? target : merkleTargetOf(target);
  const ts = Metadata.timestamp(await readFile(join(t.metadataDir, 'timestamp.json')));
  const head = ts.signed.unrecognized['x-tufpm-merkle'] as { root: string; size: number };
  const store = await MerkleStore.open(storeDirOf(t.metadataDir), head.root);
  const from = store.tree.get(role)?.version;
  if (from === undefined || from < 2) throw new Error(`role ${role} has no earlier version in the tree`);
  const to = from - 1;
  store.tree.set(role, leafForRoleFile(to, await readFile(join(t.metadataDir, `${to}.${encodeRoleName(role)}.json`))));
  const commit = await store.commit();
  if (commit === undefined) throw new Error('the forged epoch changed nothing');
  await writeEpochFiles(t.metadataDir, store, commit, { materialize: t.materialize === true });
  ts.signed.version += 1;
  ts.signed.snapshotMeta = new MetaFile(ts.signed.snapshotMeta.version + 1);
  ts.signed.unrecognized['x-tufpm-merkle'] = { root: commit.root, size: commit.size };
  ts.signatures.clear();
  for (const signer of await t.timestampSigners()) ts.sign(signer, true);
  await writeFile(join(t.metadataDir, 'timestamp.json'), ts.toBytes());
  return { from, to, root: commit.root };
}

/**
 * A forged proof file at `merkle/<current root>/<role>.proof.json` (whoever serves the files, no key):
 * 'other-root' = the role's genuine proof under the previous tree root (its older version, validly proven,
 * but for another root); 'raised' = the current proof with the leaf's version raised by one. A file in the
 * directory is served before any proof the registry would generate. Returns the original bytes, or
 * undefined when the proof was not a file (generated on request), so the caller can put things back.
 */
export async function forgeMerkleProof(metadataDir: string, role: string, kind: 'other-root' | 'raised'): Promise<{ file: string; original: Uint8Array | undefined }> {
  const head = await servedTreeHead(metadataDir);
  const store = await MerkleStore.open(storeDirOf(metadataDir), head.root);
  const file = join(metadataDir, proofPath(head.root, role));
  const original = await readFile(file).then((b) => new Uint8Array(b), (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
  let forged: Uint8Array;
  if (kind === 'other-root') {
    const previous = store.epochs.filter((e) => e.root !== head.root && store.tree.get(role, e.root) !== undefined).at(-1);
    if (previous === undefined) throw new Error(`role ${role} is in no earlier tree`);
    forged = encodeProof(store.tree.prove(role, previous.root));
  } else {
    const proof = parseProof(encodeProof(store.tree.prove(role, head.root)));
    if (proof.leaf === null) throw new Error(`role ${role} is absent from the tree`);
    proof.leaf = { ...proof.leaf, version: proof.leaf.version + 1 };
    forged = encodeProof(proof);
  }
  await writeFile(file, forged);
  return { file, original };
}
