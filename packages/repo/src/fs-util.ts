import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LengthMismatchError } from '@tufpm/models';

/**
 * Writes a file atomically: a temp file in the same directory (so rename never crosses a file
 * system), fsync, then rename over the target. Readers see the old or the new bytes, never a mix.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    // open() applies the umask; private keys must end up exactly 0600.
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

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
