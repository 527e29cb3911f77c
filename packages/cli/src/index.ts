// The only public surface of @tufpm/cli: the project-side CI gate (ADR 0015) and the reviewer's pins diff (ADR 0016).
export { verifyProject, type ProjectVerifyOptions, type ProjectVerifyResult, type VerifiedPackage } from './check.js';
export { runVerifyCli, USAGE, type VerifyCliContext } from './run.js';
export { readProjectLockfiles, VerifyUsageError, type ProjectLockfile } from './project-lockfiles.js';
export { parsePackageLock } from './package-lock.js';
export { parseYarnLock, splitLocator } from './yarn-lock.js';
export type { LockEntry, EntryKind } from './lock-entries.js';
export { runDiffCli, DIFF_USAGE, type DiffCliContext } from './diff/diff-cli.js';
export { diffPins, hasChanges, type PinsDiff, type PackageChange, type SignerChange, type KeysChange, type StateChange, type Warning as DiffWarning } from './diff/pins-diff.js';
export { formatText as formatDiffText, formatMarkdown as formatDiffMarkdown, type DiffLabels } from './diff/diff-format.js';
export { DiffError, type DiffErrorCode } from './diff/git-pins.js';
