// tufpm-auditors.json (ADR 0022): the project's own choice of Merkle-tree auditors and how many of them must
// have cosigned a tree root before an install trusts it. Committed beside tufpm-root.json and reviewed like
// it; never taken from the registry (a registry showing a split view would name its own "auditors").
import { parseAuditorPolicy, type AuditorPolicy } from '@tufpm/client';
import { readBoundedFile } from '@tufpm/merkle';
import { MetadataParseError, parseJsonStrict } from '@tufpm/models';
import { VerifyError } from './errors.js';

export const DEFAULT_AUDITORS_NAME = 'tufpm-auditors.json';
export const MAX_AUDITORS_BYTES = 64 * 1024;

function configError(path: string, what: string, cause?: unknown): VerifyError {
  return new VerifyError('TUF_AUDITORS_CONFIG', `${path}: ${what}`, {
    attack: 'none detected: the project\'s auditor configuration is malformed (the registry was not contacted)',
    recovery: `restore ${DEFAULT_AUDITORS_NAME} from version control; it lists {"threshold": n, "keys": {keyid: key}} of the auditors your team trusts`,
    cause,
  });
}

/** The raw JSON and the policy of a tufpm-auditors.json's bytes (as read from disk or from a git revision). */
export function parseAuditorsFile(bytes: Uint8Array, path: string): { raw: unknown; policy: AuditorPolicy } {
  if (bytes.length > MAX_AUDITORS_BYTES) throw configError(path, `larger than ${MAX_AUDITORS_BYTES} bytes`);
  try {
    const raw = parseJsonStrict(bytes, MAX_AUDITORS_BYTES);
    return { raw, policy: parseAuditorPolicy(raw, path) };
  } catch (error) {
    if (error instanceof MetadataParseError) throw configError(path, error.message, error);
    throw error;
  }
}

/** The raw JSON (plain data: it crosses to the TUF worker) and the policy it declares, or undefined without a file. */
export async function readAuditorPolicy(path: string): Promise<{ raw: unknown; policy: AuditorPolicy } | undefined> {
  const read = await readBoundedFile(path, MAX_AUDITORS_BYTES);
  if (read.kind === 'missing') return undefined;
  if (read.kind === 'not-a-file') throw configError(path, 'not a regular file');
  if (read.kind === 'too-large') throw configError(path, `larger than ${MAX_AUDITORS_BYTES} bytes`);
  return parseAuditorsFile(read.bytes, path);
}
