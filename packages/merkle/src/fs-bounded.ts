// The one bounded file reader of the project (beside the one atomic writer, fs-atomic.ts; merkle is the
// lowest package with file I/O, and every package that reads project or state files depends on it).
// Lockfiles, .npmrc, package.json, roots and records are written by whoever sends a pull request or
// shares the machine: their size is bounded before a byte is allocated for them.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** What a bounded read found; each caller maps the refusals to its own typed error. */
export type BoundedFile =
  | { kind: 'file'; bytes: Uint8Array }
  /** the path does not exist (ENOENT); `error` is the open's own error, for callers that rethrow it */
  | { kind: 'missing'; error: NodeJS.ErrnoException }
  /** a directory, FIFO, socket or device (and, with `noFollow`, a symlink): nothing was read */
  | { kind: 'not-a-file' }
  /** larger than the limit: `size` is what fstat said, or limit+1 when the file grew past it while read */
  | { kind: 'too-large'; size: number };

export interface BoundedReadOptions {
  /** refuse a symlink in the last path component (O_NOFOLLOW) as not-a-file: state files never follow one */
  noFollow?: boolean;
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever; for regular files it
// changes nothing. Absent constants (Windows) are 0.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Reads `path` whole if it is a regular file of at most `maxBytes`. The size is checked on the open
 * handle (fstat), so a file swapped in between a stat and the read cannot slip past the bound, and at most
 * `maxBytes + 1` bytes are ever read, so a file that grows after the fstat is refused too.
 */
export async function readBoundedFile(path: string, maxBytes: number, options: BoundedReadOptions = {}): Promise<BoundedFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS | (options.noFollow === true ? (constants.O_NOFOLLOW ?? 0) : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing', error: error as NodeJS.ErrnoException };
    if (code === 'ELOOP' && options.noFollow === true) return { kind: 'not-a-file' };
    throw error;
  }
  try {
    return await readHandleBounded(handle, maxBytes);
  } finally {
    await handle.close();
  }
}

/** The same checks on a handle the caller opened (e.g. with its own flags); the caller closes it. */
export async function readHandleBounded(handle: FileHandle, maxBytes: number): Promise<Exclude<BoundedFile, { kind: 'missing' }>> {
  const st = await handle.stat();
  if (!st.isFile()) return { kind: 'not-a-file' };
  if (st.size > maxBytes) return { kind: 'too-large', size: st.size };
  // A plain Uint8Array of the fstat size (its own ArrayBuffer, not a pooled Buffer).
  const bytes = new Uint8Array(st.size);
  let filled = 0;
  while (filled < bytes.length) {
    const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
    if (bytesRead === 0) return { kind: 'file', bytes: bytes.slice(0, filled) }; // shrank after the fstat
    filled += bytesRead;
  }
  // One byte more tells whether the file grew after the fstat; the rest is read only up to the bound.
  const chunks: Uint8Array[] = [bytes];
  let total = filled;
  for (;;) {
    const chunk = new Uint8Array(Math.min(64 * 1024, maxBytes + 1 - total));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > maxBytes) return { kind: 'too-large', size: total };
    chunks.push(chunk.subarray(0, bytesRead));
  }
  if (chunks.length === 1) return { kind: 'file', bytes };
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return { kind: 'file', bytes: out };
}
