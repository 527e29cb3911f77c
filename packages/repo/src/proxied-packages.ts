// The names a registry approved from an uplink (`tufpm-overlay approve --registry`, ADR 0025). Verdaccio
// lets anyone with publish rights publish a new version of a package it also proxies, and the registry's
// online key would sign it into the bin beside the reviewed ones: a version nobody reviewed would install.
// The approval records the name here, and the Verdaccio plugin refuses local publishes of recorded names.
// Operator state beside the metadata directory (`<dir>/tuf/proxied-packages.json`), never served.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonStrict } from '@tufpm/models';
import { InvalidInputError } from './errors.js';
import { writeFileAtomic } from './fs-util.js';

const FILE = 'proxied-packages.json';
const MAX_BYTES = 64 * 1024 * 1024;

function fileFor(metadataDir: string): string {
  return join(metadataDir, '..', FILE);
}

/** The recorded names; none when the file does not exist. A malformed file is an error, never "none". */
export async function readProxiedPackages(metadataDir: string): Promise<ReadonlySet<string>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(fileFor(metadataDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw err;
  }
  if (bytes.length > MAX_BYTES) throw new InvalidInputError(`${fileFor(metadataDir)} is larger than ${MAX_BYTES} bytes`);
  const doc = parseJsonStrict(bytes) as unknown;
  const names = (doc as { packages?: unknown } | null)?.packages;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
    throw new InvalidInputError(`${fileFor(metadataDir)} must be {"packages": [names]}`);
  }
  return new Set(names as string[]);
}

/**
 * Adds names (atomically: temp file + rename). Read-modify-write without a lock: two approvals running at
 * once can drop each other's names (their signatures are unaffected); run approvals one at a time.
 */
export async function recordProxiedPackages(metadataDir: string, names: Iterable<string>): Promise<void> {
  const all = new Set(await readProxiedPackages(metadataDir));
  for (const name of names) all.add(name);
  await writeFileAtomic(fileFor(metadataDir), `${JSON.stringify({ packages: [...all].sort() }, null, 1)}\n`, 0o644);
}
