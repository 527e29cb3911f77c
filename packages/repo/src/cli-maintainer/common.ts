import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Signer } from '@tufpm/models';
import { type Io, type Options, type Parsed, UsageError, list, parseCommand, str } from '../cli/common.js';
import { parseDuration } from '../config.js';
import { PassphraseError } from '../maintainer/errors.js';
import { readMaintainerSigner } from '../maintainer/key-file.js';
import { readNpmrc, registryFor, tokenFor } from '../maintainer/npmrc.js';
import { openClientSession } from '../maintainer/remote-role.js';

export { UsageError, list, str, type Io, type Options, type Parsed };

/** Environment and terminal the commands run in (tests pass their own). */
export interface Env {
  io: Io;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** asks for a passphrase on the terminal; undefined when there is none */
  prompt?: (question: string) => Promise<string>;
}

export const COMMON: Options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  'passphrase-env': { type: 'string' },
};

/** Options of commands that talk to the registry. */
export const REGISTRY_OPTIONS: Options = {
  registry: { type: 'string' },
  root: { type: 'string' },
  cache: { type: 'string' },
};

export function parse(argv: string[], options: Options, usage: string): Parsed {
  return parseCommand(argv, { ...COMMON, ...options }, usage);
}

export function need(p: Parsed, name: string, usage: string): string {
  const v = str(p, name);
  if (v === undefined) throw new UsageError(`--${name} is required\n\n${usage}`);
  return v;
}

export function expirySeconds(p: Parsed): number | undefined {
  const e = str(p, 'expires');
  return e === undefined ? undefined : parseDuration(e);
}

export function print(e: Env, p: Parsed, human: string, data: unknown): void {
  e.io.out(p.values['json'] === true ? JSON.stringify(data, null, 2) + '\n' : human.endsWith('\n') ? human : human + '\n');
}

/** Reads a line from the terminal without echoing it. */
export function terminalPrompt(question: string): Promise<string> {
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  process.stderr.write(question);
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  return new Promise((res, rej) => {
    rl.once('line', (line) => {
      rl.close();
      process.stderr.write('\n');
      res(line);
    });
    rl.once('SIGINT', () => {
      rl.close();
      rej(new PassphraseError('interrupted'));
    });
  });
}

/**
 * The passphrase: from the environment variable named by --passphrase-env (for scripts and CI: the
 * secret never appears on a command line or in `ps`), otherwise asked on the terminal.
 */
export function passphraseSource(e: Env, p: Parsed, question = 'passphrase: '): () => Promise<string> {
  return async () => {
    const envName = str(p, 'passphrase-env');
    if (envName !== undefined) {
      const v = e.env[envName];
      if (v === undefined) throw new PassphraseError(`environment variable ${envName} (--passphrase-env) is not set`);
      return v;
    }
    if (e.prompt === undefined) throw new PassphraseError('no terminal to ask for the passphrase: pass --passphrase-env VAR');
    return e.prompt(question);
  };
}

export async function signerFrom(e: Env, p: Parsed, usage: string): Promise<Signer> {
  const keyPath = resolve(e.cwd, need(p, 'key', usage));
  return readMaintainerSigner(keyPath, passphraseSource(e, p, `passphrase for ${keyPath}: `));
}

/** Registry URL and token as npm would use them for `name` (flags first, then env, then .npmrc). */
export async function registryAndToken(e: Env, p: Parsed, name: string): Promise<{ registryUrl: string; token: string | undefined }> {
  const settings = await readNpmrc(e.cwd, e.env);
  const registryUrl = registryFor(settings, name, e.env, str(p, 'registry'));
  return { registryUrl, token: tokenFor(settings, registryUrl) };
}

/** A verified TUF session with the registry, from the trusted root (--root, default ./tufpm-root.json). */
export async function session(e: Env, p: Parsed, registryUrl: string): ReturnType<typeof openClientSession> {
  const trustedRootPath = resolve(e.cwd, str(p, 'root') ?? 'tufpm-root.json');
  const u = new URL(registryUrl);
  const cacheBase = e.env['XDG_CACHE_HOME'] ?? join(e.env['HOME'] ?? homedir(), '.cache');
  const cacheDir = resolve(e.cwd, str(p, 'cache') ?? join(cacheBase, 'tufpm', 'maintainer', encodeURIComponent(`${u.host}${u.pathname}`)));
  return openClientSession({ registryUrl, trustedRootPath, cacheDir });
}
