import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ini from 'ini';
import { parseMetadataUrl } from '@tufpm/verify';
import { VerifyUsageError } from './project-lockfiles.js';

const MAX_NPMRC_BYTES = 1024 * 1024;

/**
 * `tufpm-metadata-url` from the project's .npmrc (an overlay project's: `tufpm-npm init` writes it there), so
 * the gate asks the same TUF repository tufpm-npm installs against. Only this key of only this file: npm's
 * full configuration (@npmcli/config, user/global files, npm_config_*) lives in @tufpm/npm beside Arborist,
 * which the gate must not load; elsewhere, pass --metadata-url. Parsed with ini, npm's own .npmrc parser.
 */
export async function projectMetadataUrl(projectDir: string): Promise<string | undefined> {
  const path = join(projectDir, '.npmrc');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (text.length > MAX_NPMRC_BYTES) throw new VerifyUsageError(`${path}: larger than ${MAX_NPMRC_BYTES} bytes`);
  const value = ini.parse(text)['tufpm-metadata-url'];
  if (value === undefined) return undefined;
  // npm would expand ${VAR}; a guess here could send the gate elsewhere than the installs: say so instead.
  const parsed = typeof value === 'string' ? parseMetadataUrl(value) : { problem: 'not a string' };
  if ('problem' in parsed) {
    throw new VerifyUsageError(`${path}: tufpm-metadata-url ${JSON.stringify(String(value).slice(0, 200))} is not an http(s) or file:/// URL tufpm-verify can read (${parsed.problem}); pass --metadata-url`);
  }
  return parsed.url;
}
