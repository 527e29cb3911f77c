import { parseArgs } from 'node:util';
import { NpmUsageError } from './errors.js';
import type { RawConfig } from './npmrc.js';

export type Command = 'install' | 'ci' | 'verify' | 'status' | 'init' | 'help' | 'version';

export interface ParsedArgs {
  command: Command;
  /** Package specs for `install` (`lodash`, `lodash@^4`, `@babel/core@7.24.0`). */
  packages: string[];
  saveType: 'prod' | 'dev' | 'optional' | null;
  json: boolean;
  progress: boolean;
  /** Config given on the command line, in npm's key spelling, layered over .npmrc and env. */
  cli: RawConfig;
  /** `init`: the trusted root's expected sha256 (out of band), a local root file, replace an existing root. */
  init: { rootSha256?: string; rootFile?: string; force: boolean };
}

// npm's command aliases that make sense here.
const ALIASES: Record<string, Command> = {
  install: 'install',
  i: 'install',
  add: 'install',
  ci: 'ci',
  'clean-install': 'ci',
  verify: 'verify',
  status: 'status',
  init: 'init',
  help: 'help',
};

const OPTIONS = {
  registry: { type: 'string' },
  omit: { type: 'string', multiple: true },
  include: { type: 'string', multiple: true },
  'ignore-scripts': { type: 'boolean' },
  'save-dev': { type: 'boolean', short: 'D' },
  'save-optional': { type: 'boolean', short: 'O' },
  'save-prod': { type: 'boolean', short: 'P' },
  'save-exact': { type: 'boolean', short: 'E' },
  prefix: { type: 'string' },
  cache: { type: 'string' },
  userconfig: { type: 'string' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  'tufpm-root': { type: 'string' },
  'tufpm-state-dir': { type: 'string' },
  'tufpm-cache': { type: 'string' },
  'tufpm-metadata-url': { type: 'string' },
  'unsafe-allow-git': { type: 'boolean' },
  'unsafe-allow-file': { type: 'boolean' },
  'unsafe-allow-remote': { type: 'boolean' },
  'unsafe-unverified': { type: 'string', multiple: true },
  'require-maintainer-signed': { type: 'string', multiple: true },
  'minimum-threshold': { type: 'string' },
  'root-sha256': { type: 'string' },
  'root-file': { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

// Command-line names that map onto a differently spelled config key.
const CLI_TO_CONFIG: Record<string, string> = {
  'unsafe-allow-git': 'tufpm-unsafe-allow-git',
  'unsafe-allow-file': 'tufpm-unsafe-allow-file',
  'unsafe-allow-remote': 'tufpm-unsafe-allow-remote',
  'unsafe-unverified': 'tufpm-unsafe-unverified-packages',
  'require-maintainer-signed': 'tufpm-require-maintainer-signed',
  'minimum-threshold': 'tufpm-minimum-threshold',
};

// Flags that are not config: they shape this run only.
const NOT_CONFIG = new Set(['save-dev', 'save-optional', 'save-prod', 'json', 'progress', 'help', 'version', 'root-sha256', 'root-file', 'force']);

export function parseCliArgs(argv: string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, allowNegative: true });
  } catch (error) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed options.
    if (error instanceof TypeError && String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) {
      throw new NpmUsageError(error.message, { cause: error });
    }
    throw error;
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;
  let command: Command;
  if (values.version) command = 'version';
  else if (values.help || first === undefined) command = 'help';
  else {
    const found = ALIASES[first];
    if (found === undefined) throw new NpmUsageError(`unknown command ${JSON.stringify(first)}`);
    command = found;
  }
  if (command !== 'install' && command !== 'help' && rest.length > 0) {
    throw new NpmUsageError(`${command} takes no package arguments`);
  }
  for (const spec of rest) {
    if (spec.length === 0 || spec.length > 1024) throw new NpmUsageError('empty or overlong package argument');
  }
  const saveFlags = [values['save-dev'], values['save-optional'], values['save-prod']].filter(Boolean).length;
  if (saveFlags > 1) throw new NpmUsageError('use only one of --save-dev, --save-optional, --save-prod');
  if (saveFlags > 0 && command !== 'install') throw new NpmUsageError(`--save-* flags apply to install, not ${command}`);
  if (command !== 'init' && (values['root-sha256'] !== undefined || values['root-file'] !== undefined || values.force !== undefined)) {
    throw new NpmUsageError(`--root-sha256, --root-file and --force apply to init, not ${command}`);
  }
  if (values['root-sha256'] !== undefined && !/^[0-9a-fA-F]{64}$/.test(values['root-sha256'])) {
    throw new NpmUsageError('--root-sha256 takes 64 hex characters');
  }

  const cli: RawConfig = new Map();
  for (const [name, value] of Object.entries(values)) {
    if (NOT_CONFIG.has(name) || value === undefined) continue;
    const key = CLI_TO_CONFIG[name] ?? name;
    cli.set(key, typeof value === 'boolean' ? String(value) : (value as string | string[]));
  }
  return {
    command,
    packages: command === 'install' ? rest : [],
    saveType: values['save-dev'] ? 'dev' : values['save-optional'] ? 'optional' : values['save-prod'] ? 'prod' : null,
    json: values.json === true,
    // Progress is on by default when stderr is a terminal; --progress / --no-progress override.
    progress: values.progress ?? process.stderr.isTTY === true,
    cli,
    init: {
      ...(values['root-sha256'] !== undefined ? { rootSha256: values['root-sha256'].toLowerCase() } : {}),
      ...(values['root-file'] !== undefined ? { rootFile: values['root-file'] } : {}),
      force: values.force === true,
    },
  };
}

