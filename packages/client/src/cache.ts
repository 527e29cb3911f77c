// Local metadata cache: one file per role, holding the exact bytes that were verified, named
// `<encodeURIComponent(role)>.json` so a role name can never escape the directory. Writes are atomic
// (temp file in the same directory, fsync, rename): a crash leaves the old or the new file, never half.
import { mkdirSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRoleName, isTopLevelRole } from '@tufpm/models';
import { writeFileAtomic } from '@tufpm/merkle';
import { CacheError } from './errors.js';

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** Create `dir` (and parents) with mode 0700 when missing; an existing directory is left as the user made it. */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new CacheError(`cannot create directory ${dir}`, { cause: err });
  }
  if (!statSync(dir).isDirectory()) throw new CacheError(`${dir} is not a directory`);
}

/** The mode of the files the client and installers keep for this user (metadata, records, pins): 0600. */
export const PRIVATE_FILE_MODE = 0o600;

export class MetadataCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    ensurePrivateDir(dir);
  }

  pathFor(roleName: string): string {
    return join(this.dir, `${encodeRoleName(roleName)}.json`);
  }

  /** The cached bytes, or undefined when there is no entry. I/O errors other than "missing" are thrown. */
  async read(roleName: string, maxLength: number): Promise<Uint8Array | undefined> {
    const path = this.pathFor(roleName);
    try {
      const st = statSync(path);
      // a local file larger than the network limit is as suspect as a remote one: treat it as corrupt
      if (!st.isFile() || st.size > maxLength) return undefined;
      return new Uint8Array(await readFile(path));
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw new CacheError(`cannot read ${path}`, { cause: err });
    }
  }

  async write(roleName: string, data: Uint8Array): Promise<void> {
    const path = this.pathFor(roleName);
    try {
      // Top-level roles are the rollback references and must survive a crash (fsync). A delegated role is
      // re-verified against its delegator and the snapshot every time it is read, so losing one costs a
      // download, not security; skipping its fsync saves ~0.3 ms a role (one role per npm package).
      await writeFileAtomic(path, data, { mode: PRIVATE_FILE_MODE, durable: isTopLevelRole(roleName) });
    } catch (err) {
      throw new CacheError(`cannot write ${path}`, { cause: err });
    }
  }

  async remove(roleName: string): Promise<void> {
    const path = this.pathFor(roleName);
    try {
      await rm(path, { force: true });
    } catch (err) {
      throw new CacheError(`cannot remove ${path}`, { cause: err });
    }
  }
}
