// The only public surface of @tufpm/repo.
export {
  KeyMissingError,
  KeyMismatchError,
  UnknownPackageError,
  PackageClaimedError,
  PackageMismatchError,
  TarballError,
  TargetExistsError,
  InvalidInputError,
  RepositoryStateError,
} from './errors.js';
export { RepositoryLockedError } from './lock.js';
export {
  Repository,
  type CreateRepositoryOptions,
  type MetaOptions,
  type DelegateOptions,
  type SuccinctDelegationOptions,
  type RoleParent,
} from './repository.js';
export { loadRepository, readNewestRoot, persistRepository, planPersist, metadataFileName, type PersistOptions, type PlannedFile } from './repository-io.js';
export { writeFileAtomic } from '@tufpm/merkle';
export { readProxiedPackages, recordProxiedPackages, proxiedPackagesFile, ProxiedPackagesFileError, MAX_PROXIED_PACKAGES_BYTES } from './proxied-packages.js';
export {
  readSignerFile,
  readPublicKeyFile,
  publicKeyJson,
  writeNewKeyPair,
  writeKeyPair,
  roleSigners,
  keyDirFor,
  OFFLINE_ROLES,
} from './keys.js';
export { DEFAULT_EXPIRIES, parseDuration, readConfig, writeConfig, checkExpiries, type Expiries, type RepoConfig } from './config.js';
export {
  readPackageTarball,
  tarballTargetPath,
  packageOfTargetPath,
  checkPackageName,
  DEFAULT_TARBALL_LIMITS,
  type PackageTarball,
  type TarballLimits,
} from './tarball.js';
export { signedDependenciesOf, SIGNED_DEPENDENCY_FIELDS, type SignedDependencies } from './signed-dependencies.js';
export { signedManifestFactsOf, normalizeBinPath, normalizeBinName, type SignedManifestFacts, type TarballFiles } from './manifest-facts.js';
export { UNCLAIMED_ROLE, UNCLAIMED_PATHS, DEFAULT_BIT_LENGTH, expiresIn, type InitOptions, type OpenOptions } from './npm-repository.js';
export { unclaimRecords, firstRoleVersion, type UnclaimResult } from './unclaim.js';
export type { AddPackageOptions, AddPackageResult, PublishOptions, PublishResult, PackageCoverage } from './packages.js';
export type { NewKey, RotateOptions, RotateResult, RevokeOptions } from './rotation.js';
export type { RepositoryStatus, RoleStatus, BinsStatus } from './status.js';
export { NpmRepository, initRepository, openRepository } from './npm-api.js';
export { startExpiryRenewer, type ExpiryRenewer, type ExpiryRenewerOptions } from './expiry-renewer.js';
export { createPublishSigner, createPublishHook, type PublishSigner, type PublishSignerOptions, type PublishEventLike } from './publish-signer.js';
// Maintainer keys (the `tufpm` CLI) and the registry's check of maintainer-signed releases (docs/maintainers.md).
export {
  RoleRefusedError,
  RoleVersionError,
  RolePathError,
  RoleTargetError,
  ReleaseStagedError,
  SignatureRequiredError,
  PassphraseError,
  ClaimError,
  RegistryResponseError,
  MaintainerConfigError,
} from './maintainer/errors.js';
export { createMaintainerPublishHook, howToSign, TUFPM_FIELD, type MaintainerPublishEvent, type MaintainerHookOptions, type MaintainerPublishHook } from './maintainer/publish-hook.js';
export { createMaintainerRoutes, claimsDir, claimRequestFile, keyChangeFile } from './maintainer/routes.js';
export { doneRequestFile, requestFile, storeRequest, MAX_PENDING_PER_USER, MAX_PENDING_TOTAL, RequestRefusedError, type RequestKind } from './maintainer/request-store.js';
export { findToken, hashToken, parseTokensFile, readTokensFile, tokenAllows, TokensFileError, MAX_TOKEN_LENGTH, type TokenEntry, type TokensFile } from './tokens-file.js';
export { findOrphans, type OrphanStatus } from './orphans.js';
export { checkRelease, checkRoleSignatures, delegationFor, identicalTarget, sameTarget, type ReleaseCheckInput, type ReleaseCheckResult, type UploadedTarball } from './maintainer/release-check.js';
export { buildReleaseRole, prepareRelease, signRole, parseRole, roleFromJsonValue, roleFileFor, DEFAULT_ROLE_EXPIRY_SECONDS, type ReleaseRole } from './maintainer/role-build.js';
export { buildRefreshRole, acceptRoleRefresh } from './maintainer/role-refresh.js';
export { approveClaim, createClaimRequest, parseClaimRequest, verifyClaimRequest, claimRequestToJSON, delegatedRoleFor, CLAIM_REQUEST_TYPE, type ClaimRequest, type ApproveClaimResult } from './maintainer/claims.js';
export { applyKeyChange, checkKeyChangeApprovals, createKeyChange, signKeyChange, parseKeyChange, keyChangeToJSON, approvalBytes, KEY_CHANGE_TYPE, type KeyChangeRequest } from './maintainer/key-change.js';
export { generateMaintainerKey, readMaintainerSigner, readMaintainerPublicKey, isEncryptedKeyFile, MIN_PASSPHRASE_LENGTH, type GeneratedKey } from './maintainer/key-file.js';
export { readStaged, listStaged, stagedDir, type StagedRelease } from './maintainer/staging.js';
export { publishRelease, fetchStaged, submitClaim, fetchVersions, type PublishReleaseOptions, type PublishReleaseResult, type RemoteStaged } from './maintainer/registry-client.js';
export { readNpmrc, registryFor, tokenFor, type NpmrcSettings } from './maintainer/npmrc.js';
export { defaultLatest, versionOfTargetPath } from './release-index.js';
export { snapshotProfileOf, declareMerkleProfile, openMerkleStore, merkleSnapshotStub, merkleRoleSource, type SnapshotProfile } from './merkle-snapshot.js';
