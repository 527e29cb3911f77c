import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { defaultStateDir } from '@tufpm/verify';
import { NpmUsageError } from './errors.js';
import { configFromEnv, readNpmrc, type RawConfig, type RawValue } from './npmrc.js';

/**
 * The effective configuration of one tufpm-npm run, read the way npm reads its own (docs/npm-cli.md):
 * defaults < user config (~/.npmrc or `userconfig`) < project config (<prefix>/.npmrc)
 * < environment (npm_config_*) < command line. npm's global config ($PREFIX/etc/npmrc) and builtin
 * config are not read.
 */
export interface NpmConfig {
  /** The project directory (npm's localPrefix): holds package.json, package-lock.json, tufpm-lock.json. */
  prefix: string;
  /** Registry base URL, always ending in '/'. */
  registry: string;
  /** npm's cache root (~/.npm); Arborist's cacache lives in `<cache>/_cacache`, as with npm. */
  cache: string;
  omit: Array<'dev' | 'optional' | 'peer'>;
  ignoreScripts: boolean;
  saveExact: boolean;
  savePrefix: string;
  /** Trusted root the project starts from (default <prefix>/tufpm-root.json). */
  tufpmRoot: string;
  /** TUF metadata URL (default <registry>-/tuf/metadata/). */
  tufpmMetadataUrl?: string;
  /** The machine's trusted TUF state (ADR 0011; default $TUFPM_STATE_DIR, $XDG_STATE_HOME/tufpm, ~/.local/state/tufpm). */
  tufpmStateDir: string;
  /** no tufpm-state-dir setting: the user-level default (exempt from the inside-the-project check) */
  tufpmStateDirIsDefault: boolean;
  /** The retired `tufpm-cache` is set: warned about, not read (it defaulted to inside the npm cache). */
  retiredTufpmCache: boolean;
  unsafeAllowGit: boolean;
  unsafeAllowFile: boolean;
  unsafeAllowRemote: boolean;
  unsafeUnverifiedPackages: string[];
  /** Team policy (InstallVerifier's requireMaintainerSigned): `*` in the list makes it true (every package). */
  requireMaintainerSigned: true | string[];
  /** With requireMaintainerSigned: the fewest signatures a package role may require (default 1). */
  minimumThreshold: number;
  /** tufpm-snapshot-max-length: bound on the TUF snapshot in bytes (undefined: the client's default) */
  snapshotMaxLength?: number;
  /** Which file each key came from, for `status` and error messages. */
  sources: Map<string, string>;
}

export interface ConfigInputs {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Command-line settings, already in npm's key spelling (`ignore-scripts`). */
  cli: RawConfig;
  home?: string;
}

const OMIT_TYPES = ['dev', 'optional', 'peer'] as const;
type OmitType = (typeof OMIT_TYPES)[number];

/** npm's localPrefix: the nearest directory upwards with package.json or node_modules, else cwd. */
export function findLocalPrefix(cwd: string): string {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'node_modules'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(cwd);
    dir = parent;
  }
}

