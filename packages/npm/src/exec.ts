import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { DEFAULT_LOCKFILE_NAME } from '@tufpm/verify';
import type { NpmConfig } from './config.js';
import { NpmUsageError } from './errors.js';
import { runInstall } from './install.js';
import type { Progress } from './progress.js';
import type { Output } from './report.js';

export interface ExecIo {
  out: Output;
  cwd: string;
  env: NodeJS.ProcessEnv;
  json: boolean;
}

/** The bin of `pkgDir`'s package.json to run for `command` (npm exec's choice: the only bin, or the one named after the package). */
async function pickBin(pkgDir: string, command: string | undefined): Promise<string> {
  const manifest = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { name: string; bin?: string | Record<string, string> };
  const unscoped = manifest.name.replace(/^@[^/]+\//, '');
  const bins: Record<string, string> = typeof manifest.bin === 'string' ? { [unscoped]: manifest.bin } : (manifest.bin ?? {});
  const names = Object.keys(bins);
  const name = command ?? (names.length === 1 ? names[0] : names.includes(unscoped) ? unscoped : undefined);
  if (name === undefined || !Object.hasOwn(bins, name)) {
    throw new NpmUsageError(`${manifest.name} has no bin ${command === undefined ? `to run (bins: ${names.join(', ') || 'none'}); name one with --package=${manifest.name} <bin>` : JSON.stringify(command)}`);
  }
  return name;
}

function runBin(file: string, args: string[], io: ExecIo, binDirs: string[]): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const env = { ...io.env, PATH: [...binDirs, io.env['PATH'] ?? ''].join(delimiter) };
    const child = spawn(file, args, { cwd: io.cwd, env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
  });
}

/**
 * `tufpm-npm exec` (npm exec / npx): a bin of the project's own node_modules (installed by a verified
 * install) runs as with npm; anything else is installed first into a fresh directory below tufpm's state
 * directory (`<state>/exec/run-*`, never a cache a stranger could write) by the same verified install as `tufpm-npm install` (the project's trusted root, pins and policy), and only
 * then run. A package that fails verification is never extracted, so nothing of it can run. The directory is
 * removed afterwards: nothing installed for one exec is run unverified by a later one.
 */
export async function runExec(config: NpmConfig, positionals: string[], io: ExecIo, progress: Progress): Promise<number> {
  const packages = config.execPackages;
  const [first, ...rest] = positionals;
  // npm exec <pkg> [args]: the package names the command; --package <pkg>... <cmd> [args]: cmd is a bin.
  const specs = packages.length > 0 ? packages : [first!];
  const command = packages.length > 0 ? first : undefined;
  const args = rest;

  const localBin = join(config.prefix, 'node_modules', '.bin');
  if (packages.length === 0 && first !== undefined && /^[a-z0-9._-]+$/i.test(first) && existsSync(join(localBin, first))) {
    return runBin(join(localBin, first), args, io, [localBin]);
  }
  if (command === undefined && packages.length === 0 && first === undefined) throw new NpmUsageError('exec needs a package to run');

  // Not below the npm cache (npm's own npx uses <cache>/_npx): Node resolves a module the installed tool
  // requires but lacks by walking up the directory tree, and npm's script runner puts every parent's
  // node_modules/.bin on PATH, so a cache writer's <cache>/node_modules would run inside a verified exec.
  // The state directory is the user's own (0700, never inside a cache or the project: ADR 0011).
  const execRoot = join(config.tufpmStateDir, 'exec');
  await mkdir(execRoot, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(execRoot, 'run-'));
  try {
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'tufpm-exec', version: '0.0.0', private: true })}\n`);
    // The project's pins and floors apply to what exec installs, as to what install installs.
    const pins = join(config.prefix, DEFAULT_LOCKFILE_NAME);
    if (existsSync(pins)) await copyFile(pins, join(dir, DEFAULT_LOCKFILE_NAME));
    const execConfig: NpmConfig = { ...config, prefix: dir, dryRun: false, save: true, workspaceFilters: [], allWorkspaces: null, flat: { ...config.flat, dryRun: false, save: true, packageLockOnly: false, workspacesEnabled: false } };
    const result = await runInstall(execConfig, { command: 'install', packages: specs }, progress);
    io.out.stderr(`tufpm-npm: exec: ${result.verified.length} package(s) verified against TUF before running\n`);
    const installed = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const names = Object.keys(installed.dependencies ?? {});
    if (command === undefined && names.length !== 1) throw new NpmUsageError(`exec installed ${names.length} packages; name the command to run`);
    let bin: string | undefined;
    for (const name of names) {
      try {
        bin = await pickBin(join(dir, 'node_modules', name), command);
        break;
      } catch (error) {
        if (!(error instanceof NpmUsageError) || names.length === 1) throw error;
      }
    }
    if (bin === undefined) throw new NpmUsageError(`no installed package has a bin ${JSON.stringify(command)}`);
    const binDir = join(dir, 'node_modules', '.bin');
    return await runBin(join(binDir, bin), args, io, [binDir, localBin]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
