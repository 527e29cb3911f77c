import { createHash, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { readHandleBounded } from '@tufpm/merkle';
import { TufError } from '@tufpm/models';

/**
 * The registry's tokens.json: `{ "tokens": [ { "user": "alice", "sha256": "<hex of sha256(token)>",
 * "packages": ["left-pad", "@acme/*"] } ] }`; no `packages` = any package. One strict reader for
 * tufpm-registry's publish route and the maintainer routes (issue 19: the routes read a non-array
 * `packages` as "any package" while the registry refused the file). A malformed file refuses every
 * token (fail closed), with TUF_TOKENS_FILE.
 */
export interface TokenEntry {
  user: string;
  sha256: string;
  packages?: string[];
}

export interface TokensFile {
  tokens: TokenEntry[];
}

export class TokensFileError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_TOKENS_FILE', message, options);
  }
}

export const MAX_TOKENS_FILE_BYTES = 1024 * 1024;
export const MAX_TOKEN_LENGTH = 512;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseTokensFile(bytes: Uint8Array): TokensFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new TokensFileError('tokens.json is not JSON', { cause: err });
  }
  if (!isObject(parsed) || !Array.isArray(parsed['tokens'])) throw new TokensFileError('tokens.json: "tokens" must be an array');
  const tokens: TokenEntry[] = [];
  for (const e of parsed['tokens'] as unknown[]) {
    if (
      !isObject(e) ||
      typeof e['user'] !== 'string' ||
      typeof e['sha256'] !== 'string' ||
      !/^[0-9a-f]{64}$/.test(e['sha256']) ||
      (e['packages'] !== undefined && (!Array.isArray(e['packages']) || !e['packages'].every((p) => typeof p === 'string')))
    ) {
      throw new TokensFileError('tokens.json: malformed entry (user and sha256 strings, packages an array of strings when present)');
    }
    tokens.push({ user: e['user'], sha256: e['sha256'], ...(e['packages'] !== undefined ? { packages: e['packages'] as string[] } : {}) });
  }
  return { tokens };
}

/** `<registryDir>/tokens.json`, strictly parsed; no file = no tokens. A link is not followed. */
export async function readTokensFile(registryDir: string): Promise<TokensFile> {
  let fh;
  try {
    fh = await open(join(registryDir, 'tokens.json'), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { tokens: [] };
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new TokensFileError('tokens.json is a symbolic link', { cause: err });
    throw err;
  }
  try {
    const read = await readHandleBounded(fh, MAX_TOKENS_FILE_BYTES);
    if (read.kind === 'not-a-file') throw new TokensFileError('tokens.json is not a regular file');
    if (read.kind === 'too-large') throw new TokensFileError('tokens.json too large');
    return parseTokensFile(read.bytes);
  } finally {
    await fh.close();
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Finds the entry of a presented token, comparing against every entry in constant time. */
export function findToken(tokens: TokensFile, presented: string): TokenEntry | undefined {
  if (presented.length === 0 || presented.length > MAX_TOKEN_LENGTH) return undefined;
  const digest = Buffer.from(hashToken(presented), 'hex');
  let found: TokenEntry | undefined;
  // No early exit: the time taken does not tell which entry (if any) matched.
  for (const entry of tokens.tokens) {
    if (timingSafeEqual(digest, Buffer.from(entry.sha256, 'hex')) && found === undefined) found = entry;
  }
  return found;
}

/** `left-pad` matches itself; `@acme/*` matches every package of the scope. */
export function tokenAllows(entry: TokenEntry, name: string): boolean {
  if (entry.packages === undefined) return true;
  return entry.packages.some((p) => (p.endsWith('/*') ? p.startsWith('@') && name.startsWith(p.slice(0, -1)) : p === name));
}
