import { join } from 'node:path';
import ini from 'ini';
import { parseSyml } from '@yarnpkg/parsers';
import { readBoundedFile } from '@tufpm/merkle';
import { parseMetadataUrl } from '@tufpm/verify';
import { VerifyUsageError } from './project-lockfiles.js';

const MAX_RC_BYTES = 1024 * 1024;

/** The rc file's text, bounded before it is read (a pull request writes it), or undefined when absent. */
async function readRc(path: string): Promise<string | undefined> {
  const read = await readBoundedFile(path, MAX_RC_BYTES);
  if (read.kind === 'missing') return undefined;
  if (read.kind === 'too-large') throw new VerifyUsageError(`${path}: larger than ${MAX_RC_BYTES} bytes`);
  if (read.kind === 'not-a-file') throw new VerifyUsageError(`${path}: not a regular file`);
  return new TextDecoder().decode(read.bytes);
}

function checked(path: string, key: string, value: unknown): string {
  // npm and Yarn expand ${VAR}; a guess here could send the gate elsewhere than the installs: say so instead
  const parsed = typeof value === 'string' ? parseMetadataUrl(value) : { problem: 'not a string' };
  if ('problem' in parsed) {
    throw new VerifyUsageError(`${path}: ${key} ${JSON.stringify(String(value).slice(0, 200))} is not an http(s) or file:/// URL tufpm-verify can read (${parsed.problem}); pass --metadata-url`);
  }
  return parsed.url;
}

/**
 * The TUF metadata URL the project's installers use, so the gate asks the same repository (overlay mode):
 * `tufpm-metadata-url` of the project's .npmrc (`tufpm-npm init` writes it) and `tufMetadataUrl` of its
 * .yarnrc.yml (`yarn tuf init --metadata-url` writes it); when both name one, they must agree. Only these
 * keys of only these files: npm's full configuration (@npmcli/config, user/global files, npm_config_*)
 * lives in @tufpm/npm beside Arborist, which the gate must not load, and Yarn's in Yarn; elsewhere, pass
 * --metadata-url. Parsed with ini (npm's .npmrc parser) and @yarnpkg/parsers (Yarn's).
 */
export async function projectMetadataUrl(projectDir: string): Promise<string | undefined> {
  const npmrcPath = join(projectDir, '.npmrc');
  const yarnrcPath = join(projectDir, '.yarnrc.yml');
  const [npmrc, yarnrc] = await Promise.all([readRc(npmrcPath), readRc(yarnrcPath)]);
  const fromNpm = npmrc === undefined ? undefined : ini.parse(npmrc)['tufpm-metadata-url'];
  let fromYarn: unknown;
  if (yarnrc !== undefined) {
    let parsed: unknown;
    try {
      parsed = parseSyml(yarnrc);
    } catch (error) {
      throw new VerifyUsageError(`${yarnrcPath}: not valid YAML (${(error as Error).message.slice(0, 200)}); pass --metadata-url`);
    }
    if (typeof parsed === 'object' && parsed !== null && Object.prototype.hasOwnProperty.call(parsed, 'tufMetadataUrl')) fromYarn = (parsed as Record<string, unknown>)['tufMetadataUrl'];
  }
  const npmUrl = fromNpm === undefined ? undefined : checked(npmrcPath, 'tufpm-metadata-url', fromNpm);
  const yarnUrl = fromYarn === undefined ? undefined : checked(yarnrcPath, 'tufMetadataUrl', fromYarn);
  if (npmUrl !== undefined && yarnUrl !== undefined && npmUrl !== yarnUrl) {
    throw new VerifyUsageError(`the project's .npmrc (tufpm-metadata-url ${npmUrl}) and .yarnrc.yml (tufMetadataUrl ${yarnUrl}) name different TUF repositories; pass --metadata-url`);
  }
  return npmUrl ?? yarnUrl;
}
