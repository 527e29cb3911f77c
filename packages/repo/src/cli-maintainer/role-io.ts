import { resolve } from 'node:path';
import type { Metadata, Targets } from '@tufpm/models';
import { readFileBounded } from '../fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';
import { MAX_ROLE_BYTES, parseRole } from '../maintainer/role-build.js';
import { DEFAULT_TARBALL_LIMITS } from '../tarball.js';

export async function readTarballFile(path: string): Promise<Uint8Array> {
  return readFileBounded(path, DEFAULT_TARBALL_LIMITS.maxTarballBytes);
}

export async function readRoleFile(path: string): Promise<Metadata<Targets>> {
  return parseRole(await readFileBounded(resolve(path), MAX_ROLE_BYTES), path);
}

/** Role files are written readable (pretty JSON); signatures cover the canonical form, not these bytes. */
export async function writeRoleFile(path: string, role: Metadata<Targets>): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(role.toJSON(), null, 2) + '\n', { mode: 0o644 });
}
