import { join, resolve } from 'node:path';
import { assertPackageName } from './names.js';

/**
 * The registry directory (documented in docs/registry.md):
 *
 *   <dir>/packages/<name>/-/<file>.tgz         tarballs; the part after packages/ is the TUF target path
 *   <dir>/packuments/<encodeURIComponent(name)>.json
 *                                              stored packuments (dist.tarball relative to the registry root)
 *   <dir>/tuf/metadata/<file>.json             TUF metadata, served verbatim under /-/tuf/metadata/<file>
 *   <dir>/tokens.json                          publish tokens (sha256 of each token, optional package scope)
 */
export interface RegistryLayout {
  root: string;
  packagesDir: string;
  packumentsDir: string;
  tufMetadataDir: string;
  tokensFile: string;
}

export function registryLayout(dir: string): RegistryLayout {
  const root = resolve(dir);
  return {
    root,
    packagesDir: join(root, 'packages'),
    packumentsDir: join(root, 'packuments'),
    tufMetadataDir: join(root, 'tuf', 'metadata'),
    tokensFile: join(root, 'tokens.json'),
  };
}

/** Disk file of a stored packument. encodeURIComponent keeps scoped names one flat file. */
export function packumentFile(dir: string, name: string): string {
  return join(registryLayout(dir).packumentsDir, `${encodeURIComponent(assertPackageName(name))}.json`);
}

/**
 * Disk file of a tarball given its target path. Callers validate the path first (name + safe file name),
 * so the join cannot leave packages/.
 */
export function tarballFile(dir: string, targetPath: string): string {
  return join(registryLayout(dir).packagesDir, ...targetPath.split('/'));
}

export function tufMetadataDir(dir: string): string {
  return registryLayout(dir).tufMetadataDir;
}
