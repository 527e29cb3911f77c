import { execFile } from 'node:child_process';
import { readBoundedFile } from '@tufpm/merkle';
import { TufError } from '@tufpm/models';
import { parseLockfile, type SideLockfile } from '@tufpm/verify';

// Where `tufpm-diff` reads the two sides of a change: a git revision (through the git CLI, the tool every
// reviewer has; no git library), the working tree, or two plain files. Everything read is untrusted (a pull
// request wrote it): bounded before it is read, then parsed as strictly as installs parse it.

/** Same bound as installs put on tufpm-lock.json. */
export const MAX_PINS_BYTES = 64 * 1024 * 1024;

export type DiffErrorCode = 'TUF_DIFF_USAGE' | 'TUF_DIFF_GIT';

/** `tufpm-diff` could not read one side (usage: exit 2; git: exit 1). Nothing is ever written. */
export class DiffError extends TufError {
  constructor(code: DiffErrorCode, message: string, readonly recovery: string) {
    super(code, message);
  }
}

export interface PinsSide {
  /** what this side is, for people: `working tree`, `HEAD (1a2b3c4)`, `origin/main (merge base 1a2b3c4)`, a path */
  label: string;
  /** the commit, for git sides */
  commit?: string;
  /** undefined: the file does not exist on this side */
  lock: SideLockfile | undefined;
}

function git(args: string[], cwd: string, maxBuffer = 1024 * 1024): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, encoding: 'buffer', maxBuffer, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (error !== null && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new DiffError('TUF_DIFF_GIT', 'git is not installed (or not on PATH)', 'install git, or compare two files with --files OLD NEW'));
        return;
      }
      if (error !== null && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr: stderr.toString('utf8') });
    });
  });
}

async function commitOf(ref: string, cwd: string): Promise<string> {
  // a ref comes from the command line: never let it be read as an option by git
  if (ref.startsWith('-')) throw new DiffError('TUF_DIFF_USAGE', `not a git revision: ${ref}`, 'give a branch, tag or commit, e.g. origin/main');
  const res = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], cwd);
  if (res.code !== 0) {
    const inRepo = await git(['rev-parse', '--is-inside-work-tree'], cwd);
    if (inRepo.code !== 0) throw new DiffError('TUF_DIFF_GIT', `${cwd} is not inside a git work tree`, 'run tufpm-diff in the project\'s git checkout, or compare two files with --files OLD NEW');
    throw new DiffError('TUF_DIFF_GIT', `unknown git revision ${JSON.stringify(ref)}`, 'fetch it first (git fetch origin main), or name another branch, tag or commit');
  }
  return res.stdout.toString('utf8').trim();
}

/** The base commit: HEAD when no ref is given, else the merge base of ref and the head (as a pull request shows). */
export async function baseCommit(cwd: string, ref: string | undefined, headCommit: string | undefined): Promise<{ commit: string; label: string }> {
  if (ref === undefined) {
    const commit = await commitOf('HEAD', cwd);
    return { commit, label: `HEAD (${commit.slice(0, 7)})` };
  }
  const target = await commitOf(ref, cwd);
  const head = headCommit ?? (await commitOf('HEAD', cwd));
  const res = await git(['merge-base', target, head], cwd);
  if (res.code !== 0) throw new DiffError('TUF_DIFF_GIT', `${ref} and the head have no common ancestor`, 'compare with --no-merge-base, or fetch more history (git fetch --unshallow)');
  const commit = res.stdout.toString('utf8').trim();
  return { commit, label: commit === target ? `${ref} (${commit.slice(0, 7)})` : `${ref} (merge base ${commit.slice(0, 7)})` };
}

export async function headCommit(cwd: string, ref: string): Promise<string> {
  return commitOf(ref, cwd);
}

/** A file (`file`, relative to `cwd`) as committed in `commit`, at most `max` bytes, or undefined when absent there. */
export async function readBlobAtCommit(cwd: string, commit: string, file: string, label: string, max: number): Promise<string | undefined> {
  // `<commit>:./<file>` is resolved against cwd, so a project in a subdirectory of the repository works
  const object = `${commit}:./${file}`;
  const size = await git(['cat-file', '-s', object], cwd);
  if (size.code !== 0) return undefined;
  const bytes = Number(size.stdout.toString('utf8').trim());
  if (!Number.isSafeInteger(bytes) || bytes > max) {
    throw new DiffError('TUF_DIFF_GIT', `${file} in ${label} is larger than ${max} bytes`, 'this is no file an install would accept; review the change by hand');
  }
  const blob = await git(['cat-file', 'blob', object], cwd, max + 1);
  if (blob.code !== 0) throw new DiffError('TUF_DIFF_GIT', `git cannot read ${object}: ${blob.stderr.trim().slice(0, 300)}`, 'check the repository (git fsck)');
  return blob.stdout.toString('utf8');
}

/** tufpm-lock.json (`file`, relative to `cwd`) as committed in `commit`, or undefined when absent there. */
export async function readPinsAtCommit(cwd: string, commit: string, file: string, label: string): Promise<PinsSide> {
  const text = await readBlobAtCommit(cwd, commit, file, label, MAX_PINS_BYTES);
  return { label, commit, lock: text === undefined ? undefined : parseLockfile(text, `${file} (${label})`) };
}

/** A lockfile on disk (the working tree, or one of two files compared), or undefined when it does not exist. */
export async function readPinsFile(path: string, label: string): Promise<PinsSide> {
  const read = await readBoundedFile(path, MAX_PINS_BYTES);
  if (read.kind === 'missing') return { label, lock: undefined };
  if (read.kind === 'not-a-file') throw new DiffError('TUF_DIFF_USAGE', `${path} is not a file`, 'name a tufpm-lock.json file');
  if (read.kind === 'too-large') throw new DiffError('TUF_DIFF_USAGE', `${path} is larger than ${MAX_PINS_BYTES} bytes`, 'this is no tufpm-lock.json an install would accept');
  return { label, lock: parseLockfile(new TextDecoder().decode(read.bytes), path) };
}
