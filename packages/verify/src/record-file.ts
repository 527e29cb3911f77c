// The per-machine record files under the state directory (machine-bindings.json, checked-tarballs.json,
// checked-packages.json) are read the same way: absent, too large or damaged, a record vouches for nothing
// and only costs redoing its work (their seals are checked by each reader, ADR 0011 and 0020).
import { readBoundedFile } from '@tufpm/merkle';

export interface RecordFile {
  /** the file's size; undefined when it does not exist or is no regular file */
  size: number | undefined;
  /** its JSON; undefined when absent, larger than the bound or not JSON */
  raw: unknown;
}

export async function readRecordFile(path: string, maxBytes: number): Promise<RecordFile> {
  const read = await readBoundedFile(path, maxBytes);
  if (read.kind === 'missing' || read.kind === 'not-a-file') return { size: undefined, raw: undefined };
  if (read.kind === 'too-large') return { size: read.size, raw: undefined };
  const size = read.bytes.length;
  try {
    return { size, raw: JSON.parse(new TextDecoder().decode(read.bytes)) };
  } catch (error) {
    // A damaged file: start empty, the next save overwrites it.
    if (!(error instanceof SyntaxError)) throw error;
    return { size, raw: undefined };
  }
}
