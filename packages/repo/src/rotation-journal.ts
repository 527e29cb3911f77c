import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MetadataParseError, parseJsonStrict } from '@tufpm/models';
import { RepositoryStateError } from './errors.js';
import { exists, isErrno, readFileBounded } from './fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';
import { keyDirFor, retireKeyFile, writeKeyPair } from './keys.js';

/**
 * A key rotation touches two places that cannot change together: the key files and the signed metadata.
 * A kill -9 between them used to leave a key file the role does not list (or an old one it no longer
 * lists), and every later command stopped on TUF_KEY_MISMATCH (the deliberate stale-file guard in
 * `roleSigners`). So a rotation first writes this journal and the new key under a `.pending` name that
 * `roleSigners` does not read, then persists the metadata, then finishes: the metadata on disk decides.
 * If the role lists the new key, the pending key is promoted and the old key file retired; if not, the
 * rotation never happened and the pending key is set aside (never deleted: no key is lost).
 * Every repository transaction finishes an interrupted rotation before it does anything else.
 */
const JOURNAL_FILE = 'rotation-journal.json';
const MAX_JOURNAL_BYTES = 16 * 1024;
const PENDING = '.pending';

export interface RotationJournal {
  role: string;
  oldKeyid: string;
  newKeyid: string;
  /** the old key's file, retired once the metadata no longer lists the old key */
  oldKeyFile?: string;
  /** the new private key's final path; it sits at `<path>.pending` (and its public half beside it) until promoted */
  newKeyFile?: string;
}

function journalPath(keysDir: string): string {
  return join(keysDir, JOURNAL_FILE);
}

function pendingOf(path: string): string {
  return path + PENDING;
}

function publicOf(privatePath: string): string {
  return privatePath.replace(/\.pem$/, '.pub.pem');
}

/** Writes the journal, then the new key pair under pending names (the journal first: a pending key is never unaccounted for). */
export async function beginRotation(keysDir: string, journal: Omit<RotationJournal, 'newKeyFile'>, newKey?: { base: string; privateKeyPem: string }): Promise<RotationJournal> {
  const full: RotationJournal = { ...journal };
  if (newKey !== undefined) full.newKeyFile = join(keyDirFor(keysDir, journal.role), `${newKey.base}.pem`);
  await writeFileAtomic(journalPath(keysDir), JSON.stringify(full, null, 2) + '\n', { mode: 0o600 });
  if (newKey !== undefined) await writeKeyPair(keyDirFor(keysDir, journal.role), newKey.base, newKey.privateKeyPem, PENDING);
  return full;
}

/** The journal of an interrupted rotation, or undefined. A damaged journal stops everything: the operator's key state is unknown. */
export async function readRotationJournal(keysDir: string): Promise<RotationJournal | undefined> {
  const path = journalPath(keysDir);
  let bytes: Uint8Array;
  try {
    bytes = await readFileBounded(path, MAX_JOURNAL_BYTES);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  const broken = (why: string, cause?: unknown): never => {
    throw new RepositoryStateError(`${path} (the journal of an interrupted key rotation) is damaged: ${why}; check the key files of the role by hand, then remove it`, cause === undefined ? {} : { cause });
  };
  let obj: unknown;
  try {
    obj = parseJsonStrict(bytes, MAX_JOURNAL_BYTES);
  } catch (err) {
    if (err instanceof MetadataParseError) return broken(err.message, err);
    throw err;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return broken('not a JSON object');
  const o = obj as Record<string, unknown>;
  for (const field of ['role', 'oldKeyid', 'newKeyid']) if (typeof o[field] !== 'string' || o[field] === '') broken(`"${field}" is not a string`);
  for (const field of ['oldKeyFile', 'newKeyFile']) if (o[field] !== undefined && typeof o[field] !== 'string') broken(`"${field}" is not a string`);
  const keyDirs = [join(keysDir, 'offline'), join(keysDir, 'online')];
  for (const field of ['oldKeyFile', 'newKeyFile'] as const) {
    const p = o[field] as string | undefined;
    // The journal only ever names key files of this keys directory: never move a file from elsewhere.
    if (p !== undefined && !keyDirs.some((d) => p.startsWith(d + '/') && !p.slice(d.length + 1).includes('/'))) broken(`"${field}" is outside ${keysDir}`);
  }
  return o as unknown as RotationJournal;
}

async function renameIfPresent(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/**
 * Completes (or sets aside) a rotation according to the keyids the role lists in the persisted metadata.
 * Idempotent: a kill during this step is finished by the next run. Returns where the old key went.
 */
export async function finishRotation(keysDir: string, journal: RotationJournal, listedKeyids: readonly string[]): Promise<{ retiredKeyFile?: string }> {
  const committed = listedKeyids.includes(journal.newKeyid);
  if (journal.newKeyFile !== undefined) {
    const finalPrivate = journal.newKeyFile;
    if (committed) {
      // Public half first: the private file is what roleSigners reads, so it appears last.
      await renameIfPresent(pendingOf(publicOf(finalPrivate)), publicOf(finalPrivate));
      const promoted = await renameIfPresent(pendingOf(finalPrivate), finalPrivate);
      if (!promoted && !(await exists(finalPrivate))) {
        throw new RepositoryStateError(`the metadata lists the new key ${journal.newKeyid} of role "${journal.role}", but its key file ${finalPrivate} is missing (journal ${journalPath(keysDir)})`);
      }
    } else if (await exists(pendingOf(finalPrivate))) {
      await retireKeyFile(keysDir, pendingOf(finalPrivate), journal.role, journal.newKeyid, { label: '.never-used', publicPath: pendingOf(publicOf(finalPrivate)) });
    }
  }
  const out: { retiredKeyFile?: string } = {};
  if (committed && journal.oldKeyFile !== undefined && !listedKeyids.includes(journal.oldKeyid) && (await exists(journal.oldKeyFile))) {
    out.retiredKeyFile = await retireKeyFile(keysDir, journal.oldKeyFile, journal.role, journal.oldKeyid);
  }
  await rm(journalPath(keysDir), { force: true });
  return out;
}
