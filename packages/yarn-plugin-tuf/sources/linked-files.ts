import { hashUtils, type Cache, type Locator, type Package } from '@yarnpkg/core';
import type { PortablePath } from '@yarnpkg/fslib';
import { cacheWithFetch } from './cache-view.js';


/**
 * Which cache file Yarn's fetch step handed over for each locator. Under `checksumBehavior: throw` or `update`
 * (the only values enforce mode accepts, checksum-behavior.ts) the checksum Yarn's cache reports is the hash
 * of that file, so binding the checksum binds the file. Yarn's link step, though, opens the archive again at
 * `getLocatorPath(locator, <checksum after the fetch>)` with `skipIntegrityCheck`, and on a miss there
 * copies the mirror's file in unhashed. When the fetch step's file is not that path (the checksum changed
 * during the fetch: yarn.lock had none, or `update` replaced it), the file the link step would open is
 * hashed here instead (or refused when absent): it is the file that will be linked.
 */
export class FetchedFiles {
  private readonly paths = new Map<string, Set<PortablePath>>();
  private observing = true;

  /** A view of `cache` recording the file each `fetchPackageFromCache` call returned (fetch step only). */
  observe(cache: Cache): Cache {
    return cacheWithFetch(cache, (fetchFromCache) => async (locator, expectedChecksum, opts) => {
      const result = await fetchFromCache(locator, expectedChecksum, opts);
      if (this.observing) this.record(locator, result[0].getRealPath());
      return result;
    });
  }

  stop(): void {
    this.observing = false;
  }

  private record(locator: Locator, path: PortablePath): void {
    const set = this.paths.get(locator.locatorHash);
    if (set) set.add(path);
    else this.paths.set(locator.locatorHash, new Set([path]));
  }

  /**
   * The content hash (sha512 hex) of the archive Yarn's link step will open for `pkg`, whose checksum after
   * the fetch step is `stored`: null when that is exactly the file the fetch step hashed (no work), else
   * the hash of the file at that path, or 'missing' when there is none (the link step would take the
   * mirror's file without hashing it).
   */
  async linkedHash(cache: Cache, pkg: Package, stored: string | null): Promise<string | null | 'missing'> {
    const linkPath = cache.getLocatorPath(pkg, stored);
    const fetched = this.paths.get(pkg.locatorHash);
    if (fetched !== undefined && fetched.size === 1 && fetched.has(linkPath)) return null;
    try {
      return await hashUtils.checksumFile(linkPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw error;
    }
  }
}
