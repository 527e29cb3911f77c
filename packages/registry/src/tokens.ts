import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { atomicWrite } from './atomic.js';
import { RegistryError } from './errors.js';
import { registryLayout } from './layout.js';

/**
 * tokens.json: `{ "tokens": [ { "user": "alice", "sha256": "<hex of sha256(token)>",
 * "packages": ["left-pad", "@acme/*"] } ] }`. No `packages` = may publish any package.
 * Only hashes are stored, so reading the directory does not reveal a usable token.
 */
export interface TokenEntry {
  user: string;
  sha256: string;
  packages?: string[];
}

export interface TokensFile {
  tokens: TokenEntry[];
}

const MAX_TOKENS_FILE = 1024 * 1024;
const MAX_TOKEN_LENGTH = 512;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh random token (256 bits, base64url), in the `npm_` style. */
export function generateToken(): string {
  return `tufpm_${randomBytes(32).toString('base64url')}`;
}

export async function readTokens(dir: string): Promise<TokensFile> {
  const file = registryLayout(dir).tokensFile;
  let bytes: Buffer;
  try {
    if ((await stat(file)).size > MAX_TOKENS_FILE) throw new RegistryError('REGISTRY_TOO_LARGE', 'tokens.json too large');
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { tokens: [] };
    throw err;
  }
  const parsed = JSON.parse(bytes.toString('utf8')) as unknown;
  const list = (parsed as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(list)) throw new RegistryError('REGISTRY_BAD_REQUEST', 'tokens.json: "tokens" must be an array');
  const tokens: TokenEntry[] = [];
  for (const raw of list) {
    const e = raw as Partial<TokenEntry> | null;
    if (
      e === null ||
      typeof e.user !== 'string' ||
      typeof e.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(e.sha256) ||
      (e.packages !== undefined && (!Array.isArray(e.packages) || !e.packages.every((p) => typeof p === 'string')))
    ) {
      throw new RegistryError('REGISTRY_BAD_REQUEST', 'tokens.json: malformed entry');
    }
    tokens.push({ user: e.user, sha256: e.sha256, ...(e.packages ? { packages: e.packages } : {}) });
  }
  return { tokens };
}

/** Adds a token (stored hashed) and returns it; generates one when none is given. */
export async function addToken(dir: string, options: { user: string; token?: string; packages?: string[] }): Promise<string> {
  const token = options.token ?? generateToken();
  const current = await readTokens(dir);
  current.tokens.push({ user: options.user, sha256: hashToken(token), ...(options.packages ? { packages: options.packages } : {}) });
  await atomicWrite(registryLayout(dir).tokensFile, `${JSON.stringify(current, null, 2)}\n`, { mode: 0o600 });
  return token;
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
  return entry.packages.some((p) => (p.endsWith('/*') ? name.startsWith(p.slice(0, -1)) && p.startsWith('@') : p === name));
}

/** `Authorization: Bearer <token>` -> token; undefined when absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m === null ? undefined : m[1];
}
