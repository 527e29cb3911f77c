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
export { loadRepository, persistRepository, planPersist, metadataFileName, type PersistOptions, type PlannedFile } from './repository-io.js';
export { writeFileAtomic } from './fs-util.js';
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
export { DEFAULT_EXPIRIES, parseDuration, readConfig, type Expiries, type RepoConfig } from './config.js';
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
export { UNCLAIMED_ROLE, UNCLAIMED_PATHS, DEFAULT_BIT_LENGTH, expiresIn, type InitOptions, type OpenOptions } from './npm-repository.js';
export type { AddPackageOptions, AddPackageResult, PublishOptions, PublishResult, PackageCoverage } from './packages.js';
export type { NewKey, RotateOptions, RotateResult, RevokeOptions } from './rotation.js';
export type { RepositoryStatus, RoleStatus, BinsStatus } from './status.js';
export { NpmRepository, initRepository, openRepository } from './npm-api.js';
export { createPublishSigner, createPublishHook, type PublishSigner, type PublishSignerOptions, type PublishEventLike } from './publish-signer.js';
