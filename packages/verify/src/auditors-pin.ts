// The auditor requirement as recorded in tufpm-lock.json (ADR 0022). A project that commits
// tufpm-auditors.json makes every install require a threshold of its auditors' cosignatures on the Merkle
// tree root; the pins record that requirement (`merkle.auditors`: keyids and threshold). A pull request that
// deletes the auditors file, lowers its threshold or brings in keys of its own would otherwise turn the
// split-view check off without touching the pins; here it is refused before the registry is contacted.
import type { AuditorPolicy } from '@tufpm/client';
import { VerifyError } from './errors.js';
import type { RoleKeys, SideLockfile } from './lockfile.js';
import { DEFAULT_AUDITORS_NAME } from './auditors.js';

/** What the pins record of a policy: its keyids (sorted) and threshold. */
export function auditorsRecord(policy: AuditorPolicy): RoleKeys {
  return { keyids: [...policy.keys.keys()].sort(), threshold: policy.threshold };
}

/**
 * Why `policy` is weaker than `recorded`, or undefined when it is at least as strong: every set of
 * `policy.threshold` of its keys must hold at least `recorded.threshold` recorded keys, i.e.
 * threshold - |keys not recorded| >= recorded threshold (keys added without raising the threshold can stand
 * in for recorded ones; removing keys alone weakens nothing).
 */
export function auditorsWeakening(recorded: RoleKeys, policy: AuditorPolicy | undefined): string | undefined {
  if (policy === undefined) return `${DEFAULT_AUDITORS_NAME} is missing`;
  const known = new Set(recorded.keyids);
  const fresh = [...policy.keys.keys()].filter((id) => !known.has(id));
  if (policy.threshold - fresh.length >= recorded.threshold) return undefined;
  if (policy.threshold < recorded.threshold && fresh.length === 0) return `${DEFAULT_AUDITORS_NAME} needs ${policy.threshold} cosignature(s), the pins recorded ${recorded.threshold}`;
  return `${DEFAULT_AUDITORS_NAME} (threshold ${policy.threshold}) lists ${fresh.length} key(s) the pins never recorded (${fresh.map((id) => id.slice(0, 12)).join(', ')}), so fewer than the recorded ${recorded.threshold} auditor(s) would be needed`;
}

/**
 * TAP 16 auditors, as pinned (ADR 0022): refuses a project whose tufpm-auditors.json is gone or weaker than
 * the requirement tufpm-lock.json recorded (`TUF_AUDITORS_REMOVED`). Pure; runs before any request.
 */
export function checkAuditorsAgainstPins(pins: SideLockfile, policy: AuditorPolicy | undefined, lockfilePath: string): void {
  const recorded = pins.merkle?.auditors;
  if (recorded === undefined) return;
  const why = auditorsWeakening(recorded, policy);
  if (why === undefined) return;
  throw new VerifyError('TUF_AUDITORS_REMOVED', `${why}, but ${lockfilePath} records that ${recorded.threshold} of ${recorded.keyids.length} auditor(s) must cosign the tree root`, {
    attack: 'auditor requirement removed or weakened by a change to the project (split view no longer caught)',
    recovery: `nothing was contacted or installed; restore ${DEFAULT_AUDITORS_NAME} from version control. If your team removes or changes its auditors on purpose, remove merkle.auditors from tufpm-lock.json in the same reviewed change (tufpm diff flags it as AUDITORS_REMOVED)`,
  });
}
