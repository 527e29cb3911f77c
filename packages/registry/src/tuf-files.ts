import { lstat } from 'node:fs/promises';
import { join } from 'node:path';

// What a metadata file name on disk may look like: `1.root.json`, `timestamp.json`,
// `3.%40babel%2Fcore.json` (role names pass through encodeURIComponent). Only these characters,
// no leading dot, so no name can be `..`, contain a separator, or point at a hidden temp file.
const SAFE_FILE = /^[A-Za-z0-9_~-][A-Za-z0-9._~%@-]{0,250}\.json$/;

export function isSafeMetadataFileName(name: string): boolean {
  return SAFE_FILE.test(name) && !name.includes('..');
}

function candidates(rawSegment: string): string[] {
  const out = [rawSegment];
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(rawSegment);
  } catch (err) {
    if (!(err instanceof URIError)) throw err;
    // Not valid percent-encoding: only the raw name can match (and SAFE_FILE decides).
    return out.filter(isSafeMetadataFileName);
  }
  out.push(decoded);
  // Normalize clients that leave '@' unescaped or double-encode: the canonical disk name is
  // `<version>.<encodeURIComponent(role)>.json`.
  const m = /^((?:[1-9][0-9]{0,19}\.)?)(.+)\.json$/.exec(decoded);
  if (m !== null) {
    out.push(`${m[1]}${encodeURIComponent(m[2]!)}.json`);
    try {
      const twice = decodeURIComponent(m[2]!);
      out.push(`${m[1]}${encodeURIComponent(twice)}.json`);
    } catch (err) {
      if (!(err instanceof URIError)) throw err;
      // a single level of encoding is all there was
    }
  }
  // @tufpm/models' encodeRoleName keeps '@' (`3.@babel%2Fcore.json`), so that form is a candidate too.
  for (const name of [...out]) out.push(name.replace(/%40/g, '@'));
  return [...new Set(out)].filter(isSafeMetadataFileName);
}

/** Resolves a `/-/tuf/metadata/<segment>` request to a regular file (and its size), or undefined. */
export async function resolveMetadataFile(metadataDir: string, rawSegment: string): Promise<{ file: string; size: number } | undefined> {
  if (rawSegment.length > 400) return undefined;
  for (const name of candidates(rawSegment)) {
    const file = join(metadataDir, name);
    try {
      const info = await lstat(file);
      // lstat, not stat: a symlink planted in the directory must not expose files outside it.
      if (info.isFile()) return { file, size: info.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    }
  }
  return undefined;
}
