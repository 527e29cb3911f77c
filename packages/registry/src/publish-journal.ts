import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWrite } from './atomic.js';
import { RegistryError } from './errors.js';
import type { VersionManifest } from './hooks.js';
import { registryLayout } from './layout.js';
import { assertPackageName } from './names.js';
import { readRegularFile } from './safe-path.js';

/**
 * The record of a publish in flight, `<dir>/publishing/<encodeURIComponent(name)>.json`, written before
 * the tarball and removed once the hooks (TUF signing) succeeded or the publish was undone. A registry
 * killed in between finds it at the next start or the next publish of the package and finishes the
 * publish (runs the hooks again: a signer signs the stored bytes, or finds them signed already) or undoes
 * it; without it a kill after the files were stored and before the signature left a version that no
 * role signs and that the registry refused to publish again (409). One per package: publishes of a
 * package are serialized.
 */
export interface PendingPublish {
  name: string;
  version: string;
  tarballPath: string;
  integrity: string;
  length: number;
  hashes: { sha256: string; sha512: string };
  manifest: VersionManifest;
  /** the publish time (ISO) */
  time: string;
  distTags: Record<string, string>;
  packumentDistTags: Record<string, string>;
  user: string | undefined;
  document: Record<string, unknown>;
}

const MAX_JOURNAL_BYTES = 80 * 1024 * 1024;

export function journalDir(dir: string): string {
  return join(registryLayout(dir).root, 'publishing');
}

export function journalFile(dir: string, name: string): string {
  return join(journalDir(dir), `${encodeURIComponent(assertPackageName(name))}.json`);
}

/** Serialized before anything is written, so an unserializable publish is refused up front. */
export function serializeJournal(p: PendingPublish): string {
  try {
    return `${JSON.stringify(p)}\n`;
  } catch (err) {
    if (err instanceof RangeError) throw new RegistryError('REGISTRY_BAD_REQUEST', 'publish document nests too deeply to be stored', { cause: err });
    throw err;
  }
}

export async function writeJournal(dir: string, name: string, bytes: string, durable: boolean): Promise<void> {
  await atomicWrite(journalFile(dir, name), bytes, { durable, mode: 0o600 });
}

export async function readJournal(dir: string, name: string): Promise<PendingPublish | undefined> {
  const root = registryLayout(dir).root;
  const bytes = await readRegularFile(root, journalFile(dir, name), MAX_JOURNAL_BYTES, () => new RegistryError('REGISTRY_TOO_LARGE', `publish journal of ${name} too large`));
  if (bytes === undefined) return undefined;
  const p = JSON.parse(bytes.toString('utf8')) as PendingPublish;
  if (p?.name !== name || typeof p.version !== 'string' || typeof p.tarballPath !== 'string' || typeof p.hashes?.sha512 !== 'string') {
    throw new RegistryError('REGISTRY_BAD_REQUEST', `publish journal of ${name} is malformed`);
  }
  return p;
}

export async function removeJournal(dir: string, name: string): Promise<void> {
  await rm(journalFile(dir, name), { force: true });
}

/** Package names with a publish in flight (or interrupted). Temp files of atomicWrite start with a dot. */
export async function pendingNames(dir: string): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(journalDir(dir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return files.filter((f) => f.endsWith('.json') && !f.startsWith('.')).map((f) => decodeURIComponent(f.slice(0, -'.json'.length)));
}
