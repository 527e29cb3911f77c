import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TufError } from '@tufpm/models';
import { RepositoryStateError } from '../errors.js';
import { readPackageTarball, type PackageTarball } from '../tarball.js';
import { type Io, UsageError, int, keysDir, openRepo, parse, print, str } from './common.js';

export const usage = `usage: tufpm-repo import TARBALL_DIR --registry REGISTRY_DIR --keys KEYS_DIR [--batch N]
  Adds every *.tgz under TARBALL_DIR to the registry (packuments + tarballs, through @tufpm/registry)
  and signs each into its unclaimed bin (claimed packages are refused: their maintainers sign them
  with 'publish --key'). Signs a new snapshot and timestamp every N tarballs (default 500) and at the
  end. Re-running an interrupted import is safe. Progress goes to stderr.`;

/** The part of @tufpm/registry import uses (loaded at run time: registry depends on repo, not the reverse). */
interface RegistryModule {
  addPackageVersion(dir: string, tarball: Uint8Array): Promise<{ name: string; version: string; tarballPath: string }>;
  tarballFile(dir: string, targetPath: string): string;
}

async function loadRegistry(): Promise<RegistryModule> {
  // A variable specifier keeps TypeScript from resolving (and project references from cycling).
  const specifier = '@tufpm/registry';
  const mod = (await import(specifier)) as Partial<RegistryModule>;
  if (typeof mod.addPackageVersion !== 'function' || typeof mod.tarballFile !== 'function') {
    throw new RepositoryStateError('@tufpm/registry does not export addPackageVersion/tarballFile');
  }
  return mod as RegistryModule;
}

async function listTarballs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.tgz')) out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
  }
  return out.sort();
}

function isConflict(err: unknown): boolean {
  return err instanceof TufError && err.code === 'REGISTRY_CONFLICT';
}

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, { batch: { type: 'string' } }, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const registryDir = str(p, 'registry');
  if (registryDir === undefined) throw new UsageError(`--registry REGISTRY_DIR is required\n\n${usage}`);
  if (str(p, 'dir') !== undefined) throw new UsageError(`import writes to REGISTRY_DIR/tuf/metadata; --dir is not used\n\n${usage}`);
  keysDir(p, usage);
  const batchSize = int(p, 'batch', usage) ?? 500;
  const registry = await loadRegistry();
  const repo = await openRepo(p, usage);
  const files = await listTarballs(resolve(p.positionals[0]!));
  const root = resolve(registryDir);
  const progress = (i: number, label: string): void => {
    const line = `[${i}/${files.length}] ${label}`;
    if (io.errIsTTY) io.err(`\r\x1b[K${line}`);
    else io.err(line + '\n');
  };
  let pending: PackageTarball[] = [];
  let added = 0;
  let already = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    await repo.publishPrepared(pending, { onlineOnly: true });
    pending = [];
  };
  for (const [i, file] of files.entries()) {
    const bytes = new Uint8Array(await readFile(file));
    const pkg = await readPackageTarball(bytes);
    // Check the claim before the registry stores anything: claimed packages need maintainer signatures.
    if (repo.claimedRole(pkg.name) !== undefined) {
      await flush();
      await repo.publishPrepared([pkg], { onlineOnly: true }); // throws TUF_PACKAGE_CLAIMED
    }
    try {
      await registry.addPackageVersion(root, bytes);
      added++;
    } catch (err) {
      if (!isConflict(err)) throw err;
      // Already in the registry (an earlier, interrupted import): sign it only if it is the same bytes.
      const stored = new Uint8Array(await readFile(registry.tarballFile(root, pkg.targetPath)));
      if (Buffer.compare(Buffer.from(stored), Buffer.from(bytes)) !== 0) throw err;
      already++;
    }
    pending.push(pkg);
    progress(i + 1, `${pkg.name}@${pkg.version}`);
    if (pending.length >= batchSize) await flush();
  }
  await flush();
  if (io.errIsTTY && files.length > 0) io.err('\n');
  const res = {
    tarballs: files.length, added, alreadyInRegistry: already,
    snapshot: repo.repo.snapshot.signed.version, timestamp: repo.repo.timestamp.signed.version,
  };
  print(io, p, `imported ${files.length} tarballs (${added} new, ${already} already in the registry); snapshot v${res.snapshot}, timestamp v${res.timestamp}`, res);
  return 0;
}
