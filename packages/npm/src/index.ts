// The only public surface of @tufpm/npm.
export { runCli, EXIT_OK, EXIT_FAILURE, EXIT_USAGE, type RunContext } from './run.js';
export { parseCliArgs, USAGE, type ParsedArgs, type Command } from './args.js';
export { loadConfig, normalizeRegistry, unsafeSettings, type NpmConfig, type ConfigInputs } from './config.js';
export { OPTION_RULES, ruleFor, type OptionRule, type OptionStatus } from './options.js';
export { workspaceNames } from './workspaces.js';
export { classifyNode, type NodeSource } from './sources.js';
export { verifyTree, sha512Digests, type TreeVerifyOptions, type TreeVerifyResult } from './tree-verify.js';
export { runInstall, arboristOptions, openVerifier, VerificationFailures, type InstallRequest, type InstallResult, type TreeCommandName } from './install.js';
export { runVerifyLock, type VerifyLockResult } from './verify-lock.js';
export { runStatus, formatStatus, type StatusResult } from './status.js';
export { failOnOptionalIntegrityErrors, refuseUnverifiedExtractions, UnsupportedArboristError } from './reify-guard.js';
export { NpmUsageError, NpmVerifyError, PackageContextError, type NpmFailureCode, type NpmUsageCode } from './errors.js';
export { toReport, formatReport, type FailureReport, type Output } from './report.js';
