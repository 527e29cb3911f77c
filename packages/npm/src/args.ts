import { createRequire } from 'node:module';
import { NpmUsageError } from './errors.js';
import { isTufpmKey, shorthands, typeDefs, types } from './npm-config.js';
import { ruleFor } from './options.js';

export type Command =
  | 'install' | 'ci' | 'uninstall' | 'update' | 'dedupe' | 'prune' | 'exec' | 'ls' | 'outdated'
  | 'verify' | 'status' | 'init' | 'help' | 'version';

export interface ParsedArgs {
  command: Command;
  /** Positional arguments after the command: package specs (install, uninstall, update, ls, outdated), or exec's command and its arguments. */
  packages: string[];
  json: boolean;
  progress: boolean;
  /** The config keys given on the command line (npm spelling), already type-checked by npm's definitions. */
  cliKeys: string[];
  /** The arguments as given, for @npmcli/config, which layers them over the config files as npm does. */
  argv: string[];
  /** `init`: the trusted root's expected sha256 (out of band), a local root file, replace an existing root. */
  init: { rootSha256?: string; rootFile?: string; force: boolean };
}

// npm's command names and aliases (npm 11 `npm help <command>`); `unlink` is left out: it means more than remove.
const ALIASES: Record<string, Command> = {
  install: 'install', i: 'install', add: 'install', in: 'install', ins: 'install', inst: 'install', insta: 'install', instal: 'install', isnt: 'install', isnta: 'install', isntal: 'install', isntall: 'install',
  ci: 'ci', 'clean-install': 'ci', ic: 'ci', 'install-clean': 'ci', 'isntall-clean': 'ci',
  uninstall: 'uninstall', remove: 'uninstall', rm: 'uninstall', r: 'uninstall', un: 'uninstall',
  update: 'update', u: 'update', up: 'update', upgrade: 'update', udpate: 'update',
  dedupe: 'dedupe', ddp: 'dedupe',
  prune: 'prune',
  exec: 'exec', x: 'exec',
  ls: 'ls', list: 'ls', la: 'ls', ll: 'ls',
  outdated: 'outdated',
  verify: 'verify',
  status: 'status',
  init: 'init',
  help: 'help',
};

/** Commands that take package arguments. */
const TAKES_PACKAGES = new Set<Command>(['install', 'uninstall', 'update', 'ls', 'outdated', 'exec', 'help']);
/** Commands that save to package.json (npm's `--save-*` apply to them). */
const SAVES = new Set<Command>(['install', 'uninstall', 'update']);
const SAVE_TYPE_KEYS = ['save-prod', 'save-dev', 'save-optional', 'save-peer'];

const require = createRequire(import.meta.url);
const noptLib = (require('nopt') as { lib: { nopt: (args: string[], opts: Record<string, unknown>) => Record<string, unknown> & { argv: { remain: string[] } } } }).lib;

/**
 * Parses the command line with nopt, npm's own parser, over npm's option definitions and shorthands, so
 * `-s`, `-w a`, `--no-save`, `--omit=dev --omit optional`, `--legacy-peer-deps` mean what they mean to npm.
 * Stricter than npm where npm only warns: an unknown option, a value of the wrong type and an abbreviated
 * option name are usage errors, and an npm option tufpm-npm does not implement is refused by name.
 */
