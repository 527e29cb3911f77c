import { TufError } from '@tufpm/models';

/**
 * A Merkle proof that does not prove what it claims against the pinned root: forged sibling, proof for
 * another root or another role, a leaf shown absent that is present (or the reverse), malformed or
 * oversized proof. The client must stop: the registry (or a mirror) served a snapshot view that the
 * signed timestamp's tree root does not contain.
 */
export class MerkleProofError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_MERKLE_PROOF', message, options);
  }
}

/**
 * A delta between two tree roots that is not append-only: a leaf removed, a version lowered, a leaf
 * changed without a version raise, or a recomputed root/size that differs from the one announced.
 * An auditor refuses to cosign such a root.
 */
export class MerkleDeltaError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_MERKLE_DELTA', message, options);
  }
}

/** The repository's persisted tree state is damaged or inconsistent (operator must restore it). */
export class MerkleStoreError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_MERKLE_STORE', message, options);
  }
}
