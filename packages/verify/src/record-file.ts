// The per-machine record files under the state directory (machine-bindings.json, checked-tarballs.json,
// checked-packages.json) are read the same way: absent, too large or damaged, a record vouches for nothing
// and only costs redoing its work (their seals are checked by each reader, ADR 0011 and 0020).
import { readFile, stat } from 'node:fs/promises';

export interface RecordFile {
  /** the file's size; undefined when it does not exist */
  size: number | undefined;
  /** its JSON; undefined when absent, larger than the bound or not JSON */
  raw: unknown;
}

export async function readRecordFile(path: string, maxBytes: number): Promise<RecordFile> {
  let size: number | undefined;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (size === undefined || size > maxBytes) return { size, raw: undefined };
  try {
    return { size, raw: JSON.parse(await readFile(path, 'utf8')) };
  } catch (error) {
    // A damaged file: start empty, the next save overwrites it.
    if (!(error instanceof SyntaxError)) throw error;
    return { size, raw: undefined };
  }
}