export const USAGE = `Usage: tufpm-npm <command> [options]

Commands (like the npm commands of the same name, verified against TUF):
  install [pkg...]   add packages / install package.json deps; writes package-lock.json and tufpm-lock.json
  ci                 clean install exactly package-lock.json; refuses a repository older than tufpm-lock.json
  verify             re-verify package-lock.json against TUF and tufpm-lock.json, install nothing
  status             trusted root/timestamp/snapshot versions, pins, expiries
  init               start the project's trust: write tufpm-root.json, the root the project trusts (the
                     registry's 1.root.json checked against --root-sha256 <hex> from the operator, out of
                     band, or --root-file <file>; without either it is trusted on first use, said loudly;
                     an existing one is kept unless --force), then verify the registry's current state and
                     record its floors and the claims of the project's packages in tufpm-lock.json

Options:
  --registry <url>        registry (also \`registry=\` in .npmrc)
  --omit <dev|optional|peer>, --include <type>
  --ignore-scripts        do not run dependency lifecycle scripts
  -D, --save-dev | -O, --save-optional | -P, --save-prod | -E, --save-exact
  --prefix <dir>          project directory (default: nearest with package.json)
  --cache <dir>, --userconfig <file>
  --json                  machine-readable result on stdout
  --[no-]progress         progress on stderr (default: when stderr is a terminal)
  --tufpm-root <file>     trusted root (default: <prefix>/tufpm-root.json)
  --tufpm-state-dir <dir> the machine's trusted TUF state (default: ~/.local/state/tufpm; 0700,
                          never inside the npm cache), --tufpm-metadata-url <url>
  --unsafe-allow-git | --unsafe-allow-file | --unsafe-allow-remote   allow unverified sources
  --unsafe-unverified <name|@scope/*>   skip verification for a package (repeatable)
  --require-maintainer-signed <name|@scope/*|*>   policy: the package must be signed by its own
                          maintainers, not the registry (repeatable; * = every package)
  --minimum-threshold <n> policy: with the above, at least n maintainer signatures per package (default 1)

Exit codes: 0 success, 1 verification or install failure, 2 usage error.
`;
