// @tufpm/client public surface.
export { TrustedMetadataSet, pathKey } from './trusted-metadata-set.js';
export { ClassicSnapshotView, type SnapshotView } from './snapshot-view.js';
export { MerkleSnapshotView, MERKLE_PROOF_MAX_LENGTH } from './merkle-view.js';
export { PROOF_CACHE_FILE } from './merkle-proof-cache.js';
export { PROFILE_FIELD, TREE_FIELD, snapshotProfile, treeHead, type MerkleTreeHead, type SnapshotProfile } from './merkle-profile.js';
export { COSIGNATURE_TYPE, COSIGNATURE_MAX_LENGTH, checkCosignature, cosignatureFileName, parseAuditorPolicy, signCosignature, type AuditorPolicy, type CosignedTree } from './merkle-cosignature.js';
export { MerkleForkError, MerkleProfileError, MerkleRollbackError, MerkleUnauditedError } from './merkle-errors.js';
export { Updater } from './updater.js';
export type { UpdaterOptions, RootChainEntry } from './updater-options.js';
export { DEFAULT_ROLE_BUNDLES, roleBundleMaxLength, type RoleBundleOptions, type RoleBundleStats } from './bundle-fetcher.js';
export type { TargetInfo } from './target-info.js';
export { searchTarget, type RoleLoader } from './delegation-search.js';
export { DEFAULT_CONFIG, resolveConfig, type UpdaterConfig } from './config.js';
export type { Fetcher, FetchOptions } from './fetcher.js';
export { HttpFetcher, type HttpFetcherOptions } from './http-fetcher.js';
export { FileFetcher, UrlFetcher } from './file-fetcher.js';
export { DEFAULT_RETRY, downloadBytes, withRetries, type RetryPolicy } from './download.js';
export { MetadataCache, ensurePrivateDir, PRIVATE_FILE_MODE } from './cache.js';
export { writeFileAtomic, type AtomicWriteOptions } from '@tufpm/merkle';
export { ROLE_PACK_FILE, RECORD_KEY_BYTES, parseRolePack, serializeRolePack, rolePackSealOpens, type PackEntry, type ParsedRolePack } from './role-pack.js';
export { StreamHasher, hashStream, sha512Integrity, verifyDigest, type StreamDigest } from './hash-stream.js';
export { joinUrl, metadataFileName, targetFileName, targetUrl } from './urls.js';
export { runConformanceClient } from './cli/run.js';
export {
  CacheError,
  ConfigError,
  DelegationLimitError,
  DownloadError,
  LoadOrderError,
  MetadataTooLargeError,
  SlowRetrievalError,
  TargetNotFoundError,
} from './errors.js';
