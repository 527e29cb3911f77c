import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';

/**
 * Writes `data` to a temp file beside `file` and renames it over `file`: readers see the old or the new bytes,
 * never a mix. `durable` (default) fsyncs before the rename; derived files (materialized proofs) skip it.
 */
export async function writeFileAtomic(file: string, data: Uint8Array, durable = true): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (err) {
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
