import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { isReleaseIndexPath } from '@tufpm/models';
import type { NpmRepositoryCore } from './npm-repository.js';

/**
 * Signed targets and stored files that do not match up, in a registry directory of @tufpm/registry's
 * layout (`<registry>/packages/<target path>`): issue 19 found a publish that signed a target and then
 * failed to store its tarball, and `tufpm-repo status` still said "healthy".
 */
export interface OrphanStatus {
  registryDir: string;
  /** signed tarball targets with no regular file at their path, or a file of another length */
  signedWithoutFile: string[];
  /** `.tgz` files below packages/ that no role signs (an unsigned or half-done publish) */
  filesWithoutTarget: string[];
  /** symbolic links below packages/ (the registry never follows them) */
  links: string[];
  /** publishes a killed registry left half done (`<registry>/publishing/*.json`), finished at its next start */
  interruptedPublishes: string[];
}

/** At most this many paths of each kind are listed (the counts stay exact). */
const LIST_MAX = 100;

async function walk(dir: string, out: Array<{ path: string; entry: Dirent }>): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else out.push({ path, entry });
  }
}

export async function findOrphans(core: NpmRepositoryCore, registryDir: string): Promise<OrphanStatus & { counts: Record<string, number> }> {
  const repo = core.repo;
  const signed = new Map<string, number>();
  const roles = [...core.claimedPackages().map((r) => r.name), ...core.unclaimedBins().getRoles()];
  for (const role of roles) {
    if (!repo.delegated.has(role)) continue;
    for (const t of repo.targetsRole(role).signed.targets.values()) {
      // release lists (ADR 0013) are signed data with no file; installers read them from the role
      if (!isReleaseIndexPath(t.path)) signed.set(t.path, t.length);
    }
  }
  const packagesDir = join(registryDir, 'packages');
  const signedWithoutFile: string[] = [];
  for (const [path, length] of signed) {
    const info = await lstat(join(packagesDir, ...path.split('/'))).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (info === undefined || !info.isFile() || info.size !== length) signedWithoutFile.push(path);
  }
  const files: Array<{ path: string; entry: Dirent }> = [];
  await walk(packagesDir, files);
  const filesWithoutTarget: string[] = [];
  const links: string[] = [];
  for (const f of files) {
    const rel = relative(packagesDir, f.path).split(sep).join('/');
    if (f.entry.isSymbolicLink()) links.push(rel);
    else if (f.entry.isFile() && rel.endsWith('.tgz') && !f.entry.name.startsWith('.') && !signed.has(rel)) filesWithoutTarget.push(rel);
  }
  const journals: Array<{ path: string; entry: Dirent }> = [];
  await walk(join(registryDir, 'publishing'), journals);
  const interruptedPublishes = journals
    .filter((j) => j.entry.isFile() && j.entry.name.endsWith('.json') && !j.entry.name.startsWith('.'))
    .map((j) => decodeURIComponent(j.entry.name.slice(0, -'.json'.length)));
  const counts = {
    signedWithoutFile: signedWithoutFile.length, filesWithoutTarget: filesWithoutTarget.length,
    links: links.length, interruptedPublishes: interruptedPublishes.length,
  };
  return {
    registryDir, counts,
    signedWithoutFile: signedWithoutFile.sort().slice(0, LIST_MAX),
    filesWithoutTarget: filesWithoutTarget.sort().slice(0, LIST_MAX),
    links: links.sort().slice(0, LIST_MAX),
    interruptedPublishes: interruptedPublishes.sort().slice(0, LIST_MAX),
  };
}