function last(value: RawValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function list(value: RawValue | undefined): string[] {
  if (value === undefined) return [];
  // `omit=dev,optional` is not npm syntax, but a list may come as one value per flag or `key[]` line.
  return (Array.isArray(value) ? value : [value]).filter((v) => v !== '');
}

function bool(key: string, value: RawValue | undefined, fallback: boolean): boolean {
  const v = last(value);
  if (v === undefined) return fallback;
  if (v === 'true' || v === '') return true;
  if (v === 'false') return false;
  throw new NpmUsageError(`config ${key} must be true or false, got ${JSON.stringify(v)}`);
}

/**
 * `tufpm-require-maintainer-signed`: names, `@scope/*` or `*`, one per flag or `key[]` line, or
 * comma-separated in one value (so that one `npm_config_` variable can carry a list). A typo must not read as
 * "no policy", so anything else is refused.
 */
function maintainerPolicy(values: string[]): true | string[] {
  const entries = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  if (entries.includes('*')) return true;
  for (const entry of entries) {
    if (!/^@[^/@\s*]+\/\*$/.test(entry) && (entry.includes('*') || /\s/.test(entry))) {
      throw new NpmUsageError(`tufpm-require-maintainer-signed: ${JSON.stringify(entry)} is not a package name, @scope/* or *`);
    }
  }
  return entries;
}

function positiveInteger(key: string, value: RawValue | undefined, fallback: number): number {
  const v = last(value);
  if (v === undefined) return fallback;
  if (!/^[1-9][0-9]{0,5}$/.test(v)) throw new NpmUsageError(`config ${key} must be an integer of at least 1, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** A byte bound: 1 to 1,000,000,000 (a snapshot beyond 1 GB is not one an install could parse anyway). */
function byteBound(key: string, value: RawValue | undefined): { snapshotMaxLength?: number } {
  const v = last(value);
  if (v === undefined) return {};
  if (!/^[1-9][0-9]{0,9}$/.test(v) || Number(v) > 1_000_000_000) throw new NpmUsageError(`config ${key} must be a number of bytes from 1 to 1000000000, got ${JSON.stringify(v)}`);
  return { snapshotMaxLength: Number(v) };
}

function normalizeRegistry(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    if (error instanceof TypeError) throw new NpmUsageError(`registry is not a URL: ${JSON.stringify(url)}`);
    throw error;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new NpmUsageError(`registry must be http(s): ${JSON.stringify(url)}`);
  }
  if (parsed.search !== '' || parsed.hash !== '') throw new NpmUsageError('registry URL must not have a query or fragment');
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

export function loadConfig(inputs: ConfigInputs): NpmConfig {
  const home = inputs.home ?? homedir();
  const env = inputs.env;
  const envConfig = configFromEnv(env);
  const cliPrefix = last(inputs.cli.get('prefix'));
  const prefix = cliPrefix !== undefined ? resolve(inputs.cwd, cliPrefix) : findLocalPrefix(inputs.cwd);
  const userconfigPath = resolve(
    inputs.cwd,
    expandHome(last(inputs.cli.get('userconfig')) ?? last(envConfig.get('userconfig')) ?? join(home, '.npmrc'), home),
  );
  const projectPath = join(prefix, '.npmrc');
  const layers: Array<[string, RawConfig]> = [[userconfigPath, readNpmrc(userconfigPath, env)]];
  // npm skips the project config when it is the same file as the user config (running in $HOME).
  if (projectPath !== userconfigPath) layers.push([projectPath, readNpmrc(projectPath, env)]);
  layers.push(['environment (npm_config_*)', envConfig], ['command line', inputs.cli]);

  const merged: RawConfig = new Map();
  const sources = new Map<string, string>();
  for (const [where, layer] of layers) {
    for (const [key, value] of layer) {
      merged.set(key, value);
      sources.set(key, where);
    }
  }
  const get = (key: string): RawValue | undefined => merged.get(key);

  const registry = normalizeRegistry(last(get('registry')) ?? 'https://registry.npmjs.org/');
  const cache = resolve(prefix, expandHome(last(get('cache')) ?? join(home, '.npm'), home));

  // npm: omit defaults to ['dev'] when NODE_ENV=production; `include` wins over `omit`.
  const omitRaw = get('omit') !== undefined ? list(get('omit')) : env.NODE_ENV === 'production' ? ['dev'] : [];
  const include = new Set(list(get('include')));
  const omit: OmitType[] = [];
  for (const type of omitRaw) {
    if (!(OMIT_TYPES as readonly string[]).includes(type)) {
      throw new NpmUsageError(`--omit must be one of ${OMIT_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
    }
    if (!include.has(type) && !omit.includes(type as OmitType)) omit.push(type as OmitType);
  }

  const tufpmRoot = resolve(prefix, expandHome(last(get('tufpm-root')) ?? 'tufpm-root.json', home));
  // @tufpm/verify keys its metadata by metadata URL and trusted root, so one directory serves all. Not in
  // the npm cache: whoever can write that (a restored CI cache) must not decide what is accepted.
  const stateDir = last(get('tufpm-state-dir'));
  const tufpmStateDir = stateDir === undefined ? defaultStateDir(env, home) : resolve(prefix, expandHome(stateDir, home));
  const metadataUrl = last(get('tufpm-metadata-url'));

  return {
    prefix,
    registry,
    cache,
    omit,
    ignoreScripts: bool('ignore-scripts', get('ignore-scripts'), false),
    saveExact: bool('save-exact', get('save-exact'), false),
    savePrefix: last(get('save-prefix')) ?? '^',
    tufpmRoot,
    ...(metadataUrl === undefined ? {} : { tufpmMetadataUrl: normalizeRegistry(metadataUrl) }),
    tufpmStateDir,
    tufpmStateDirIsDefault: stateDir === undefined,
    retiredTufpmCache: get('tufpm-cache') !== undefined,
    unsafeAllowGit: bool('tufpm-unsafe-allow-git', get('tufpm-unsafe-allow-git'), false),
    unsafeAllowFile: bool('tufpm-unsafe-allow-file', get('tufpm-unsafe-allow-file'), false),
    unsafeAllowRemote: bool('tufpm-unsafe-allow-remote', get('tufpm-unsafe-allow-remote'), false),
    unsafeUnverifiedPackages: list(get('tufpm-unsafe-unverified-packages')),
    requireMaintainerSigned: maintainerPolicy(list(get('tufpm-require-maintainer-signed'))),
    minimumThreshold: positiveInteger('tufpm-minimum-threshold', get('tufpm-minimum-threshold'), 1),
    ...byteBound('tufpm-snapshot-max-length', get('tufpm-snapshot-max-length')),
    sources,
  };
}

/** The settings that weaken verification, for a warning on every run that uses them. */
export function unsafeSettings(config: NpmConfig): string[] {
  const out: string[] = [];
  if (config.unsafeAllowGit) out.push('tufpm-unsafe-allow-git');
  if (config.unsafeAllowFile) out.push('tufpm-unsafe-allow-file');
  if (config.unsafeAllowRemote) out.push('tufpm-unsafe-allow-remote');
  if (config.unsafeUnverifiedPackages.length > 0) {
    out.push(`tufpm-unsafe-unverified-packages=${config.unsafeUnverifiedPackages.join(',')}`);
  }
  return out;
}
