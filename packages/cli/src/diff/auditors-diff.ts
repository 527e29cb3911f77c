import type { RoleKeys } from '@tufpm/verify';
import type { PinsDiff } from './pins-diff.js';

// The auditor requirement of the Merkle profile, for review (ADR 0016, ADR 0022). tufpm-auditors.json is how
// a team requires cosignatures of its auditors on each tree root; a pull request that deletes it, lowers its
// threshold or swaps its keys turns the split-view check off for every install. The same holds for the
// requirement tufpm-lock.json records (`merkle.auditors`), which installs enforce (TUF_AUDITORS_REMOVED).

export interface AuditorsChange {
  /** `file`: the project's tufpm-auditors.json (git sides only); `pins`: merkle.auditors in tufpm-lock.json */
  source: 'file' | 'pins';
  from: RoleKeys | null;
  to: RoleKeys | null;
  addedKeyids: string[];
  removedKeyids: string[];
}

const WHERE = { file: 'tufpm-auditors.json', pins: 'the auditor requirement recorded in tufpm-lock.json (merkle.auditors)' } as const;

/** Records a change of the auditor policy on one side, with a warning whenever it weakens (or drops) it. */
export function compareAuditors(source: AuditorsChange['source'], from: RoleKeys | undefined, to: RoleKeys | undefined, out: PinsDiff): void {
  const addedKeyids = (to?.keyids ?? []).filter((id) => !(from?.keyids ?? []).includes(id)).sort();
  const removedKeyids = (from?.keyids ?? []).filter((id) => !(to?.keyids ?? []).includes(id)).sort();
  if (from?.threshold === to?.threshold && addedKeyids.length === 0 && removedKeyids.length === 0) return;
  (out.auditors ??= []).push({ source, from: from ?? null, to: to ?? null, addedKeyids, removedKeyids });
  if (from === undefined) return;
  const what = WHERE[source];
  if (to === undefined) {
    out.warnings.push({ code: 'AUDITORS_REMOVED', message: `${what} is removed: installs no longer require ${from.threshold} of ${from.keyids.length} auditor cosignature(s) on the Merkle tree root (a split view goes unnoticed)` });
    return;
  }
  if (to.threshold < from.threshold) {
    out.warnings.push({ code: 'AUDITORS_THRESHOLD_LOWERED', message: `${what}: the tree root needs ${to.threshold} auditor cosignature(s) now, ${from.threshold} before` });
  }
  // a key not trusted before counts toward the threshold: unless the threshold rose to match, it can stand in
  // for the team's auditors (an attacker's own auditor key)
  if (addedKeyids.length > 0 && to.threshold - addedKeyids.length < from.threshold) {
    const all = removedKeyids.length > 0 && removedKeyids.length === from.keyids.length;
    out.warnings.push({
      code: 'AUDITORS_KEYS_REPLACED',
      message: `${what}: ${all ? 'every auditor key was replaced' : `${addedKeyids.length} auditor key(s) added (${addedKeyids.map((id) => id.slice(0, 8)).join(', ')})`} without raising the threshold to match: check who holds ${addedKeyids.length === 1 ? 'it' : 'them'}`,
    });
  }
}