export function parseCliArgs(argv: string[]): ParsedArgs {
  for (const arg of argv) {
    if (arg.length > 4096) throw new NpmUsageError('overlong command-line argument');
  }
  const problems: string[] = [];
  const parsed = noptLib.nopt(argv, {
    types,
    shorthands,
    typeDefs,
    invalidHandler: (key: string, value: unknown) => problems.push(`--${key}: invalid value ${JSON.stringify(value)}`),
    unknownHandler: (key: string) => problems.push(`unknown option ${key.startsWith('-') ? key : `--${key}`}`),
    abbrevHandler: (short: string, long: string) => problems.push(`--${short} is an abbreviation of --${long}; spell it out`),
  });
  if (problems.length > 0) throw new NpmUsageError(problems.join('; '));
  const remain = parsed.argv.remain;
  const values: Record<string, unknown> = { ...parsed };
  delete values['argv'];
  const cliKeys = Object.keys(values);

  const [first, ...rest] = remain;
  let command: Command;
  if (values['version'] === true) command = 'version';
  else if (values['usage'] === true || first === undefined) command = 'help';
  else {
    const found = Object.hasOwn(ALIASES, first) ? ALIASES[first] : undefined;
    if (found === undefined) throw new NpmUsageError(`unknown command ${JSON.stringify(first)}`);
    command = found;
  }

  for (const key of cliKeys) {
    const rule = ruleFor(key);
    if (rule?.status === 'refused' && !(key === 'force' && command === 'init')) {
      throw new NpmUsageError(`--${key} is not supported by tufpm-npm: ${rule.note}`, { code: 'TUF_NPM_UNSUPPORTED_OPTION' });
    }
    if (rule === undefined && !isTufpmKey(key)) {
      throw new NpmUsageError(`--${key} is an npm option that tufpm-npm does not implement for ${command} (docs/npm-cli.md)`, { code: 'TUF_NPM_UNSUPPORTED_OPTION' });
    }
  }
  if (!TAKES_PACKAGES.has(command) && rest.length > 0) throw new NpmUsageError(`${command} takes no package arguments`);
  if (command === 'exec' && rest.length === 0 && values['package'] === undefined) throw new NpmUsageError('exec needs a package or command to run');
  for (const spec of rest) {
    if (spec.length === 0 || spec.length > 1024) throw new NpmUsageError('empty or overlong package argument');
  }
  const saveTypes = SAVE_TYPE_KEYS.filter((k) => values[k] === true);
  if (saveTypes.length > 1) throw new NpmUsageError(`use only one of ${saveTypes.map((k) => `--${k}`).join(', ')}`);
  if (!SAVES.has(command) && (saveTypes.length > 0 || values['save-bundle'] !== undefined || values['save'] !== undefined)) {
    throw new NpmUsageError(`--save options apply to install, uninstall and update, not ${command}`);
  }
  if (command !== 'init' && (values['root-sha256'] !== undefined || values['root-file'] !== undefined)) {
    throw new NpmUsageError(`--root-sha256 and --root-file apply to init, not ${command}`);
  }
  if (command !== 'exec' && values['package'] !== undefined) throw new NpmUsageError(`--package applies to exec, not ${command}`);
  const rootSha256 = values['root-sha256'];
  if (typeof rootSha256 === 'string' && !/^[0-9a-fA-F]{64}$/.test(rootSha256)) {
    throw new NpmUsageError('--root-sha256 takes 64 hex characters');
  }
  const rootFile = values['root-file'];
  return {
    command,
    packages: rest,
    json: values['json'] === true,
    // Progress is on by default when stderr is a terminal; --progress / --no-progress override.
    progress: typeof values['progress'] === 'boolean' ? values['progress'] : process.stderr.isTTY === true,
    cliKeys,
    argv,
    init: {
      ...(typeof rootSha256 === 'string' ? { rootSha256: rootSha256.toLowerCase() } : {}),
      ...(typeof rootFile === 'string' ? { rootFile } : {}),
      force: values['force'] === true,
    },
  };
}

export const USAGE = `Usage: tufpm-npm <command> [options]

Commands (like the npm commands of the same name, verified against TUF; docs/npm-cli.md):
  install [pkg...]   add packages / install package.json deps; writes package-lock.json and tufpm-lock.json
  ci                 clean install exactly package-lock.json; refuses a repository older than tufpm-lock.json
  uninstall <pkg...> remove packages (remove, rm, un); the remaining tree is verified
  update [pkg...]    update within package.json ranges (up, upgrade); every new version verified
  dedupe             reduce duplication (ddp); the resulting tree is verified
  prune              remove extraneous packages; the resulting tree is verified
  exec <pkg> [args]  verified npx: installs <pkg> (or --package) into a temporary directory, verified like
                     install, then runs its bin; nothing runs unless everything fetched verified
  ls [pkg...]        installed tree, each registry package checked against TUF (--all, --depth, --json)
  outdated [pkg...]  current, wanted and latest from the signed release lists (--json)
  verify             re-verify package-lock.json against TUF and tufpm-lock.json, install nothing
  status             trusted root/timestamp/snapshot versions, pins, expiries
  init               start the project's trust: write tufpm-root.json, the root the project trusts (the
                     registry's 1.root.json checked against --root-sha256 <hex> from the operator, out of
                     band, or --root-file <file>; without either it is trusted on first use, said loudly;
                     an existing one is kept unless --force), verify the registry's current state, record
                     its floors and the claims of the project's packages in tufpm-lock.json, and set
                     registry= in the project's .npmrc (or say exactly what to add)

Options: npm's own, with npm's meaning (the table in docs/npm-cli.md says which are passed to Arborist,
which only shape output and are no-ops, and which are refused), e.g. --registry <url>, --omit <type>,
--include <type>, --ignore-scripts, -D/-O/-P/-E, --no-save, --dry-run, --legacy-peer-deps,
--install-strategy <s>, --before <date>, --min-release-age <days>, -w/--workspace <name>, --workspaces,
--prefix <dir>, --cache <dir>, --userconfig <file>, --prefer-offline, -s/--silent, --loglevel <l>,
--json, --[no-]progress. And tufpm's:
  --tufpm-root <file>     trusted root (default: <prefix>/tufpm-root.json)
  --tufpm-state-dir <dir> the machine's trusted TUF state (default: ~/.local/state/tufpm; 0700,
                          never inside the npm cache)
  --metadata-url <url>    (--tufpm-metadata-url) the TUF metadata, when not <registry>/-/tuf/metadata/:
                          an overlay team's repository, http(s) or a file:/// directory (docs/overlay.md)
  --unsafe-allow-git | --unsafe-allow-file | --unsafe-allow-remote   allow unverified sources
  --unsafe-unverified <name|@scope/*>   skip verification for a package (repeatable)
  --require-maintainer-signed <name|@scope/*|*>   policy: the package must be signed by its own
                          maintainers, not the registry (repeatable; * = every package)
  --minimum-threshold <n> policy: with the above, at least n maintainer signatures per package (default 1)

Exit codes: 0 success, 1 verification or install failure, 2 usage error.
`;
