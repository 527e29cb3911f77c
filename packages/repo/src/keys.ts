import { readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Key,
  MetadataParseError,
  generateEd25519KeyPair,
  keyFromPublicPem,
  parseJsonStrict,
  signerFromPem,
  type Signer,
} from '@tufpm/models';
import { InvalidInputError, KeyMismatchError, KeyMissingError } from './errors.js';
import { ensureDir, isErrno, readFileBounded } from './fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';

const MAX_KEY_FILE_BYTES = 64 * 1024;

/** Roles whose keys belong offline (root, targets: they sign claims); everything else is online. */
export const OFFLINE_ROLES: ReadonlySet<string> = new Set(['root', 'targets']);

export function keyDirFor(keysDir: string, role: string): string {
  return join(keysDir, OFFLINE_ROLES.has(role) ? 'offline' : 'online');
}

/** A key file's text: bounded, strict UTF-8; a missing file is TUF_KEY_MISSING (also for maintainer key files). */
export async function readKeyFile(path: string): Promise<string> {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(await readFileBounded(path, MAX_KEY_FILE_BYTES));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new KeyMissingError(`key file ${path} does not exist`, { cause: err });
    if (err instanceof TypeError) throw new InvalidInputError(`key file ${path} is not UTF-8 text`, { cause: err });
    throw err;
  }
}

/** A Signer from a PKCS#8 PEM private key file. */
export async function readSignerFile(path: string): Promise<Signer> {
  const text = await readKeyFile(path);
  if (!text.includes('PRIVATE KEY-----')) throw new InvalidInputError(`${path} is not a PEM private key`);
  try {
    return signerFromPem(text);
  } catch (err) {
    if (err instanceof MetadataParseError) throw new InvalidInputError(`${path}: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * A public Key from a file: PEM SubjectPublicKeyInfo, the securesystemslib JSON key format
 * (`{"keytype","scheme","keyval":{"public"}}`), or a PEM private key (its public half).
 * The keyid is always recomputed from the key itself, never taken from the file.
 */
export async function readPublicKeyFile(path: string): Promise<Key> {
  const text = await readKeyFile(path);
  try {
    if (text.trimStart().startsWith('{')) {
      const obj = parseJsonStrict(new TextEncoder().encode(text), MAX_KEY_FILE_BYTES);
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new MetadataParseError('key file must hold a JSON object');
      const { keyid: _ignored, keyid_hash_algorithms: _legacy, ...rest } = obj as Record<string, unknown>;
      const draft = Key.fromJSON('', rest);
      const key = Key.fromJSON(draft.computeKeyid(), rest);
      if (!key.isSupported()) throw new MetadataParseError(`unsupported or malformed key ${key.keytype}/${key.scheme}`);
      return key;
    }
    if (text.includes('PRIVATE KEY-----')) return signerFromPem(text).key;
    return keyFromPublicPem(text);
  } catch (err) {
    if (err instanceof MetadataParseError) throw new InvalidInputError(`${path}: ${err.message}`, { cause: err });
    throw err;
  }
}

/** The securesystemslib JSON form of a public key (what `readPublicKeyFile` reads back). */
export function publicKeyJson(key: Key): string {
  return JSON.stringify({ keytype: key.keytype, scheme: key.scheme, keyval: key.keyval }, null, 2) + '\n';
}

/** Writes a new ed25519 key pair as `<base>.pem` (PKCS#8) and `<base>.pub.pem` (SPKI), both 0600. */
export async function writeNewKeyPair(dir: string, base: string): Promise<{ signer: Signer; privatePath: string; publicPath: string }> {
  await ensureDir(dir, 0o700);
  const pair = generateEd25519KeyPair();
  return { signer: pair.signer, ...(await writeKeyPair(dir, base, pair.privateKeyPem)) };
}

/** `suffix` (e.g. `.pending`) is appended to both names: a name not ending in `.pem` is not read as a role's key file. */
export async function writeKeyPair(dir: string, base: string, privateKeyPem: string, suffix = ''): Promise<{ privatePath: string; publicPath: string }> {
  await ensureDir(dir, 0o700);
  const privatePath = join(dir, `${base}.pem${suffix}`);
  const publicPath = join(dir, `${base}.pub.pem${suffix}`);
  const { createPrivateKey, createPublicKey } = await import('node:crypto');
  const publicPem = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'pem', type: 'spki' }).toString();
  await writeFileAtomic(privatePath, privateKeyPem, { mode: 0o600 });
  await writeFileAtomic(publicPath, publicPem, { mode: 0o600 });
  return { privatePath, publicPath };
}

/** A key file of a role in the keys directory. */
export interface RoleKeyFile {
  path: string;
  signer: Signer;
}

/** Files holding private keys of `role`: `<role>.pem` and `<role>.<anything>.pem` (not `*.pub.pem`). */
async function roleKeyFiles(keysDir: string, role: string): Promise<string[]> {
  const dir = keyDirFor(keysDir, role);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  return entries
    .filter((f) => (f === `${role}.pem` || (f.startsWith(`${role}.`) && f.endsWith('.pem'))) && !f.endsWith('.pub.pem'))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * The signers of a role from the keys directory. Every key file of the role must hold one of the
 * keyids the role lists (a stale file is an operator error worth stopping for); no file at all is
 * TUF_KEY_MISSING.
 */
export async function roleSigners(keysDir: string, role: string, keyids: readonly string[]): Promise<RoleKeyFile[]> {
  const files = await roleKeyFiles(keysDir, role);
  if (files.length === 0) {
    throw new KeyMissingError(`no private key for role "${role}" in ${keyDirFor(keysDir, role)} (expected ${role}.pem)`);
  }
  const out: RoleKeyFile[] = [];
  for (const path of files) {
    const signer = await readSignerFile(path);
    if (!keyids.includes(signer.key.keyid)) {
      throw new KeyMismatchError(`${path} holds key ${signer.key.keyid}, which role "${role}" does not list (it lists ${keyids.join(', ') || 'no keys'})`);
    }
    out.push({ path, signer });
  }
  return out;
}

/**
 * Moves the key file of a rotated-out key to `<keysDir>/retired/` (kept: it may be needed for audits).
 * `label` marks why (`.never-used`: the new key of a rotation that did not commit); `publicPath` is the
 * public half when it is not `<path without .pem>.pub.pem`.
 */
export async function retireKeyFile(keysDir: string, path: string, role: string, keyid: string, opts: { label?: string; publicPath?: string } = {}): Promise<string> {
  const dir = join(keysDir, 'retired');
  await ensureDir(dir, 0o700);
  const target = join(dir, `${role}.${keyid.slice(0, 16)}${opts.label ?? ''}.pem`);
  await rename(path, target);
  const pub = opts.publicPath ?? path.replace(/\.pem$/, '.pub.pem');
  try {
    await rename(pub, target.replace(/\.pem$/, '.pub.pem'));
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  return target;
}
