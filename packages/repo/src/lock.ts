import { link, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TufError } from '@tufpm/models';
import { isErrno } from './fs-util.js';

export class RepositoryLockedError extends TufError {
  constructor(message: string) {
    super('TUF_REPO_LOCKED', message);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

const inProcess = new Map<string, Promise<unknown>>();

/**
 * Runs fn while holding `<keysDir>/repo.lock`: the registry (on every publish) and the operator CLI
 * both rewrite snapshot and timestamp, and two writers would each bump from the same version.
 * Inside one process calls are queued; across processes a lock file with the holder's pid is used,
 * taken over when that process no longer exists.
 */
export async function withRepositoryLock<T>(keysDir: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const prev = inProcess.get(keysDir) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(() => withFileLock(keysDir, fn, timeoutMs));
  inProcess.set(keysDir, run);
  try {
    return await run;
  } finally {
    if (inProcess.get(keysDir) === run) inProcess.delete(keysDir);
  }
}

async function withFileLock<T>(keysDir: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const path = join(keysDir, 'repo.lock');
  const deadline = Date.now() + timeoutMs;
  // The lock appears with its pid already in it (written aside, then hard-linked: link fails with EEXIST
  // like open 'wx'). Created empty and then written, a kill -9 between the two left an empty repo.lock
  // that no later run could take over (no pid to test), so every later command failed TUF_REPO_LOCKED.
  const mine = join(keysDir, `.repo.lock.${process.pid}`);
  await writeFile(mine, String(process.pid), { mode: 0o600 });
  for (;;) {
    try {
      await link(mine, path);
      break;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) {
        await rm(mine, { force: true });
        throw err;
      }
    }
    let holder = NaN;
    try {
      holder = Number((await readFile(path, 'utf8')).trim());
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      continue;
    }
    if (Number.isSafeInteger(holder) && holder > 0 ? !alive(holder) : await olderThan(path, 10_000)) {
      // a dead holder, or a lock without a pid (written by an older tufpm-repo that was killed mid-create)
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      await rm(mine, { force: true });
      throw new RepositoryLockedError(`${path} is held by process ${holder}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await rm(mine, { force: true });
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
