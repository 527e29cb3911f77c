import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TufError, type Key, type Signer } from '@tufpm/models';
import { InvalidInputError, KeyMismatchError } from '../errors.js';
import { isErrno } from '../fs-util.js';
import { readPublicKeyFile, readSignerFile } from '../keys.js';
import { NpmRepository } from '../npm-api.js';

/** Wrong command-line usage: exit code 2. */
export class UsageError extends Error {}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** true when stderr is a terminal (progress display) */
  errIsTTY: boolean;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command that touches a repository takes. */
export const REPO_OPTIONS: Options = {
  dir: { type: 'string' },
  registry: { type: 'string' },
  keys: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: Options, usage: string): Parsed {
  return parseCommand(argv, { ...REPO_OPTIONS, ...options }, usage);
}

/** Strict parsing of one command's arguments (both CLIs of this package); `--help` and bad usage are UsageErrors. */
export function parseCommand(argv: string[], options: Options, usage: string): Parsed {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if (r.values['help'] === true) throw new UsageError(usage);
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // parseArgs reports unknown/ill-typed options as TypeErrors with an ERR_PARSE_ARGS_* code.
    if (err instanceof TypeError && String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(`${err.message}\n\n${usage}`);
    }
    throw err;
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function int(p: Parsed, name: string, usage: string): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]{0,5}$/.test(v)) throw new UsageError(`--${name} must be a positive integer\n\n${usage}`);
  return Number(v);
}

/** The metadata dir: --dir, or <--registry>/tuf/metadata (the layout @tufpm/registry serves). */
export function metadataDir(p: Parsed, usage: string): string {
  const dir = str(p, 'dir');
  const registry = str(p, 'registry');
  if (dir !== undefined && registry !== undefined) throw new UsageError(`give --dir or --registry, not both\n\n${usage}`);
  if (dir !== undefined) return resolve(dir);
  if (registry !== undefined) return resolve(registry, 'tuf', 'metadata');
  throw new UsageError(`--dir (metadata directory) or --registry (registry directory) is required\n\n${usage}`);
}

export function keysDir(p: Parsed, usage: string): string {
  const k = str(p, 'keys');
  if (k === undefined) throw new UsageError(`--keys DIR is required\n\n${usage}`);
  return resolve(k);
}

export async function openRepo(p: Parsed, usage: string): Promise<NpmRepository> {
  return NpmRepository.open({ dir: metadataDir(p, usage), keysDir: keysDir(p, usage) });
}

export async function readSigners(paths: string[]): Promise<Signer[]> {
  const out: Signer[] = [];
  for (const f of paths) out.push(await readSignerFile(resolve(f)));
  return out;
}

export async function readKeys(paths: string[]): Promise<Key[]> {
  const out: Key[] = [];
  for (const f of paths) out.push(await readPublicKeyFile(resolve(f)));
  return out;
}

/**
 * A key named on the command line: a key file (public or private), a full keyid, or a unique
 * prefix (at least 8 hex digits) of one of `candidates`.
 */
export async function resolveKeyid(arg: string, candidates: readonly string[], what: string): Promise<string> {
  try {
    if ((await stat(arg)).isFile()) return (await readPublicKeyFile(resolve(arg))).keyid;
  } catch (err) {
    if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENAMETOOLONG')) throw err;
  }
  if (!/^[0-9a-f]{8,64}$/.test(arg)) throw new InvalidInputError(`${JSON.stringify(arg)} is neither a key file nor a keyid (hex, at least 8 digits)`);
  const hits = candidates.filter((id) => id.startsWith(arg));
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) throw new InvalidInputError(`keyid prefix ${arg} is ambiguous among the keys of ${what}`);
  throw new KeyMismatchError(`no key ${arg} in ${what} (it has ${candidates.join(', ') || 'none'})`);
}

export function print(io: Io, p: Parsed, human: string, data: unknown): void {
  io.out(p.values['json'] === true ? JSON.stringify(data, null, 2) + '\n' : human.endsWith('\n') ? human : human + '\n');
}

/** `code: message` for anything thrown; TufErrors carry their stable code. */
export function formatError(err: unknown): string {
  if (err instanceof TufError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return `${typeof code === 'string' ? code : 'ERROR'}: ${err.message}`;
  }
  return `ERROR: ${String(err)}`;
}

export { join };

/**
 * The one positional argument of the operator commands that act on a maintainers' request: a request file,
 * or a package NAME whose request was submitted to the registry (`--registry DIR`, located by
 * `submittedFile`). `submitted` says the file is the registry's copy, renamed once it has been acted on.
 */
export async function requestFileArg(
  p: Parsed,
  usage: string,
  submittedFile: (registryDir: string, name: string) => string,
): Promise<{ file: string; submitted: boolean }> {
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const arg = p.positionals[0]!;
  const file = resolve(arg);
  try {
    await stat(file);
    return { file, submitted: false };
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const registry = str(p, 'registry');
  if (registry === undefined) throw new UsageError(`${arg} is not a file; give --registry to take the request submitted for package ${arg}\n\n${usage}`);
  return { file: submittedFile(resolve(registry), arg), submitted: true };
}
