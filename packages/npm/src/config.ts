import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { defaultStateDir, parseMetadataUrl } from '@tufpm/verify';
import { NpmUsageError } from './errors.js';
import { newNpmConfig, type NpmcliConfig } from './npm-config.js';
import { ruleFor } from './options.js';

/**
 * The effective configuration of one tufpm-npm run, read by npm's own @npmcli/config (docs/npm-cli.md,
 * ADR 0014): defaults < global config ($PREFIX/etc/npmrc) < user config (~/.npmrc or `userconfig`) < project
 * config (<prefix>/.npmrc) < environment (npm_config_*) < command line; the project is found as npm finds it
 * (the nearest package.json, or the workspace root that lists it).
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
  /**
   * The options npm would hand Arborist and pacote for this configuration (npm's `flatten` of every layer),
   * with tufpm-npm's registry, and audit and fund off. Arborist options are built from this.
   */
  flat: Record<string, unknown>;
  /** -w/--workspace names or paths (npm's `workspace`; set by npm when run from inside a workspace). */
  workspaceFilters: string[];
  /** --workspaces: true (all), false (none), null (not given). */
  allWorkspaces: boolean | null;
  /** --dry-run: build and verify, write nothing. */
  dryRun: boolean;
  /** --no-save: neither package.json nor package-lock.json is written. */
  save: boolean;
  /** exec --package <spec> (repeatable). */
  execPackages: string[];
}

export interface ConfigInputs {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The command line after `tufpm-npm` (npm spelling; parsed by npm's nopt definitions). */
  argv: string[];
  /** HOME for this run (default: env.HOME, else the OS's). */
  home?: string;
}

function bool(value: unknown): boolean {
  return value === true;
}

function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String).filter((v) => v !== '');
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

