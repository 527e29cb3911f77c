import { join } from 'node:path';
import { DEFAULT_AUDITORS_NAME, MAX_AUDITORS_BYTES, auditorsRecord, parseAuditorsFile, readAuditorPolicy, type RoleKeys } from '@tufpm/verify';
import { compareAuditors } from './auditors-diff.js';
import { readBlobAtCommit } from './git-pins.js';
import type { PinsDiff } from './pins-diff.js';

// tufpm-auditors.json on both git sides of a review (ADR 0022): parsed as strictly as installs parse it
// (a malformed file on either side is TUF_AUDITORS_CONFIG, exit 1), then compared as keyids and threshold.

async function atCommit(project: string, side: { commit: string; label: string }): Promise<RoleKeys | undefined> {
  const text = await readBlobAtCommit(project, side.commit, DEFAULT_AUDITORS_NAME, side.label, MAX_AUDITORS_BYTES);
  return text === undefined ? undefined : auditorsRecord(parseAuditorsFile(Buffer.from(text, 'utf8'), `${DEFAULT_AUDITORS_NAME} (${side.label})`).policy);
}

/** Adds the change of the project's auditors file between `base` and `head` (a commit, or the working tree). */
export async function addAuditorsFileChange(diff: PinsDiff, project: string, base: { commit: string; label: string }, head: { commit?: string; label: string }): Promise<void> {
  const from = await atCommit(project, base);
  const to = head.commit !== undefined
    ? await atCommit(project, { commit: head.commit, label: head.label })
    : await readAuditorPolicy(join(project, DEFAULT_AUDITORS_NAME)).then((p) => (p === undefined ? undefined : auditorsRecord(p.policy)));
  compareAuditors('file', from, to, diff);
}
