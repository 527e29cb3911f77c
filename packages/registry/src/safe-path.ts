import { constants, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { readHandleBounded } from '@tufpm/merkle';
import { RegistryError } from './errors.js';

/**
 * Symlinks inside the registry directory are never followed (issue 19: a symlinked packument file or
 * package directory was read, served and written through). Whoever can plant a link in the directory
 * could otherwise make the registry serve `/etc/passwd` as a packument, or write a publish's tarball
 * into another directory. O_NOFOLLOW covers the last component of a path only, so every directory
 * between the registry root and the file is lstat'ed as well.
 */
export class UnsafePathError extends RegistryError {
  constructor(readonly file: string, what: string) {
    // 404 to readers: the registry serves nothing through a link. A writer fails the publish (nothing signed).
    super('REGISTRY_NOT_FOUND', `${what} is a symbolic link or not a regular entry; the registry does not follow links in its directory`);
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Checks every directory from `root` (exclusive) down to the parent of `file`: each must be a real
 * directory or not exist yet. `file` must lie below `root` (callers build it from validated names).
 */
export async function assertNoLinkedDirs(root: string, file: string): Promise<void> {
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) throw new UnsafePathError(file, 'a path outside the registry directory');
  const parts = rel.split(sep);
  let dir = root;
  for (let i = 0; i < parts.length - 1; i++) {
    dir = `${dir}${sep}${parts[i]!}`;
    let info: Stats;
    try {
      info = await lstat(dir);
    } catch (err) {
      if (isMissing(err)) return; // created by the writer, as a real directory
      throw err;
    }
    if (!info.isDirectory()) throw new UnsafePathError(file, `directory ${parts.slice(0, i + 1).join('/')}`);
  }
}

/**
 * Reads a regular file below `root` without following links (O_NOFOLLOW on the file, lstat on its
 * directories), bounded by `maxBytes` before reading. Undefined when it does not exist.
 */
export async function readRegularFile(root: string, file: string, maxBytes: number, tooLarge: () => Error): Promise<Buffer | undefined> {
  await assertNoLinkedDirs(root, file);
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if (isMissing(err)) return undefined;
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new UnsafePathError(file, relative(root, file));
    throw err;
  }
  try {
    // fstat of this handle, then at most maxBytes + 1 bytes: a file growing after the check is refused too
    const read = await readHandleBounded(fh, maxBytes);
    if (read.kind === 'not-a-file') throw new UnsafePathError(file, relative(root, file));
    if (read.kind === 'too-large') throw tooLarge();
    return Buffer.from(read.bytes.buffer, read.bytes.byteOffset, read.bytes.byteLength);
  } finally {
    await fh.close();
  }
}
