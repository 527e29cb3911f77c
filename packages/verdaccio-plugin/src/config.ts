import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TufError } from '@tufpm/models';
import type { PluginOptions } from './verdaccio-types.js';

/** The plugin's section of Verdaccio's config.yaml (`middlewares: { tufpm: { ... } }`). */
export interface TufpmPluginConfig {
  /** The tufpm directory: TUF metadata in `tuf/metadata/` (served), staged releases and claims beside it. */
  dir: string;
  /** The repository's keys directory; only `online/` (snapshot, timestamp, unclaimed) and repo.json are read. */
  keys: string;
  /** Bound on a publish body (base64 tarball inside JSON); default 64 MiB. */
  maxBodyBytes: number;
  /** How long Verdaccio may take to store an accepted publish before it is given up (nothing signed); default 60 s. */
  storeTimeoutMs: number;
  /** Renew the timestamp and snapshot before they expire while Verdaccio runs; default true. */
  renew: boolean;
  /**
   * The snapshot profile the repository in `dir` must be in (ADR 0021): 'merkle' serves proof files and
   * commits one tree epoch per publish. Root.json decides it (offline keys, `tufpm-repo init --snapshot`);
   * the plugin refuses to start when root.json says otherwise. Default 'classic'.
   */
  snapshot: 'classic' | 'merkle';
  /**
   * Whether maintainers may submit claim requests through `PUT /-/tufpm/claims/<name>` (`maintainer_requests:
   * open`). Default closed when Verdaccio's htpasswd lets anyone register (`max_users` not negative): one
   * party with many accounts would fill the bounded queue, so nobody else could claim (claims then go to the
   * operator out of band as files).
   */
  claimRequests: boolean;
}

export class PluginConfigError extends TufError {
  constructor(message: string) {
    super('VERDACCIO_TUFPM_CONFIG', message);
  }
}

function path(raw: unknown, key: string, base: string, section = 'middlewares'): string {
  if (typeof raw !== 'string' || raw.length === 0) throw new PluginConfigError(`${section}.tufpm.${key} must name a directory (see docs/verdaccio.md)`);
  return isAbsolute(raw) ? raw : resolve(join(base, raw));
}

function positive(raw: unknown, key: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw <= 0) throw new PluginConfigError(`middlewares.tufpm.${key} must be a positive integer`);
  return raw;
}

function bool(raw: unknown, key: string, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'boolean') throw new PluginConfigError(`middlewares.tufpm.${key} must be true or false`);
  return raw;
}

function profile(raw: unknown): 'classic' | 'merkle' {
  if (raw === undefined) return 'classic';
  if (raw !== 'classic' && raw !== 'merkle') throw new PluginConfigError('middlewares.tufpm.snapshot must be classic or merkle');
  return raw;
}

/** The plugin's section of `filters:` (`filters: { tufpm: { dir } }`): only the tufpm directory. */
export function parseFilterConfig(raw: unknown, options: PluginOptions): { dir: string } {
  const c = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const configPath = options.config.configPath ?? options.config.self_path;
  return { dir: path(c['dir'], 'dir', configPath === undefined ? process.cwd() : dirname(configPath), 'filters') };
}

/** Whether Verdaccio's bundled htpasswd auth lets anyone create an account (`npm adduser`): `max_users` absent or >= 0. */
export function openRegistration(config: PluginOptions['config']): boolean {
  const htpasswd = (config as { auth?: Record<string, unknown> }).auth?.['htpasswd'];
  if (typeof htpasswd !== 'object' || htpasswd === null) return false;
  const max = (htpasswd as { max_users?: unknown }).max_users;
  return !(typeof max === 'number' && max < 0);
}

function requests(raw: unknown, config: PluginOptions['config']): boolean {
  if (raw === undefined) return !openRegistration(config);
  if (raw !== 'open' && raw !== 'closed') throw new PluginConfigError('middlewares.tufpm.maintainer_requests must be open or closed');
  return raw === 'open';
}

/** Relative paths are read from the directory of config.yaml, as Verdaccio reads `storage:`. */
export function parsePluginConfig(raw: unknown, options: PluginOptions): TufpmPluginConfig {
  const c = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const configPath = options.config.configPath ?? options.config.self_path;
  const base = configPath === undefined ? process.cwd() : dirname(configPath);
  return {
    dir: path(c['dir'], 'dir', base),
    keys: path(c['keys'], 'keys', base),
    maxBodyBytes: positive(c['max_body_bytes'], 'max_body_bytes', 64 * 1024 * 1024),
    storeTimeoutMs: positive(c['store_timeout_ms'], 'store_timeout_ms', 60_000),
    renew: bool(c['renew'], 'renew', true),
    snapshot: profile(c['snapshot']),
    claimRequests: requests(c['maintainer_requests'], options.config),
  };
}
