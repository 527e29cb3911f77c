// Errors of tufpm-auditor that are not the tree's own (those are @tufpm/merkle's MerkleDeltaError,
// TUF_MERKLE_DELTA: a delta that lowers a version, revives a tombstone or does not recompute the signed root).
import { TufError } from '@tufpm/models';

/** The repository's history does not lead from the root this auditor verified to the one it signs now. */
export class AuditForkError extends TufError {
  constructor(message: string) {
    super('TUF_AUDIT_FORK', message);
    this.name = 'AuditForkError';
  }
}

/** Bad auditor configuration or state (not a repository problem). */
export class AuditorConfigError extends TufError {
  constructor(message: string) {
    super('TUF_AUDITOR_CONFIG', message);
    this.name = 'AuditorConfigError';
  }
}
