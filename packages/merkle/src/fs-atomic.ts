// The one atomic file writer of the project (merkle, client, repo and registry all write through it; the
// lowest package with file I/O that they all depend on). A temp file beside the target, fsync, rename.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /**
   * The file's mode. When given, the file gets exactly this mode whatever the umask (private keys must end
   * up 0600, a token file must not become readable by others); default 0o644 less the umask.
   */
  mode?: number;
  /**
   * fsync before the rename (default true). false: still atomic for readers, but after a power cut the
   * file may be lost; for files derived from others (materialized proofs, role packs) that is only a cost.
   */
  durable?: boolean;
}

/**
 * Writes `data` to a temp file in the target's directory (so the rename never crosses a file system), then
 * renames it over `file`: readers see the old or the new bytes, never a mix, and a failed write leaves the
 * old file and no temp file. Temp names start with a dot: directory listings that skip dot files (publish
 * journals, staged requests, orphan scans) never see a write in flight. A streamed `data` is written chunk
 * by chunk; an error from the stream (e.g. a hash mismatch found at its end) keeps the old file.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string | AsyncIterable<Uint8Array>, options: AtomicWriteOptions = {}): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'wx', options.mode ?? 0o644);
    if (typeof data === 'string' || data instanceof Uint8Array) {
      await handle.writeFile(data);
    } else {
      for await (const chunk of data) await handle.write(chunk);
    }
    if (options.durable !== false) await handle.sync();
    await handle.close();
    handle = undefined;
    // open() applies the umask; an explicit mode is the file's mode
    if (options.mode !== undefined) await chmod(tmp, options.mode);
    await rename(tmp, file);
  } catch (err) {
    // the write's own error is the one reported; a close failing after it adds nothing
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Writes `data` at `offset` (the committed end of an append-only log: bytes past it are a crashed append), then fsyncs. */
export async function writeAtOffset(file: string, offset: number, data: Uint8Array): Promise<void> {
  const fh = await open(file, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    await fh.truncate(offset);
    if (data.length > 0) await fh.write(data, 0, data.length, offset);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
