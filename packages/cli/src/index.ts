// The only public surface of @tufpm/cli: the project-side CI gate (ADR 0015).
export { verifyProject, type ProjectVerifyOptions, type ProjectVerifyResult, type VerifiedPackage } from './check.js';
export { runVerifyCli, USAGE, type VerifyCliContext } from './run.js';
export { readProjectLockfiles, VerifyUsageError, type ProjectLockfile } from './project-lockfiles.js';
export { parsePackageLock } from './package-lock.js';
export { parseYarnLock, splitLocator } from './yarn-lock.js';
export type { LockEntry, EntryKind } from './lock-entries.js';
