import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isErrno, readFileBounded } from '../fs-util.js';
import { MaintainerConfigError } from './errors.js';

const MAX_NPMRC_BYTES = 1024 * 1024;
export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

export interface NpmrcSettings {
  /** key=value pairs, later files do not override earlier (project first, then user), as npm does */
  values: Map<string, string>;
  files: string[];
}

/** `${VAR}` expansion as npm does it (an unset variable is an error, not an empty string). */
function expand(value: string, env: NodeJS.ProcessEnv, file: string): string {
  return value.replace(/(\\*)\$\{([^}]+)\}/g, (whole, slashes: string, name: string) => {
    if (slashes.length % 2 === 1) return whole.slice(1);
    const v = env[name];
    if (v === undefined) throw new MaintainerConfigError(`${file}: environment variable ${name} is not set`);
    return slashes + v;
  });
}

/** Parses one .npmrc (ini subset npm uses: `key=value`, `;`/`#` comments, quoted values). */
export function parseNpmrc(text: string, env: NodeJS.ProcessEnv, file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = expand(line.slice(0, eq).trim(), env, file);
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) value = value.slice(1, -1);
    out.set(key, expand(value, env, file));
  }
  return out;
}

/**
 * Reads npm's configuration files the way npm does for what `tufpm publish` needs: the project's
 * `.npmrc` (in `cwd`), then the user's (`$NPM_CONFIG_USERCONFIG`, else `~/.npmrc`); the first file that
 * sets a key wins. Missing files are fine.
 */
export async function readNpmrc(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<NpmrcSettings> {
  const files = [join(resolve(cwd), '.npmrc'), env['NPM_CONFIG_USERCONFIG'] ?? env['npm_config_userconfig'] ?? join(env['HOME'] ?? homedir(), '.npmrc')];
  const values = new Map<string, string>();
  const read: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(await readFileBounded(f, MAX_NPMRC_BYTES));
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'EISDIR')) continue;
      throw err;
    }
    read.push(f);
    for (const [k, v] of parseNpmrc(text, env, f)) if (!values.has(k)) values.set(k, v);
  }
  return { values, files: read };
}

/** Registry URL for a package: `@scope:registry`, then `registry`, then the env override, then npm's default. Always ends with `/`. */
export function registryFor(settings: NpmrcSettings, name: string, env: NodeJS.ProcessEnv = process.env, override?: string): string {
  const scope = name.startsWith('@') ? name.slice(0, name.indexOf('/')) : undefined;
  const url = override
    ?? env['NPM_CONFIG_REGISTRY'] ?? env['npm_config_registry']
    ?? (scope !== undefined ? settings.values.get(`${scope}:registry`) : undefined)
    ?? settings.values.get('registry')
    ?? DEFAULT_REGISTRY;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new MaintainerConfigError(`invalid registry URL ${JSON.stringify(url)}`, { cause: err });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new MaintainerConfigError(`registry URL must be http(s): ${url}`);
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

/**
 * The auth token npm would send to `registryUrl`: the longest `//host[:port]/path/:_authToken` key that
 * is a prefix of the registry URL (without its protocol), as npm's nerf-dart matching does.
 */
export function tokenFor(settings: NpmrcSettings, registryUrl: string): string | undefined {
  const u = new URL(registryUrl);
  const nerf = `//${u.host}${u.pathname}`;
  let best: { len: number; token: string } | undefined;
  for (const [k, v] of settings.values) {
    const m = /^(\/\/.*?):_authToken$/.exec(k);
    if (m === null) continue;
    let prefix = m[1]!;
    if (!prefix.endsWith('/')) prefix += '/';
    if (nerf.startsWith(prefix) && (best === undefined || prefix.length > best.len)) best = { len: prefix.length, token: v };
  }
  return best?.token;
}
