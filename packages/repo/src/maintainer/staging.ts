import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, encodeRoleName, parseJsonStrict, type Targets } from '@tufpm/models';
import { RepositoryStateError } from '../errors.js';
import { ensureDir, isErrno, readFileBounded } from '../fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';
import { MAX_ROLE_BYTES } from './role-build.js';

/**
 * Releases of claimed packages whose role has fewer maintainer signatures than the threshold. They live
 * in `<registryDir>/tuf/staged/`, beside but outside `tuf/metadata/` (the only TUF directory the
 * registry serves), so installers never see them; maintainers fetch them through the authenticated
 * staged route. One staged release per package: the next role version is unique.
 */
export interface StagedRelease {
  name: string;
  version: string;
  roleVersion: number;
  /** the role with every signature collected so far */
  role: Metadata<Targets>;
  tarballPath: string;
  distTags: Record<string, string>;
  tarball: Uint8Array;
}

const MAX_TARBALL_BYTES = 256 * 1024 * 1024;

export function stagedDir(registryDir: string): string {
  return join(registryDir, 'tuf', 'staged');
}

function files(registryDir: string, name: string): { meta: string; tarball: string } {
  const base = join(stagedDir(registryDir), encodeRoleName(name));
  return { meta: `${base}.json`, tarball: `${base}.tgz` };
}

/** Stores (or replaces) the staged release of a package: tarball first, then the description naming it. */
export async function writeStaged(registryDir: string, s: StagedRelease): Promise<void> {
  await ensureDir(stagedDir(registryDir), 0o755);
  const f = files(registryDir, s.name);
  await writeFileAtomic(f.tarball, s.tarball, { mode: 0o644 });
  const meta = {
    name: s.name, version: s.version, roleVersion: s.roleVersion, tarballPath: s.tarballPath, distTags: s.distTags,
    role: s.role.toJSON(),
  };
  await writeFileAtomic(f.meta, JSON.stringify(meta, null, 2) + '\n', { mode: 0o644 });
}

/** The staged release of a package, or undefined. */
export async function readStaged(registryDir: string, name: string): Promise<StagedRelease | undefined> {
  const f = files(registryDir, name);
  let metaBytes: Uint8Array;
  try {
    metaBytes = await readFileBounded(f.meta, MAX_ROLE_BYTES + 64 * 1024);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  const obj = parseJsonStrict(metaBytes) as Record<string, unknown>;
  if (typeof obj !== 'object' || obj === null || obj['name'] !== name || typeof obj['version'] !== 'string' ||
    typeof obj['roleVersion'] !== 'number' || typeof obj['tarballPath'] !== 'string' || typeof obj['distTags'] !== 'object') {
    throw new RepositoryStateError(`staged release file ${f.meta} is malformed`);
  }
  const tarball = await readFileBounded(f.tarball, MAX_TARBALL_BYTES);
  return {
    name, version: obj['version'], roleVersion: obj['roleVersion'], tarballPath: obj['tarballPath'],
    distTags: obj['distTags'] as Record<string, string>,
    role: Metadata.fromJSON(obj['role'], 'targets'),
    tarball,
  };
}

export async function removeStaged(registryDir: string, name: string): Promise<void> {
  const f = files(registryDir, name);
  await rm(f.meta, { force: true });
  await rm(f.tarball, { force: true });
}

/** Package names with a staged release. */
export async function listStaged(registryDir: string): Promise<string[]> {
  try {
    return (await readdir(stagedDir(registryDir))).filter((f) => f.endsWith('.json') && !f.startsWith('.')).map((f) => decodeURIComponent(f.slice(0, -5))).sort();
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}
