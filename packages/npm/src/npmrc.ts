import { readFileSync, statSync } from 'node:fs';
import { NpmUsageError } from './errors.js';

/**
 * A minimal reader for npm's `.npmrc` format (the `ini` format as npm uses it). We do not depend on
 * @npmcli/config (it is not installed; Arborist does not need it) and read only what tufpm-npm uses; the
 * exact list of files and keys is in docs/npm-cli.md. What it supports, matching npm:
 * - `key = value` and `key=value` lines; `;` and `#` start comment lines; blank lines ignored;
 * - `key[] = value` appends to a list (npm's `omit[] = dev`);
 * - values in double quotes are JSON strings, in single quotes taken literally;
 * - `${NAME}` in keys and values is replaced from the environment (unset is an error, as in npm),
 *   `${NAME?}` is replaced by the empty string when NAME is unset, `\${` stays literal;
 * - `[section]` headers: npm ignores keys under a section, so do we.
 */

export type RawValue = string | string[];
export type RawConfig = Map<string, RawValue>;

// A config file is small; refuse to read anything pathological rather than parse megabytes.
const MAX_NPMRC_BYTES = 1024 * 1024;

export function expandEnv(text: string, env: NodeJS.ProcessEnv, where: string): string {
  return text.replace(/(\\*)\$\{([^${}?]+)(\?)?\}/g, (whole: string, slashes: string, name: string, optional?: string) => {
    // An odd number of backslashes escapes the `$`: keep the text, drop one backslash.
    if (slashes.length % 2 === 1) return whole.slice(1);
    const value = env[name];
    if (value === undefined) {
      if (optional) return slashes;
      throw new NpmUsageError(`${where}: failed to replace env in config: \${${name}}`);
    }
    return slashes + value;
  });
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === 'string') return parsed;
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
    }
    return value.slice(1, -1);
  }
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  return value;
}

export function parseNpmrc(text: string, where: string, env: NodeJS.ProcessEnv): RawConfig {
  const out: RawConfig = new Map();
  let inSection = false;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    if (/^\[.*\]$/.test(line)) {
      inSection = true;
      continue;
    }
    if (inSection) continue;
    const eq = line.indexOf('=');
    let key = (eq === -1 ? line : line.slice(0, eq)).trim();
    // `key` alone means `key = true`, as in the ini package.
    const value = eq === -1 ? 'true' : unquote(line.slice(eq + 1).trim());
    key = expandEnv(key, env, where);
    const expanded = expandEnv(value, env, where);
    if (key.endsWith('[]')) {
      const listKey = key.slice(0, -2);
      const prev = out.get(listKey);
      out.set(listKey, [...(Array.isArray(prev) ? prev : prev === undefined ? [] : [prev]), expanded]);
    } else {
      out.set(key, expanded);
    }
  }
  return out;
}

/** Reads and parses a `.npmrc`; a missing file is an empty config (npm ignores missing files too). */
export function readNpmrc(path: string, env: NodeJS.ProcessEnv): RawConfig {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return new Map();
    size = st.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return new Map();
    }
    throw error;
  }
  if (size > MAX_NPMRC_BYTES) throw new NpmUsageError(`${path}: larger than ${MAX_NPMRC_BYTES} bytes`);
  return parseNpmrc(readFileSync(path, 'utf8'), path, env);
}

/** `npm_config_ignore_scripts=true` -> `ignore-scripts`: npm lower-cases and turns `_` into `-`. */
export function configFromEnv(env: NodeJS.ProcessEnv): RawConfig {
  const out: RawConfig = new Map();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !/^npm_config_/i.test(name)) continue;
    const key = name.slice('npm_config_'.length).toLowerCase().replace(/(?<!^)_/g, '-');
    if (key !== '') out.set(key, value);
  }
  return out;
}
