// Errors of the Merkle snapshot profile (TAP 16, ADR 0022). A bad proof itself is @tufpm/merkle's
// MerkleProofError (TUF_MERKLE_PROOF); these cover what only a client that remembers can see.
import { TufError } from '@tufpm/models';

/**
 * The root's profile and the timestamp disagree: a Merkle-profile timestamp without `x-tufpm-merkle`, a
 * classic one with it, or a root naming a profile this client does not know. The profile comes from the
 * root (offline keys) only; the timestamp never switches it.
 */
export class MerkleProfileError extends TufError {
  constructor(message: string) {
    super('TUF_MERKLE_PROFILE', message);
    this.name = 'MerkleProfileError';
  }
}

/**
 * A tree that takes back what this client has seen: a proven role version below the version of that role
 * this client holds verified, or a tree with fewer leaves than one it trusted (leaves are never removed:
 * an unpublished package becomes a tombstone).
 */
export class MerkleRollbackError extends TufError {
  readonly role: string | undefined;
  constructor(message: string, role?: string) {
    super('TUF_MERKLE_ROLLBACK', message);
    this.name = 'MerkleRollbackError';
    this.role = role;
  }
}

/** Two different trees signed for the same snapshot epoch: the registry forked its history (split view). */
export class MerkleForkError extends TufError {
  constructor(message: string) {
    super('TUF_MERKLE_FORK', message);
    this.name = 'MerkleForkError';
  }
}

/** Fewer valid auditor cosignatures on the tree root than the user's configured threshold. */
export class MerkleUnauditedError extends TufError {
  readonly root: string;
  readonly signed: number;
  readonly threshold: number;
  constructor(root: string, signed: number, threshold: number, detail: string) {
    super('TUF_MERKLE_UNAUDITED', `tree root ${root} carries ${signed} valid auditor cosignature(s), ${threshold} required${detail}`);
    this.name = 'MerkleUnauditedError';
    this.root = root;
    this.signed = signed;
    this.threshold = threshold;
  }
}
