// tufpm-auditors.json (ADR 0022): the project's own choice of Merkle-tree auditors and how many of them must
// have cosigned a tree root before an install trusts it. Committed beside tufpm-root.json and reviewed like
// it; never taken from the registry (a registry showing a split view would name its own "auditors").
import { readFile, stat } from 'node:fs/promises';
import { parseAuditorPolicy, type AuditorPolicy } from '@tufpm/client';
import { MetadataParseError, parseJsonStrict } from '@tufpm/models';
import { VerifyError } from './errors.js';

export const DEFAULT_AUDITORS_NAME = 'tufpm-auditors.json';
const MAX_AUDITORS_BYTES = 64 * 1024;

/** The raw JSON (plain data: it crosses to the TUF worker) and the policy it declares, or undefined without a file. */
export async function readAuditorPolicy(path: string): Promise<{ raw: unknown; policy: AuditorPolicy } | undefined> {
  const fail = (what: string, cause?: unknown): never => {
    throw new VerifyError('TUF_AUDITORS_CONFIG', `${path}: ${what}`, {
      attack: 'none detected: the project\'s auditor configuration is malformed (the registry was not contacted)',
      recovery: `restore ${DEFAULT_AUDITORS_NAME} from version control; it lists {"threshold": n, "keys": {keyid: key}} of the auditors your team trusts`,
      cause,
    });
  };
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (size > MAX_AUDITORS_BYTES) fail(`larger than ${MAX_AUDITORS_BYTES} bytes`);
  try {
    const raw = parseJsonStrict(new Uint8Array(await readFile(path)), MAX_AUDITORS_BYTES);
    return { raw, policy: parseAuditorPolicy(raw, path) };
  } catch (error) {
    if (error instanceof MetadataParseError) return fail(error.message, error);
    throw error;
  }
}