function positiveInteger(key: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const v = String(value);
  if (!/^[1-9][0-9]{0,5}$/.test(v)) throw new NpmUsageError(`config ${key} must be an integer of at least 1, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** A byte bound: 1 to 1,000,000,000 (a snapshot beyond 1 GB is not one an install could parse anyway). */
function byteBound(key: string, value: unknown): { snapshotMaxLength?: number } {
  if (value === undefined || value === null) return {};
  const v = String(value);
  if (!/^[1-9][0-9]{0,9}$/.test(v) || Number(v) > 1_000_000_000) throw new NpmUsageError(`config ${key} must be a number of bytes from 1 to 1000000000, got ${JSON.stringify(v)}`);
  return { snapshotMaxLength: Number(v) };
}

export function normalizeRegistry(url: string): string {
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

/** `tufpm-metadata-url`: http(s), or a `file:///` metadata directory (offline CI; @tufpm/verify parseMetadataUrl). */
function normalizeMetadataUrl(url: string, source: string | undefined): string {
  const parsed = parseMetadataUrl(url);
  if ('problem' in parsed) throw new NpmUsageError(`tufpm-metadata-url ${JSON.stringify(url.slice(0, 200))}${source === undefined ? '' : ` (set in ${source})`}: ${parsed.problem}`);
  return parsed.url;
}

// Layers from lowest to highest priority; `default` holds npm's defaults (and the workspace npm selects
// when run from inside one).
const FILE_LAYERS = ['builtin', 'global', 'user', 'project', 'env'] as const;

/**
 * Config files and variables are checked as strictly as the command line: a value of the wrong type, a file
 * that cannot be read (other than missing) and an option tufpm-npm refuses stop the run, naming where.
 */
function checkLayers(npm: NpmcliConfig, command: string): Map<string, string> {
  const sources = new Map<string, string>();
  for (const where of [...FILE_LAYERS, 'cli']) {
    const layer = npm.data.get(where)!;
    const error = layer.loadError as NodeJS.ErrnoException | undefined;
    if (error !== undefined && error.code !== 'ENOENT' && error.code !== 'ENOTDIR' && error.code !== 'EISDIR') {
      throw new NpmUsageError(`${layer.source}: ${error.message}`, { cause: error });
    }
    if (where !== 'cli' && !npm.validate(where)) {
      throw new NpmUsageError(`${layer.source}: invalid config value (see the warning above; npm's types, docs/npm-cli.md)`);
    }
    for (const key of Object.keys(layer.data)) {
      sources.set(key, layer.source);
      const rule = ruleFor(key);
      if (rule?.status !== 'refused' || (key === 'force' && command === 'init' && where === 'cli')) continue;
      if (key === 'location' && layer.data[key] !== 'global') continue;
      throw new NpmUsageError(`${key} (set in ${layer.source}) is not supported by tufpm-npm: ${rule.note}`, { code: 'TUF_NPM_UNSUPPORTED_OPTION' });
    }
  }
  return sources;
}

/**
 * `@scope:registry=<url>`: npm fetches that scope's packages from another registry. Its packages would be
 * verified against this registry's TUF metadata, which does not describe that registry; a scope pointing
 * elsewhere is refused by name rather than silently redirected or silently ignored.
 */
function checkScopedRegistries(flat: Record<string, unknown>, registry: string, sources: Map<string, string>): void {
  for (const [key, value] of Object.entries(flat)) {
    const match = /^(@[^:]+):registry$/i.exec(key);
    if (match === null) continue;
    if (typeof value === 'string' && normalizeRegistry(value) === registry) continue;
    throw new NpmUsageError(
      `${match[1]} packages are configured to come from ${JSON.stringify(value)} (${key}, set in ${sources.get(key) ?? 'config'}), a registry without the TUF metadata this project trusts; remove the line or point it at ${registry}`,
      { code: 'TUF_NPM_SCOPED_REGISTRY' },
    );
  }
}

export async function loadConfig(inputs: ConfigInputs, command = 'install'): Promise<NpmConfig> {
  const env = inputs.home === undefined ? inputs.env : { ...inputs.env, HOME: inputs.home };
  const home = env.HOME ?? homedir();
  const npm = newNpmConfig(inputs.argv, inputs.cwd, env);
  try {
    await npm.load();
  } catch (error) {
    // @npmcli/config throws plain Errors for an unset ${VAR} in .npmrc and for exclusive options.
    if (error instanceof Error) throw new NpmUsageError(error.message, { cause: error });
    throw error;
  }
  const sources = checkLayers(npm, command);
  const get = (key: string): unknown => npm.get(key);
  const prefix = npm.localPrefix;
  const registry = normalizeRegistry(String(get('registry')));
  const flat: Record<string, unknown> = { ...npm.flat, registry, audit: false, fund: false, progress: false };
  checkScopedRegistries(flat, registry, sources);
  // npm's linked layout reifies through Arborist's isolated reifier, which extracts into node_modules/.store
  // along a path the reify guards (tree-verify's integrity, the one-manifest entry walk) do not cover.
  if (flat['installStrategy'] === 'linked') {
    throw new NpmUsageError(`install-strategy=linked${sources.has('install-strategy') ? ` (set in ${sources.get('install-strategy')})` : ''} is not supported by tufpm-npm: npm's linked layout extracts outside the path tufpm-npm verifies; use hoisted (the default), nested or shallow`, { code: 'TUF_NPM_UNSUPPORTED_OPTION' });
  }
  const cache = resolve(prefix, String(get('cache')));

  const rootSetting = get('tufpm-root');
  const tufpmRoot = resolve(prefix, typeof rootSetting === 'string' ? rootSetting : 'tufpm-root.json');
  // @tufpm/verify keys its metadata by metadata URL and trusted root, so one directory serves all. Not in
  // the npm cache: whoever can write that (a restored CI cache) must not decide what is accepted.
  const stateDir = get('tufpm-state-dir');
  const tufpmStateDir = typeof stateDir === 'string' ? resolve(prefix, stateDir) : defaultStateDir(env, home);
  const metadataUrl = get('tufpm-metadata-url');
  const workspaces = get('workspaces');

  return {
    prefix,
    registry,
    cache,
    omit: strings(flat['omit']) as NpmConfig['omit'],
    ignoreScripts: bool(flat['ignoreScripts']),
    saveExact: flat['savePrefix'] === '',
    savePrefix: String(flat['savePrefix'] ?? '^'),
    tufpmRoot,
    ...(typeof metadataUrl === 'string' ? { tufpmMetadataUrl: normalizeMetadataUrl(metadataUrl, sources.get('tufpm-metadata-url')) } : {}),
    tufpmStateDir,
    tufpmStateDirIsDefault: typeof stateDir !== 'string',
    retiredTufpmCache: get('tufpm-cache') !== null && get('tufpm-cache') !== undefined,
    unsafeAllowGit: bool(get('tufpm-unsafe-allow-git')),
    unsafeAllowFile: bool(get('tufpm-unsafe-allow-file')),
    unsafeAllowRemote: bool(get('tufpm-unsafe-allow-remote')),
    unsafeUnverifiedPackages: strings(get('tufpm-unsafe-unverified-packages')),
    requireMaintainerSigned: maintainerPolicy(strings(get('tufpm-require-maintainer-signed'))),
    minimumThreshold: positiveInteger('tufpm-minimum-threshold', get('tufpm-minimum-threshold'), 1),
    ...byteBound('tufpm-snapshot-max-length', get('tufpm-snapshot-max-length')),
    sources,
    flat,
    workspaceFilters: strings(get('workspace')),
    allWorkspaces: typeof workspaces === 'boolean' ? workspaces : null,
    dryRun: bool(flat['dryRun']),
    save: flat['save'] !== false,
    execPackages: strings(get('package')),
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
