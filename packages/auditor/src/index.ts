// @tufpm/auditor public surface: one audit round, and the CLI (tufpm-auditor).
export { auditOnce, readSignerFile, type AuditOptions, type AuditResult } from './audit.js';
export { AuditForkError, AuditorConfigError } from './errors.js';
export { runAuditorCli, type CliIo } from './cli.js';
