/**
 * What tufpm-npm does with each npm option of the commands it implements (docs/npm-cli.md shows this table;
 * a test checks it against the real `npm install --help` / `npm ci --help`). Nothing is silently ignored:
 * - `arborist`: handed to Arborist and pacote exactly as npm hands it (npm's own `flatten`), the tree they
 *   shape is then verified like any other;
 * - `output`: shapes only what npm prints (or npm's own reporting); a no-op here;
 * - `tufpm`: read by tufpm-npm itself, with npm's meaning;
 * - `refused`: a coded usage error (TUF_NPM_UNSUPPORTED_OPTION) naming the option, on the command line and in
 *   any config file or npm_config_* variable.
 * An npm key not in this table is refused on the command line; in config files it reaches Arborist through
 * npm's flatten as it would with npm (keys such as `init-author-name` or `sign-git-tag` that npm's install does
 * not read either, and the network settings `proxy`, `ca`, `strict-ssl`, `fetch-retries`, ...).
 */
export type OptionStatus = 'arborist' | 'output' | 'tufpm' | 'refused';

export interface OptionRule {
  status: OptionStatus;
  note: string;
}

const A = (note: string): OptionRule => ({ status: 'arborist', note });
const O = (note: string): OptionRule => ({ status: 'output', note });
const T = (note: string): OptionRule => ({ status: 'tufpm', note });
const R = (note: string): OptionRule => ({ status: 'refused', note });

export const OPTION_RULES: Record<string, OptionRule> = {
  save: A('write package.json and package-lock.json (`--no-save`: neither, and no pins move)'),
  'save-exact': A('exact versions in package.json'),
  'save-prefix': A('range prefix in package.json'),
  'save-prod': A('save as dependency'),
  'save-dev': A('save as devDependency'),
  'save-optional': A('save as optionalDependency'),
  'save-peer': A('save as peerDependency'),
  'save-bundle': A('also add to bundleDependencies'),
  global: R('global installs have no project trust (tufpm-root.json, tufpm-lock.json); install into a project'),
  location: R('only the project location is supported (`location=global` is a global install)'),
  'install-strategy': A('hoisted, nested or shallow node_modules layout; `linked` is refused (TUF_NPM_UNSUPPORTED_OPTION): its isolated reifier extracts outside the verified path'),
  'legacy-bundling': A('deprecated alias of --install-strategy=nested'),
  'global-style': A('deprecated alias of --install-strategy=shallow'),
  omit: A('dependency types not installed on disk (still verified)'),
  include: A('dependency types installed despite omit'),
  production: A('deprecated: omit dev'),
  'strict-peer-deps': A('peer conflicts are errors'),
  'legacy-peer-deps': A("ignore peerDependencies when building the tree (npm 6's behaviour)"),
  'prefer-dedupe': A('prefer deduplicating over newer versions'),
  'package-lock': A('`--no-package-lock`: ignore and do not write package-lock.json'),
  'package-lock-only': A('write package-lock.json (verified), no node_modules'),
  'foreground-scripts': A('run install scripts in the foreground'),
  'ignore-scripts': A('run no lifecycle scripts'),
  'script-shell': A('shell for lifecycle scripts'),
  'allow-directory': A('npm limits directory dependencies; tufpm-npm refuses them anyway unless tufpm-unsafe-allow-file'),
  'allow-file': A('npm limits tarball-file dependencies; tufpm-npm refuses them anyway unless tufpm-unsafe-allow-file'),
  'allow-git': A('npm limits git dependencies; tufpm-npm refuses them anyway unless tufpm-unsafe-allow-git'),
  'allow-remote': A('npm limits remote-URL dependencies; tufpm-npm refuses them anyway unless tufpm-unsafe-allow-remote'),
  'allow-scripts': R("the config form of npm 11's install-script policy is not read (npm refuses it in a project on the command line, and an allow list alone changes nothing that runs); write the policy in package.json `allowScripts`, which tufpm-npm honours, or use --ignore-scripts"),
  'strict-allow-scripts': R('turning unlisted install scripts into an error is not implemented; deny them in package.json `allowScripts`, or use --ignore-scripts'),
  'dangerously-allow-all-scripts': R('would run the scripts package.json `allowScripts` denies'),
  audit: O('no audit report is requested (run `npm audit` on its own); a no-op'),
  'audit-level': O('no audit report; a no-op'),
  fund: O('no funding message; a no-op'),
  before: A('only versions published on or before the date; publish times come from the packument and are not signed (threat model); a version without a time is excluded'),
  'min-release-age': A('only versions published at least this many days ago (becomes `before`); same caveat as before'),
  'min-release-age-exclude': A('packages exempt from before/min-release-age'),
  'bin-links': A('link package executables'),
  'dry-run': A('build and verify the tree, change nothing (no node_modules, lockfiles or pins written)'),
  cpu: A('override the CPU for optional native packages'),
  os: A('override the OS for optional native packages'),
  libc: A('override libc for optional native packages'),
  workspace: T('run in the named workspaces (`-w`); from inside a workspace, npm finds the root and selects it'),
  workspaces: T('run in every workspace (`--workspaces`, `--ws`); `--no-workspaces` ignores them'),
  'include-workspace-root': A('with -w/--workspaces, the root project too'),
  'install-links': A('pack file: dependencies instead of linking (refused anyway unless tufpm-unsafe-allow-file)'),
  'engine-strict': T("npm's engine check on each package's signed engines: refused (TUF_NPM_EBADENGINE), else npm's EBADENGINE warning"),
  force: R('npm --force overrides safety checks; only `tufpm-npm init --force` (replace the trusted root) exists'),
  loglevel: O('npm log level (`-s`/`--silent`, `-q`, `-d`, `--verbose` set it); tufpm-npm prints warnings and errors; a no-op'),
  progress: T('progress on stderr'),
  color: O('a no-op (tufpm-npm prints no colour)'),
  unicode: O('a no-op'),
  timing: O('a no-op'),
  'logs-dir': O('tufpm-npm writes no debug log; a no-op'),
  'logs-max': O('a no-op'),
  'update-notifier': O('a no-op (tufpm-npm never checks for updates)'),
  usage: T('help (`-h`, `--help`)'),
  version: T('print the version (`-v`)'),
  json: T('machine-readable result on stdout'),
  parseable: R('ls/outdated --parseable is not implemented; use --json'),
  long: O('ls/outdated: a no-op (the output always names the signer)'),
  all: T('ls/outdated: every package, not only direct dependencies'),
  depth: T('ls: depth of the tree shown'),
  'prefer-offline': A('cache hint: use cached data when present (still verified)'),
  'prefer-online': A('cache hint: revalidate cached data'),
  offline: A('network off: cache only (still verified)'),
  cache: T('npm cache root; Arborist reads `<cache>/_cacache` as npm does'),
  registry: T('the registry, and its TUF metadata at `<registry>-/tuf/metadata/`'),
  userconfig: T('user config file'),
  globalconfig: T('global config file'),
  prefix: T('project directory'),
  package: T('exec: the package(s) to install before running'),
  call: R('exec -c runs a shell string; run `tufpm-npm exec <pkg> -- <args>` instead'),
  yes: O('exec never prompts (every package is verified before it runs); a no-op'),
};

export function ruleFor(key: string): OptionRule | undefined {
  return Object.hasOwn(OPTION_RULES, key) ? OPTION_RULES[key] : undefined;
}
