import { SettingsType, type ConfigurationDefinitionMap, type Configuration } from '@yarnpkg/core';
import { npath, type PortablePath } from '@yarnpkg/fslib';

export type TufMode = 'enforce' | 'unsafe-warn';

// Typed settings: `configuration.get('tufMode')` is a TufMode, not `unknown`.
declare module '@yarnpkg/core' {
  interface ConfigurationValueMap {
    tufMetadataUrl: string | null;
    tufTrustedRoot: PortablePath | null;
    tufMode: TufMode;
    tufStateFolder: PortablePath | null;
    tufCacheFolder: PortablePath | null;
    unsafeTufLockfileFilename: string | null;
    tufRequireMaintainerSigned: Array<string>;
    tufMinimumThreshold: number;
    tufSnapshotMaxLength: number | null;
    unsafeTufUnverifiedPackages: Array<string>;
    unsafeTufAllowNonRegistry: Array<string>;
  }
}

/**
 * The plugin's `.yarnrc.yml` settings. Every weakening switch starts with `unsafe` so that it stands out in
 * review; each `YARN_TUF_...` / `YARN_UNSAFE_TUF_...` environment variable overrides the file (Yarn's rule).
 */
export const configuration: Partial<ConfigurationDefinitionMap> = {
  tufMetadataUrl: {
    description: 'URL of the TUF metadata of the npm registry (default: `<npmRegistryServer>/-/tuf/metadata/`)',
    type: SettingsType.STRING,
    default: null,
    isNullable: true,
  },
  tufTrustedRoot: {
    description: 'Path of the TUF root the project trusts initially (default: `<project>/tufpm-root.json`)',
    type: SettingsType.ABSOLUTE_PATH,
    default: null,
    isNullable: true,
  },
  tufMode: {
    description: '`enforce` stops the install on any verification failure; UNSAFE: `unsafe-warn` only reports it (installs anyway, pins unchanged)',
    type: SettingsType.STRING,
    default: 'enforce',
    values: ['enforce', 'unsafe-warn', 'warn'],
  },
  tufStateFolder: {
    description: 'The machine\'s trusted TUF state: verified metadata, delegated-role pack, Yarn bindings, record key (default: `$TUFPM_STATE_DIR`, else `$XDG_STATE_HOME/tufpm`, else `~/.local/state/tufpm`); mode 0700, never inside Yarn\'s global folder or cache',
    type: SettingsType.ABSOLUTE_PATH,
    default: null,
    isNullable: true,
  },
  // Kept only so that an old .yarnrc.yml still loads: the old location sat beside Yarn's global cache, which
  // other processes may write, so nothing is read from it any more (ADR 0011).
  tufCacheFolder: {
    description: 'No longer read (see tufStateFolder); a warning says so while it is set',
    type: SettingsType.ABSOLUTE_PATH,
    default: null,
    isNullable: true,
  },
  // A project's floors and claims live in tufpm-lock.json; a line that points the pins elsewhere makes every
  // install ignore them (a fresh file has no floor), so it carries the unsafe name.
  unsafeTufLockfileFilename: {
    description: 'UNSAFE: another name for the side lockfile (default `tufpm-lock.json`): the pins in tufpm-lock.json are then ignored',
    type: SettingsType.STRING,
    default: null,
    isNullable: true,
  },
  tufRequireMaintainerSigned: {
    description: 'Team policy: package names (or `@scope/*`, or `*` for every package) that must be signed by their own maintainers, not by the registry',
    type: SettingsType.STRING,
    default: [],
    isArray: true,
  },
  tufMinimumThreshold: {
    description: 'With tufRequireMaintainerSigned: the fewest maintainer signatures a package role may require',
    type: SettingsType.NUMBER,
    default: 1,
  },
  tufSnapshotMaxLength: {
    description: 'Bound in bytes on the TUF snapshot (default: the client\'s, 16 MB): raise it only to what the registry\'s snapshot needs',
    type: SettingsType.NUMBER,
    default: null,
  },
  unsafeTufUnverifiedPackages: {
    description: 'UNSAFE: package names (or `@scope/*`) installed WITHOUT TUF verification',
    type: SettingsType.STRING,
    default: [],
    isArray: true,
  },
  unsafeTufAllowNonRegistry: {
    description: 'UNSAFE: package names (or `@scope/*`, or `*`) allowed from git, file, link or remote-URL sources',
    type: SettingsType.STRING,
    default: [],
    isArray: true,
  },
};

