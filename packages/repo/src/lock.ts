import { open, readFile, rm } from 'node:fs/promises';
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
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    let holder = NaN;
    try {
      holder = Number((await readFile(path, 'utf8')).trim());
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      continue;
    }
    if (Number.isSafeInteger(holder) && holder > 0 && !alive(holder)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new RepositoryLockedError(`${path} is held by process ${holder}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
