import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readBoundedFile } from '@tufpm/merkle';
import { VerifyError } from '@tufpm/verify';
import { MAX_LOCK_BYTES, malformedLock, type LockEntry } from './lock-entries.js';
import { parsePackageLock } from './package-lock.js';
import { parseYarnLock } from './yarn-lock.js';

export interface ProjectLockfile {
  path: string;
  /** the file name, for reports */
  name: string;
  format: 'npm' | 'yarn';
  entries: LockEntry[];
}

/** A command line or project the verifier cannot work on (exit 2): nothing was verified. */
export class VerifyUsageError extends VerifyError {
  constructor(message: string) {
    super('TUF_VERIFY_USAGE', message, { attack: 'none (usage)', recovery: 'see tufpm-verify --help' });
  }
}

/** Reads at most MAX_LOCK_BYTES: a lockfile is untrusted input (a pull request writes it). A missing file throws ENOENT. */
export async function readBounded(path: string): Promise<string> {
  const read = await readBoundedFile(path, MAX_LOCK_BYTES);
  if (read.kind === 'missing') throw read.error;
  if (read.kind === 'not-a-file') throw malformedLock(path, 'is not a regular file');
  if (read.kind === 'too-large') throw malformedLock(path, `is ${read.size} bytes (more than ${MAX_LOCK_BYTES})`);
  return new TextDecoder().decode(read.bytes);
}

function formatOf(path: string): 'npm' | 'yarn' {
  const name = basename(path);
  if (name === 'yarn.lock') return 'yarn';
  if (name === 'package-lock.json' || name === 'npm-shrinkwrap.json') return 'npm';
  throw new VerifyUsageError(`${path}: not a lockfile tufpm-verify reads (yarn.lock, package-lock.json, npm-shrinkwrap.json)`);
}

/**
 * The project's lockfiles: the ones given, or every one present (yarn.lock, and npm-shrinkwrap.json or else
 * package-lock.json, as npm prefers the shrinkwrap). None at all is a usage error.
 */
export async function readProjectLockfiles(projectDir: string, given?: string[]): Promise<ProjectLockfile[]> {
  let paths: string[];
  if (given !== undefined && given.length > 0) paths = given.map((p) => resolve(projectDir, p));
  else {
    paths = [];
    if (existsSync(join(projectDir, 'yarn.lock'))) paths.push(join(projectDir, 'yarn.lock'));
    if (existsSync(join(projectDir, 'npm-shrinkwrap.json'))) paths.push(join(projectDir, 'npm-shrinkwrap.json'));
    else if (existsSync(join(projectDir, 'package-lock.json'))) paths.push(join(projectDir, 'package-lock.json'));
  }
  if (paths.length === 0) throw new VerifyUsageError(`no yarn.lock, package-lock.json or npm-shrinkwrap.json in ${projectDir}`);
  const out: ProjectLockfile[] = [];
  for (const path of paths) {
    const format = formatOf(path);
    let text: string;
    try {
      text = await readBounded(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new VerifyUsageError(`${path} does not exist`);
      throw error;
    }
    out.push({ path, name: basename(path), format, entries: format === 'npm' ? parsePackageLock(path, text) : parseYarnLock(path, text) });
  }
  return out;
}