export interface TufSettings {
  metadataUrl: string | null;
  trustedRoot: string | null;
  mode: TufMode;
  /** `tufMode: warn`, the old spelling of unsafe-warn: refused (TUF_UNSAFE_SETTING) when a session opens */
  legacyWarnMode: boolean;
  /** the tufpm state directory (checked when the verifier opens it); null: @tufpm/verify's defaultStateDir() */
  stateFolder: string | null;
  /** where other processes may write: the state folder may not lie inside one */
  packageCaches: string[];
  /** the retired tufCacheFolder is set (warned about, not read) */
  retiredCacheFolder: boolean;
  lockfileFilename: string;
  unverifiedPackages: string[];
  allowNonRegistry: string[];
  /** InstallVerifier's requireMaintainerSigned: `*` in the list means every package (true). */
  requireMaintainerSigned: true | string[];
  minimumThreshold: number;
  /** null: the client's default */
  snapshotMaxLength: number | null;
  /** Yarn's own `httpTimeout` (ms): the TUF client's idle timeout and slow-retrieval grace are shortened to it */
  networkTimeoutMs: number;
}

/** Reads the settings once per install; the mode is checked here because env overrides bypass `values`. */
export function readSettings(config: Configuration): TufSettings {
  const mode = config.get('tufMode') as string;
  // `warn` (the old spelling) is refused with a coded error by TufSession.open; here it can only be enforce.
  if (mode !== 'enforce' && mode !== 'unsafe-warn' && mode !== 'warn') throw new Error(`tufMode must be "enforce" or "unsafe-warn", got ${String(mode)}`);
  const stateFolder = config.get('tufStateFolder');
  return {
    metadataUrl: config.get('tufMetadataUrl'),
    trustedRoot: config.get('tufTrustedRoot'),
    mode: mode === 'unsafe-warn' ? 'unsafe-warn' : 'enforce',
    legacyWarnMode: mode === 'warn',
    stateFolder: stateFolder === null ? null : npath.fromPortablePath(stateFolder),
    packageCaches: [config.get('globalFolder'), config.get('cacheFolder')].map((p) => npath.fromPortablePath(p)),
    retiredCacheFolder: config.get('tufCacheFolder') !== null,
    lockfileFilename: config.get('unsafeTufLockfileFilename') ?? 'tufpm-lock.json',
    unverifiedPackages: [...config.get('unsafeTufUnverifiedPackages')],
    allowNonRegistry: [...config.get('unsafeTufAllowNonRegistry')],
    requireMaintainerSigned: maintainerPolicy([...config.get('tufRequireMaintainerSigned')]),
    minimumThreshold: minimumThreshold(config.get('tufMinimumThreshold')),
    snapshotMaxLength: byteBound(config.get('tufSnapshotMaxLength')),
    networkTimeoutMs: config.get('httpTimeout'),
  };
}

/** `*` anywhere in the list is the whole tree; an entry must be a name or `@scope/*` (anything else is a typo). */
export function maintainerPolicy(list: string[]): true | string[] {
  if (list.includes('*')) return true;
  for (const entry of list) {
    const scope = /^@[^/@\s]+\/\*$/.test(entry);
    if (!scope && (entry === '' || entry.includes('*') || /\s/.test(entry))) {
      throw new Error(`tufRequireMaintainerSigned: ${JSON.stringify(entry)} is not a package name, @scope/* or *`);
    }
  }
  return list;
}

/** null (the client's default) or a byte count from 1 to 1,000,000,000. */
function byteBound(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > 1_000_000_000) throw new Error(`tufSnapshotMaxLength must be a number of bytes from 1 to 1000000000, got ${String(value)}`);
  return n;
}

// A policy that silently read as "no policy" would be a weakening: refuse anything but an integer >= 1.
function minimumThreshold(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new Error(`tufMinimumThreshold must be an integer of at least 1, got ${String(value)}`);
  return n;
}

/** `name` matches an entry that is the exact name, `@scope/*`, or `*`. */
export function matchesNameList(name: string, list: readonly string[]): boolean {
  for (const entry of list) {
    if (entry === '*' || entry === name) return true;
    if (entry.endsWith('/*') && entry.startsWith('@') && name.startsWith(entry.slice(0, -1))) return true;
  }
  return false;
}
