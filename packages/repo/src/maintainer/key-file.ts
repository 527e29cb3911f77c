import { createPrivateKey, createPublicKey } from 'node:crypto';
import { dirname } from 'node:path';
import { MetadataParseError, generateEd25519KeyPair, signerFromPem, type Key, type Signer } from '@tufpm/models';
import { InvalidInputError, KeyMissingError } from '../errors.js';
import { ensureDir, exists } from '../fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';
import { readKeyFile, readPublicKeyFile } from '../keys.js';
import { PassphraseError } from './errors.js';

/** A shorter passphrase would make the encrypted file little more than a plain key (offline guessing). */
export const MIN_PASSPHRASE_LENGTH = 8;
const ENCRYPTED = '-----BEGIN ENCRYPTED PRIVATE KEY-----';

export interface GeneratedKey {
  key: Key;
  privatePath: string;
  publicPath: string;
}

/** `<key>.pub`: where the public half of a maintainer key file is written. */
export function publicPathFor(privatePath: string): string {
  return `${privatePath}.pub`;
}

/**
 * Generates an ed25519 key and writes it as encrypted PKCS#8 PEM (AES-256-CBC under a PBKDF2-derived
 * key, what node:crypto/OpenSSL produce; `openssl pkey` reads it) with mode 0600, and its public half as
 * SPKI PEM in `<path>.pub`. Refuses to overwrite: losing a maintainer key is not undoable.
 */
export async function generateMaintainerKey(privatePath: string, passphrase: string): Promise<GeneratedKey> {
  checkNewPassphrase(passphrase);
  const publicPath = publicPathFor(privatePath);
  for (const p of [privatePath, publicPath]) {
    if (await exists(p)) throw new InvalidInputError(`${p} already exists; refusing to overwrite a key`);
  }
  await ensureDir(dirname(privatePath), 0o700);
  const pair = generateEd25519KeyPair();
  const priv = createPrivateKey(pair.privateKeyPem);
  const encrypted = priv.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }).toString();
  const publicPem = createPublicKey(priv).export({ format: 'pem', type: 'spki' }).toString();
  await writeFileAtomic(privatePath, encrypted, { mode: 0o600 });
  await writeFileAtomic(publicPath, publicPem, { mode: 0o644 });
  return { key: pair.key, privatePath, publicPath };
}

export function checkNewPassphrase(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new PassphraseError(`the passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters`);
  }
}

/** True when the file holds an encrypted private key (a passphrase is needed to use it). */
export async function isEncryptedKeyFile(path: string): Promise<boolean> {
  return (await readKeyFile(path)).includes(ENCRYPTED);
}

/**
 * A Signer from a maintainer key file. An encrypted key needs `passphrase` (asked for lazily, so a
 * public-only operation never prompts); a wrong one is TUF_PASSPHRASE.
 */
export async function readMaintainerSigner(path: string, passphrase: () => Promise<string>): Promise<Signer> {
  const text = await readKeyFile(path);
  if (!text.includes('PRIVATE KEY-----')) throw new InvalidInputError(`${path} is not a PEM private key`);
  if (!text.includes(ENCRYPTED)) {
    try {
      return signerFromPem(text);
    } catch (err) {
      if (err instanceof MetadataParseError) throw new InvalidInputError(`${path}: ${err.message}`, { cause: err });
      throw err;
    }
  }
  const pass = await passphrase();
  if (pass.length === 0) throw new PassphraseError(`${path} is encrypted: a passphrase is needed`);
  try {
    return signerFromPem(text, pass);
  } catch (err) {
    if (err instanceof MetadataParseError) throw new PassphraseError(`cannot decrypt ${path}: wrong passphrase?`, { cause: err });
    throw err;
  }
}

/**
 * The public key of a maintainer key file without decrypting it: `<path>.pub` when the path names an
 * encrypted private key, otherwise whatever readPublicKeyFile understands (SPKI PEM, TUF key JSON,
 * a plain private key).
 */
export async function readMaintainerPublicKey(path: string): Promise<Key> {
  if (await isEncryptedKeyFile(path)) {
    const pub = publicPathFor(path);
    if (!(await exists(pub))) throw new KeyMissingError(`${path} is encrypted and ${pub} is missing: give the public key file instead`);
    return readPublicKeyFile(pub);
  }
  return readPublicKeyFile(path);
}
