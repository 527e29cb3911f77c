// The only public surface of @tufpm/models.
export {
  TufError,
  MetadataParseError,
  UnsignedMetadataError,
  ExpiredMetadataError,
  RollbackError,
  VersionMismatchError,
  LengthMismatchError,
  HashMismatchError,
  UnsupportedAlgorithmError,
  RepositoryError,
} from './errors.js';
export { canonicalize, canonicalString, compareCodePoints, sortedJson } from './canonical-json.js';
export { parseJsonStrict, parseEnvelopeStrict, DEFAULT_MAX_JSON_LENGTH, type ParseJsonOptions, type ParsedEnvelope } from './json-strict.js';
export {
  digest,
  digestHex,
  verifyHashes,
  constantTimeEqualHex,
  isSupportedHashAlgorithm,
  SUPPORTED_HASH_ALGORITHMS,
  type HashAlgorithm,
} from './hashes.js';
export { setCryptoBackend, getCryptoBackend, ed25519Verify, isWeakEd25519PublicKey, type CryptoBackend } from './crypto-backend.js';
export { Key, type KeyVal } from './key.js';
export {
  generateEd25519KeyPair,
  generateEcdsaP256KeyPair,
  signerFromPem,
  keyFromPublicPem,
  ed25519KeyFromPublicHex,
  keyWithComputedId,
  type Signer,
} from './signer.js';
export {
  Signed,
  Signature,
  SPECIFICATION_VERSION,
  TOP_LEVEL_ROLE_NAMES,
  isTopLevelRole,
  type TopLevelRole,
  type SignedOptions,
} from './signed.js';
export { Role, DelegatedRole, type DelegatedRoleOptions } from './role.js';
export { SuccinctRoles, type SuccinctRolesOptions } from './succinct-roles.js';
export { Delegations, type DelegationsOptions, type RoleForTarget } from './delegations.js';
export { compilePathPattern, matchPathPattern, type CompiledPathPattern } from './path-pattern.js';
export { MetaFile } from './meta-file.js';
export { TargetFile } from './target-file.js';
export { Root, type RootOptions } from './root.js';
export { Timestamp, type TimestampOptions } from './timestamp.js';
export { Snapshot, type SnapshotOptions } from './snapshot.js';
export { Targets, type TargetsOptions } from './targets.js';
export { Metadata, type ParsedMetadata, type SignedByType } from './metadata.js';
export { getVerificationResult, type VerificationResult } from './verification.js';
export { parseExpires, formatExpires } from './fields.js';
export { encodeRoleName, decodeRoleName } from './role-name.js';
export { isValidNpmPackageName, npmTarballTargetPath, unscopedNpmName, MAX_NPM_NAME_LENGTH, type NpmNameOptions } from './npm-names.js';
export {
  TarballEntryIndex,
  TarballEntryError,
  TARBALL_ENTRY_RULES_VERSION,
  normalizeTarballEntryPath,
  type TarballEntryPath,
  type TarballEntryProblem,
} from './tarball-entries.js';
export { TarFramingScanner } from './tar-framing.js';
export { globalPaxSizeTarball, gzipInsideGzipTarball, paxDirectoryPathTarball, paxSizeOnLongNameTarball } from './tar-attack-fixtures.js';
export { TAR_BLOCK, tarOctal, tarZeros } from './tar-fields.js';
export { MAX_SIGNATURES, MAX_KEYIDS_PER_ROLE, MAX_ROOT_KEYS, MAX_DELEGATION_KEYS, MAX_DELEGATED_ROLES, MAX_SNAPSHOT_ENTRIES, MAX_TARGETS_PER_ROLE } from './limits.js';
export {
  RELEASE_INDEX_FILE,
  RELEASE_INDEX_CUSTOM_KEY,
  MAX_RELEASE_VERSIONS,
  MAX_DIST_TAGS,
  releaseIndexPath,
  isReleaseIndexPath,
  releaseIndexTarget,
  parseReleaseIndex,
  type ReleaseIndex,
  type ParsedReleaseIndex,
} from './release-index.js';
export {
  UNCLAIM_RECORDS_FIELD,
  MAX_UNCLAIM_RECORDS,
  parseUnclaimRecords,
  setUnclaimRecords,
  type UnclaimRecord,
} from './unclaim-records.js';
export {
  ROLE_BUNDLE_FORMAT,
  BINS_PER_BUNDLE,
  MAX_ROLE_BUNDLE_BYTES,
  roleBundleFileName,
  roleBundleOfBin,
  roleBundleBins,
  roleBundleCount,
  encodeRoleBundle,
  parseRoleBundle,
} from './role-bundle.js';
