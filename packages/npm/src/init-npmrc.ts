import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ini from 'ini';
import { parseMetadataUrl } from '@tufpm/verify';
import { normalizeRegistry, type NpmConfig } from './config.js';
import { NpmUsageError } from './errors.js';
import { NPM_GUARD_SETTINGS } from './guard.js';

export interface NpmrcResult {
  path: string;
  /** written: lines appended (or the file created); unchanged: already right; conflict: left alone, see `add` */
  status: 'written' | 'unchanged' | 'conflict';
  /** the lines the project's .npmrc needs (what was written, or what to put there by hand) */
  add: string[];
  /** for a conflict: the keys whose value differs, with the file's value */
  conflicts: Array<{ key: string; found: string; wanted: string }>;
}

const MAX_NPMRC_BYTES = 1024 * 1024;

/**
 * `init` points the project at the registry it just trusted: `registry=` (and `tufpm-metadata-url=` when it
 * is set) in <prefix>/.npmrc, so the next `tufpm-npm install` (and plain npm) ask that registry, not the
 * public one. A key the file already sets to the same value is left as it is; a key it sets to another value
 * is never overwritten: the result says exactly which line to change. The same for the guard's lines
 * (`engine-strict=true`, `yes=false`, ADR 0015).
 */
export async function writeProjectNpmrc(config: NpmConfig): Promise<NpmrcResult> {
  const path = join(config.prefix, '.npmrc');
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text.length > MAX_NPMRC_BYTES) throw new Error(`${path}: larger than ${MAX_NPMRC_BYTES} bytes`);
  const parsed = ini.parse(text) as Record<string, unknown>;
  const wanted: Array<[string, string]> = [['registry', config.registry]];
  if (config.tufpmMetadataUrl !== undefined) wanted.push(['tufpm-metadata-url', config.tufpmMetadataUrl]);
  // The plain-npm and npx guard (ADR 0015): `engine-strict=true` (with package.json's engines.npm) and `yes=false`.
  const urls = new Set(wanted.map(([key]) => key));
  wanted.push(...NPM_GUARD_SETTINGS.map(([key, value]) => [key, value] as [string, string]));
  const add: string[] = [];
  const conflicts: NpmrcResult['conflicts'] = [];
  for (const [key, value] of wanted) {
    const found = parsed[key];
    if (found === undefined) add.push(`${key}=${value}`);
    else if (urls.has(key) ? typeof found !== 'string' || !sameUrl(found, value) : String(found) !== value) conflicts.push({ key, found: String(found), wanted: value });
  }
  if (conflicts.length > 0) {
    return { path, status: 'conflict', add: wanted.map(([k, v]) => `${k}=${v}`), conflicts };
  }
  if (add.length === 0) return { path, status: 'unchanged', add, conflicts };
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  await writeFile(path, `${text}${separator}${add.join('\n')}\n`);
  return { path, status: 'written', add, conflicts };
}

function sameUrl(a: string, b: string): boolean {
  // tufpm-metadata-url may be a file:/// metadata directory, which the registry rule refuses
  if (/^file:/i.test(b)) {
    const found = parseMetadataUrl(a);
    return 'url' in found && found.url === b;
  }
  try {
    return normalizeRegistry(a) === normalizeRegistry(b);
  } catch (error) {
    // not an http(s) URL at all: certainly not the registry we want
    if (error instanceof NpmUsageError) return false;
    throw error;
  }
}
