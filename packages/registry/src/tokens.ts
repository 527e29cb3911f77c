import { randomBytes } from 'node:crypto';
import { hashToken, readTokensFile, TokensFileError, type TokensFile } from '@tufpm/repo';
import { atomicWrite } from './atomic.js';
import { RegistryError } from './errors.js';
import { registryLayout } from './layout.js';

// One strict reader of tokens.json for the publish route and the maintainer routes (@tufpm/repo's
// tokens-file.ts, issue 19); the registry answers a malformed file with REGISTRY_BAD_REQUEST.
export { findToken, hashToken, tokenAllows, type TokenEntry, type TokensFile } from '@tufpm/repo';

/** A fresh random token (256 bits, base64url), in the `npm_` style. */
export function generateToken(): string {
  return `tufpm_${randomBytes(32).toString('base64url')}`;
}

export async function readTokens(dir: string): Promise<TokensFile> {
  try {
    return await readTokensFile(registryLayout(dir).root);
  } catch (err) {
    if (err instanceof TokensFileError) throw new RegistryError(/too large/.test(err.message) ? 'REGISTRY_TOO_LARGE' : 'REGISTRY_BAD_REQUEST', err.message, { cause: err });
    throw err;
  }
}

/** Adds a token (stored hashed) and returns it; generates one when none is given. */
export async function addToken(dir: string, options: { user: string; token?: string; packages?: string[] }): Promise<string> {
  const token = options.token ?? generateToken();
  const current = await readTokens(dir);
  current.tokens.push({ user: options.user, sha256: hashToken(token), ...(options.packages ? { packages: options.packages } : {}) });
  await atomicWrite(registryLayout(dir).tokensFile, `${JSON.stringify(current, null, 2)}\n`, { mode: 0o600 });
  return token;
}

/** `Authorization: Bearer <token>` -> token; undefined when absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m === null ? undefined : m[1];
}
