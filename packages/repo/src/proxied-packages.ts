// The names a registry approved from an uplink (`tufpm-overlay approve --registry`, ADR 0025). Verdaccio
// lets anyone with publish rights publish a new version of a package it also proxies, and the registry's
// online key would sign it into the bin beside the reviewed ones: a version nobody reviewed would install.
// The approval records the name here, and the Verdaccio plugin refuses local publishes of recorded names.
// Operator state beside the metadata directory (`<dir>/tuf/proxied-packages.json`), never served.
import { join } from 'node:path';
import { TufError } from '@tufpm/models';
import { InvalidInputError } from './errors.js';
import { isErrno, readFileBounded } from './fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';
import { withRepositoryLock } from './lock.js';
import { checkPackageName } from './tarball.js';

const FILE = 'proxied-packages.json';
/** About 70,000 names of the npm maximum length: far more than any approved set, small enough to read per publish. */
export const MAX_PROXIED_PACKAGES_BYTES = 16 * 1024 * 1024;

/**
 * `<dir>/tuf/proxied-packages.json` is broken (not JSON, not `{"packages": [names]}`, a name that is no
 * package name, too large, unreadable). Never read as "no proxied packages": that would let local
 * publishes of approved names through. The operator fixes or restores the file (HTTP 500).
 */
export class ProxiedPackagesFileError extends TufError {
  readonly status = 500;
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_PROXIED_PACKAGES_FILE', message, options);
  }
}

export function proxiedPackagesFile(metadataDir: string): string {
  return join(metadataDir, '..', FILE);
}

/** The recorded names; none when the file does not exist. A broken file is ProxiedPackagesFileError, never "none". */
export async function readProxiedPackages(metadataDir: string): Promise<ReadonlySet<string>> {
  const file = proxiedPackagesFile(metadataDir);
  const broken = (why: string, cause?: unknown): ProxiedPackagesFileError =>
    new ProxiedPackagesFileError(`the registry operator's ${file} ${why}: local publishes are refused until it is fixed (it must be {"packages": [names]}, written by tufpm-overlay approve --registry)`, cause === undefined ? undefined : { cause });
  let bytes: Uint8Array;
  try {
    bytes = await readFileBounded(file, MAX_PROXIED_PACKAGES_BYTES);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return new Set();
    throw broken(err instanceof TufError ? `is larger than ${MAX_PROXIED_PACKAGES_BYTES} bytes` : `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw broken('is not JSON', err);
  }
  const names = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as { packages?: unknown }).packages : undefined;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw broken('is not {"packages": [names]}');
  for (const n of names as string[]) {
    try {
      checkPackageName(n);
    } catch (err) {
      if (err instanceof InvalidInputError) throw broken(`lists ${JSON.stringify(n.slice(0, 100))}, which is no package name`, err);
      throw err;
    }
  }
  return new Set(names as string[]);
}

/**
 * Adds names (atomically: temp file + rename), under the repository lock (`<keysDir>/repo.lock`, the one
 * every metadata writer takes): two approvals at once each keep the other's names.
 */
export async function recordProxiedPackages(metadataDir: string, keysDir: string, names: Iterable<string>): Promise<void> {
  await withRepositoryLock(keysDir, async () => {
    const all = new Set(await readProxiedPackages(metadataDir));
    for (const name of names) all.add(name);
    await writeFileAtomic(proxiedPackagesFile(metadataDir), `${JSON.stringify({ packages: [...all].sort() }, null, 1)}\n`, { mode: 0o644 });
  });
}
