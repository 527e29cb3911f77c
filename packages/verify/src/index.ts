export { InstallVerifier, normalizeRegistry, DEFAULT_TRUSTED_ROOT_NAME } from './verifier.js';
export type { VerifierOptions, VerifyMode, SignedTarget, VerifierSummary, ProgressEvent } from './verifier.js';
export { VerifyError, describeFailure } from './errors.js';
export type { VerifyErrorCode, VerifyErrorDetails } from './errors.js';
export { DEFAULT_LOCKFILE_NAME, LOCKFILE_VERSION, readLockfile, parseLockfile, serializeLockfile, writeLockfile } from './lockfile.js';
export type { SideLockfile, PinnedPackage } from './lockfile.js';
export { targetPathFor, parseTarballUrl, isValidPackageName, isValidVersion } from './target-path.js';
export { sha512HexToIntegrity, integrityToSha512Hex } from './sri.js';
export { bootstrapTrustedRoot, type BootstrapOptions, type BootstrapResult } from './bootstrap.js';
