// SnapshotView of the Merkle profile (TAP 16, ADR 0022): each role's snapshot entry comes from a proof
// against the ONE tree root the trusted timestamp signs, pinned for the whole session. The view is pure:
// the Updater fetches proof bytes (batched, concurrently) and hands them to prove(); a lookup of a role
// whose proof was not handed in yet is a load-order error, never a silent "absent".
import { MAX_PROOF_BYTES, verifyProof } from '@tufpm/merkle';
import { MetaFile } from '@tufpm/models';
import { LoadOrderError } from './errors.js';
import type { MerkleTreeHead } from './merkle-profile.js';
import type { SnapshotView } from './snapshot-view.js';

/**
 * Bound on a proof file, checked while downloading and again before parsing (@tufpm/merkle's bound: 256
 * siblings and a leaf fit well under it). A proof near M = 1M packages is about 1.5 KB.
 */
export const MERKLE_PROOF_MAX_LENGTH = MAX_PROOF_BYTES;

export class MerkleSnapshotView implements SnapshotView {
  readonly head: MerkleTreeHead;
  readonly #root: Uint8Array;
  /** role name -> proven entry (undefined: proven absent, or a tombstone) */
  readonly #proven = new Map<string, MetaFile | undefined>();

  constructor(head: MerkleTreeHead) {
    this.head = head;
    this.#root = Buffer.from(head.root, 'hex');
  }

  /** the snapshot epoch the timestamp names (what TUF 5.4.3.2 and the pins compare) */
  get version(): number {
    return this.head.epoch;
  }

  has(roleName: string): boolean {
    return this.#proven.has(roleName);
  }

  /**
   * TAP 16: verify the proof for `roleName` against the pinned root and remember its answer. The proof's own
   * "root" and "name" are never trusted (verifyProof compares them with the expected ones), so a proof for
   * another root or another role fails here. Returns the entry (undefined when absent or a tombstone).
   */
  prove(roleName: string, proofBytes: Uint8Array): MetaFile | undefined {
    if (this.#proven.has(roleName)) return this.#proven.get(roleName);
    // TAP 16: bounded before parsing (endless data), parsed strictly, every field checked (verifyProof)
    const result = verifyProof(proofBytes, roleName, this.#root);
    const meta = !result.present || result.value.tombstone === true
      ? undefined
      : new MetaFile(result.value.version, result.value.length, result.value.hashes);
    this.#proven.set(roleName, meta);
    return meta;
  }

  metaFor(roleName: string): MetaFile | undefined {
    if (!this.#proven.has(roleName)) throw new LoadOrderError(`role ${roleName} has no verified Merkle proof yet`);
    return this.#proven.get(roleName);
  }
}
