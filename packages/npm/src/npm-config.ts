import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * npm's own configuration code, @npmcli/config (the version npm 11.19 bundles), loaded once. tufpm-npm reads
 * its command line, .npmrc files and npm_config_* variables exactly as npm does (ADR 0014): npm's key
 * definitions and types, its shorthands (`-s`, `-w`, `-D`), its layering (builtin < global < user < project
 * < env < cli), its workspace-root search, and its `flatten`, which turns the keys into the options npm hands
 * to Arborist and pacote. tufpm's own keys are added as definitions of the same kind.
 */

const require = createRequire(import.meta.url);

export interface NpmDefinition {
  key: string;
  type: unknown;
  default: unknown;
  flatten?: (key: string, obj: Record<string, unknown>, flat: Record<string, unknown>) => void;
}

interface DefinitionsModule {
  definitions: Record<string, NpmDefinition>;
  shorthands: Record<string, string[]>;
  flatten: (obj: Record<string, unknown>, flat?: Record<string, unknown>) => Record<string, unknown>;
  nerfDarts: string[];
}

export interface ConfigLayer {
  data: Record<string, unknown>;
  source: string;
  loadError?: Error;
  valid: boolean;
}

/** The part of @npmcli/config's Config class tufpm-npm uses. */
export interface NpmcliConfig {
  load(): Promise<void>;
  get(key: string, where?: string): unknown;
  readonly flat: Record<string, unknown>;
  readonly localPrefix: string;
  readonly data: Map<string, ConfigLayer>;
  validate(where?: string): boolean;
  readonly parsedArgv: { remain: string[]; original: string[] };
  readonly home: string;
}

interface ConfigClass {
  new (opts: {
    definitions: Record<string, NpmDefinition>;
    shorthands: Record<string, string[]>;
    flatten: DefinitionsModule['flatten'];
    nerfDarts: string[];
    npmPath: string;
    env: NodeJS.ProcessEnv;
    argv: string[];
    cwd: string;
    warn?: boolean;
  }): NpmcliConfig;
  typeDefs: Record<string, { type: unknown }>;
  getTypesFromDefinitions(defs: Record<string, NpmDefinition>): { types: Record<string, unknown>; defaults: Record<string, unknown> };
}

const Config = require('@npmcli/config') as ConfigClass;
const npmDefs = require('@npmcli/config/lib/definitions') as DefinitionsModule;
const Definition = require('@npmcli/config/lib/definitions/definition.js') as new (key: string, def: Record<string, unknown>) => NpmDefinition;
const pathType = Config.typeDefs['path']!.type;

/** tufpm's keys (docs/npm-cli.md). Not flattened: tufpm-npm reads them itself, Arborist never sees them. */
const TUFPM_KEYS: Record<string, { type: unknown; default: unknown; description: string }> = {
  'tufpm-root': { type: [null, pathType], default: null, description: 'trusted root file (default <prefix>/tufpm-root.json)' },
  'tufpm-state-dir': { type: [null, pathType], default: null, description: "the machine's trusted TUF state" },
  'tufpm-cache': { type: [null, String], default: null, description: 'retired; warned about, not read' },
  // a String, not npm's url type (which wants a host): `file:///dir/` is valid too; config.ts checks it (parseMetadataUrl)
  'tufpm-metadata-url': { type: [null, String], default: null, description: 'where TUF metadata is served (http(s) or file:///)' },
  'tufpm-unsafe-allow-git': { type: Boolean, default: false, description: 'let git dependencies through unverified' },
  'tufpm-unsafe-allow-file': { type: Boolean, default: false, description: 'let file: dependencies through unverified' },
  'tufpm-unsafe-allow-remote': { type: Boolean, default: false, description: 'let remote-URL dependencies through unverified' },
  'tufpm-unsafe-unverified-packages': { type: [Array, String], default: [], description: 'registry packages not verified' },
  'tufpm-require-maintainer-signed': { type: [Array, String], default: [], description: 'packages that must be maintainer-signed' },
  'tufpm-minimum-threshold': { type: [null, String], default: null, description: 'fewest maintainer signatures' },
  'tufpm-snapshot-max-length': { type: [null, String], default: null, description: 'bound on the TUF snapshot in bytes' },
  // init's options: command-line only (args.ts refuses them anywhere else and for other commands)
  'root-sha256': { type: [null, String], default: null, description: "init: the operator's root sha256" },
  'root-file': { type: [null, pathType], default: null, description: 'init: a local root file' },
  // exec's option; npm has `package` too, but only `npm exec` reads it
};

/** Command-line spellings of tufpm keys (`--unsafe-allow-git` is `--tufpm-unsafe-allow-git`). */
const TUFPM_SHORTHANDS: Record<string, string[]> = {
  'unsafe-allow-git': ['--tufpm-unsafe-allow-git'],
  'unsafe-allow-file': ['--tufpm-unsafe-allow-file'],
  'unsafe-allow-remote': ['--tufpm-unsafe-allow-remote'],
  'unsafe-unverified': ['--tufpm-unsafe-unverified-packages'],
  'require-maintainer-signed': ['--tufpm-require-maintainer-signed'],
  'minimum-threshold': ['--tufpm-minimum-threshold'],
  'metadata-url': ['--tufpm-metadata-url'],
  h: ['--usage'],
};

export const definitions: Record<string, NpmDefinition> = { ...npmDefs.definitions };
for (const [key, def] of Object.entries(TUFPM_KEYS)) {
  definitions[key] = new Definition(key, { ...def, envExport: false });
}
export const shorthands: Record<string, string[]> = { ...npmDefs.shorthands, ...TUFPM_SHORTHANDS };
export const typeDefs = Config.typeDefs;
export const { types } = Config.getTypesFromDefinitions(definitions);
export const isTufpmKey = (key: string): boolean => Object.hasOwn(TUFPM_KEYS, key);
export const isNpmKey = (key: string): boolean => Object.hasOwn(npmDefs.definitions, key);
export const npmDefinitionKeys = (): string[] => Object.keys(npmDefs.definitions);

/**
 * Where npm looks for its builtin `npmrc` and takes `npm-version` from: this package's directory (it ships
 * no `npmrc`, so there is no builtin layer; the global, user and project files are read as npm reads them).
 */
const PACKAGE_DIR = dirname(require.resolve('../../package.json'));

export function newNpmConfig(argv: string[], cwd: string, env: NodeJS.ProcessEnv): NpmcliConfig {
  return new Config({
    definitions,
    shorthands,
    flatten: npmDefs.flatten,
    nerfDarts: npmDefs.nerfDarts,
    npmPath: PACKAGE_DIR,
    // setEnvs() writes npm_config_* into this object: never the caller's process.env.
    env: { ...env },
    argv: [process.execPath, join(PACKAGE_DIR, 'bin', 'tufpm-npm.js'), ...argv],
    cwd,
  });
}
