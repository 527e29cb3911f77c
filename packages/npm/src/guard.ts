import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@tufpm/client';
import { NpmUsageError } from './errors.js';

/**
 * The plain-npm guard of a tufpm project (ADR 0015), written by `tufpm-npm init`:
 * - package.json `engines.npm` set to a value no npm version satisfies, and `.npmrc` `engine-strict=true`:
 *   plain `npm install` / `npm ci` / `npm update` / `npm uninstall` / `npm dedupe` (everything that builds
 *   a tree) stop with EBADENGINE before fetching a tarball. tufpm-npm drives Arborist without an
 *   `npmVersion`, so Arborist skips the npm half of the engines check and tufpm-npm installs as before;
 *   `npm run`, `npm test` and `npx` of an installed bin keep working.
 * - `.npmrc` `yes=false`: `npx <pkg>` / `npm exec` refuse to download a package the project does not have
 *   ("npx canceled due to missing packages and no YES option"); tufpm-npm exec verifies what it fetches.
 * Each is a tripwire against an accident, not a boundary: `--no-engine-strict` or `--yes` passes it, and
 * a pull request can remove it. The boundary is the CI gate (`tufpm verify`).
 */
export const NPM_GUARD_ENGINE = 'use tufpm-npm: plain npm installs are not TUF-verified';
export const NPM_GUARD_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  ['engine-strict', 'true'],
  ['yes', 'false'],
];

const MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface GuardResult {
  /** 'written' now, 'present' already, or 'kept': engines.npm holds another value the user must change */
  engines: 'written' | 'present' | 'kept';
  /** the other engines.npm value that was kept */
  keptEngine?: string;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    if (text.length > MAX_FILE_BYTES) throw new NpmUsageError(`${path} is larger than ${MAX_FILE_BYTES} bytes`);
    return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Atomic replace (temp file + rename), keeping the file's mode. */
async function replaceFile(path: string, text: string): Promise<void> {
  let mode = 0o644;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await writeFileAtomic(path, new TextEncoder().encode(text), { mode });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets package.json engines.npm to the guard, keeping the file's indentation; never replaces another value. */
async function guardPackageJson(prefix: string): Promise<GuardResult> {
  const path = join(prefix, 'package.json');
  const text = await readOptional(path);
  if (text === undefined) throw new NpmUsageError(`no package.json in ${prefix}: init sets the plain-npm guard in it`);
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (error) {
    throw new NpmUsageError(`${path} is not valid JSON`, { cause: error });
  }
  if (!isObject(pkg)) throw new NpmUsageError(`${path} is not a JSON object`);
  const engines = pkg['engines'];
  if (engines !== undefined && !isObject(engines)) throw new NpmUsageError(`${path}: engines is not an object`);
  const current = engines?.['npm'];
  if (current === NPM_GUARD_ENGINE) return { engines: 'present' };
  if (current !== undefined) return { engines: 'kept', keptEngine: String(current) };
  pkg['engines'] = { ...(engines ?? {}), npm: NPM_GUARD_ENGINE };
  const indent = /^[{[]\r?\n([ \t]+)/.exec(text)?.[1] ?? '  ';
  await replaceFile(path, `${JSON.stringify(pkg, null, indent)}\n`);
  return { engines: 'written' };
}

/**
 * `tufpm-npm init`: the package.json half of the plain-npm guard (idempotent); the `.npmrc` half
 * (NPM_GUARD_SETTINGS) is written with the registry by init-npmrc.ts.
 */
export async function setUpNpmGuard(prefix: string): Promise<GuardResult> {
  return guardPackageJson(prefix);
}

/** What init tells the user about the guard. */
export function guardLines(guard: GuardResult): string[] {
  const lines: string[] = [];
  if (guard.engines === 'written') lines.push(`set package.json engines.npm "${NPM_GUARD_ENGINE}": plain npm install/ci now stop with EBADENGINE (ADR 0015); commit it`);
  if (guard.engines === 'kept') {
    lines.push(`WARN package.json engines.npm is "${guard.keptEngine!.slice(0, 100)}": kept, so plain npm install is NOT refused here; set it to "${NPM_GUARD_ENGINE}" to guard the project (docs/configuration.md)`);
  }
  return lines;
}
