import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
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

/** Reads a file, refusing anything larger than maxBytes (checked before reading). */
export async function readFileBounded(path: string, maxBytes: number): Promise<Uint8Array> {
  const st = await stat(path);
  if (st.size > maxBytes) throw new LengthMismatchError(`${path} is ${st.size} bytes, more than the limit of ${maxBytes}`);
  return new Uint8Array(await readFile(path));
}
