// The only public surface of @tufpm/merkle (issue 21, docs/adr/0021-merkle-snapshot.md).
export { MerkleProofError, MerkleDeltaError, MerkleStoreError } from './errors.js';
export { EMPTY, leafKey, leafHash, nodeHash, keyBit } from './hash.js';
export { encodeLeaf, parseLeafObject, checkLeafValue, MAX_ROLE_NAME_LENGTH, type LeafValue } from './leaf.js';
export { SparseMerkleTree, type TreeHead, type CommitResult } from './tree.js';
export { encodeProof, parseProof, MAX_PROOF_BYTES, type MerkleProof } from './proof.js';
export { verifyProof, type ProofResult } from './verify.js';
export { deltaOf, encodeDelta, parseDelta, applyDelta, checkLeafTransition, DEFAULT_MAX_DELTA_BYTES, type MerkleDelta } from './delta.js';
export { MerkleStore, type StoreCommit } from './store.js';
export { writeFileAtomic, type AtomicWriteOptions } from './fs-atomic.js';
export { readBoundedFile, readHandleBounded, type BoundedFile, type BoundedReadOptions } from './fs-bounded.js';
export {
  SNAPSHOT_PROFILE_FIELD,
  MERKLE_PROFILE,
  MERKLE_TIMESTAMP_FIELD,
  merkleRootDir,
  proofFileName,
  proofPath,
  deltaPath,
  storeDirOf,
  leafForRoleFile,
  timestampMerkleHead,
  writeEpochFiles,
  materializeProofs,
} from './profile.js';
