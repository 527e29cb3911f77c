import { chmod, mkdir, stat } from 'node:fs/promises';
import { readBoundedFile } from '@tufpm/merkle';
import { LengthMismatchError } from '@tufpm/models';

/** mkdir -p with a mode; tightens the mode of an existing directory too (key dirs must be 0700). */
export async function ensureDir(path: string, mode: number): Promise<void> {
  await mkdir(path, { recursive: true, mode });
  await chmod(path, mode);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

export function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

/**
 * Reads a regular file, refusing anything larger than maxBytes (checked on the open handle before reading,
 * @tufpm/merkle readBoundedFile). A missing file throws its ENOENT error, as callers test with isErrno.
 */
export async function readFileBounded(path: string, maxBytes: number): Promise<Uint8Array> {
  const read = await readBoundedFile(path, maxBytes);
  if (read.kind === 'missing') throw read.error;
  if (read.kind === 'not-a-file') throw new LengthMismatchError(`${path} is not a regular file`);
  if (read.kind === 'too-large') throw new LengthMismatchError(`${path} is ${read.size} bytes, more than the limit of ${maxBytes}`);
  return read.bytes;
}
