import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRoleName } from '@tufpm/models';
import { sha256 } from './hash.js';
import { type LeafValue } from './leaf.js';
import { deltaOf, encodeDelta } from './delta.js';
import { encodeProof } from './proof.js';
import { parseHash } from './hash.js';
import { MerkleStoreError } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';
import { type MerkleStore, type StoreCommit } from './store.js';

/** root.json `signed` extension declaring the profile (offline keys decide it; absent = classic). */
export const SNAPSHOT_PROFILE_FIELD = 'x-tufpm-snapshot';
export const MERKLE_PROFILE = 'merkle';
/** timestamp.json `signed` extension carrying the tree head: {"root": hex, "size": n}. */
export const MERKLE_TIMESTAMP_FIELD = 'x-tufpm-merkle';

/** Where the profile's files live under the metadata base URL (contract: merkle/<root>/...). */
export function merkleRootDir(rootHex: string): string {
  return `merkle/${rootHex}`;
}
export function proofFileName(roleName: string): string {
  return `${encodeRoleName(roleName)}.proof.json`;
}
export function proofPath(rootHex: string, roleName: string): string {
  return `${merkleRootDir(rootHex)}/${proofFileName(roleName)}`;
}
export function deltaPath(rootHex: string): string {
  return `${merkleRootDir(rootHex)}/delta.json`;
}
/** The tree store of a metadata directory: a dot directory, never served (routes accept only 64-hex roots). */
export function storeDirOf(metadataDir: string): string {
  return join(metadataDir, 'merkle', '.store');
}

/** The leaf of a targets role whose file (as served) is `bytes`: version, length and sha256, like a classic snapshot entry with hashes. */
export function leafForRoleFile(version: number, bytes: Uint8Array): LeafValue {
  return { version, length: bytes.length, hashes: { sha256: sha256(bytes).toString('hex') } };
}

/** Reads the tree head from a timestamp's unrecognized fields; undefined when absent, throws when malformed. */
export function timestampMerkleHead(unrecognized: Record<string, unknown>): { root: string; size: number } | undefined {
  const v = unrecognized[MERKLE_TIMESTAMP_FIELD];
  if (v === undefined) return undefined;
  const o = v as Record<string, unknown>;
  if (o === null || typeof o !== 'object' || Array.isArray(o) || Object.keys(o).sort().join() !== 'root,size' ||
      parseHash(o.root) === undefined || !Number.isSafeInteger(o.size) || (o.size as number) < 0) {
    throw new MerkleStoreError(`timestamp: ${MERKLE_TIMESTAMP_FIELD} must be {"root": 64 hex, "size": integer}`);
  }
  return { root: o.root as string, size: o.size as number };
}

/**
 * Writes an epoch's immutable files under the metadata dir: merkle/<root>/delta.json always (auditors replay
 * it), and with `materialize` a proof file for every role in the tree (for a static host; the loopback
 * registry generates proofs on request instead). Written before the timestamp that names the root.
 */
export async function writeEpochFiles(metadataDir: string, store: MerkleStore, commit: StoreCommit, opts: { materialize?: boolean } = {}): Promise<number> {
  const dir = join(metadataDir, merkleRootDir(commit.root));
  await mkdir(dir, { recursive: true });
  const delta = Buffer.from(encodeDelta(deltaOf(store.tree, commit)));
  await writeFileAtomic(join(dir, 'delta.json'), delta);
  let bytes = delta.length;
  if (opts.materialize === true) bytes += await materializeProofs(metadataDir, store, commit.root);
  return bytes;
}

/** Writes merkle/<root>/<role>.proof.json for every leaf under `root` (static hosting); returns bytes written. */
export async function materializeProofs(metadataDir: string, store: MerkleStore, root: string): Promise<number> {
  const dir = join(metadataDir, merkleRootDir(root));
  await mkdir(dir, { recursive: true });
  let bytes = 0;
  for (const vi of store.tree.leafValues(root)) {
    const name = store.tree.values.names[vi]!;
    const proof = Buffer.from(encodeProof(store.tree.prove(name, root)));
    // Proof files are derived data: a crash before the timestamp names the root leaves an unused directory.
    await writeFileAtomic(join(dir, proofFileName(name)), proof, { durable: false });
    bytes += proof.length;
  }
  return bytes;
}
