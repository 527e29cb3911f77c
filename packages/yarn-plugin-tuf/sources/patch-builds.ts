import { AsyncLocalStorage } from 'node:async_hooks';
import { hashUtils, type Cache, type Locator } from '@yarnpkg/core';
import type { PortablePath } from '@yarnpkg/fslib';
import { cacheWithFetch, type FetchFromCache } from './cache-view.js';

/**
 * What Yarn's cache did for one `patch:` locator whose loader (PatchFetcher's build) ran in this process
 * during the fetch step (ADR 0027): the archives the build read through the cache, with the checksum
 * Yarn's cache computed for each as it handed it over, and the file the build wrote.
 */
interface PatchBuild {
  /** every archive fetched through the cache inside the build: the base package, nothing else expected */
  reads: Array<{ locatorHash: string; checksum: string | null }>;
  /** the zip the build returned (a temp file of this process), null until the loader returned */
  output: PortablePath | null;
  /** sha512 hex of that file, hashed by the plugin once Yarn's cache call returned */
  outputHash: string | null;
}

type CacheCallOptions = Parameters<FetchFromCache>[2];

/**
 * Observes, in this process, which `patch:` archives Yarn built during the fetch step (its cache missed both
 * the cache and the mirror, so it called the fetcher's loader) and from which base archive. The signal is
 * the loader call itself, seen through the cache object Yarn's fetchers are handed: no file in the cache or
 * the mirror can produce it (a planted file only makes Yarn skip the loader, which leaves the archive to be
 * rebuilt and compared as before). Everything else about the build is re-derived, never taken from Yarn's
 * return values: the base archive's checksum is the one Yarn's cache computed while handing it to the
 * build, and the output's is hashed here from the file the build wrote.
 */
export class PatchBuilds {
  private readonly builds = new Map<string, PatchBuild[]>();
  /** which build (if any) the current async call chain runs inside */
  private readonly inside = new AsyncLocalStorage<PatchBuild>();
  private observing = true;

  constructor(private readonly patched: ReadonlySet<string>) {}

  /**
   * A view of `cache` for Yarn's fetch step: the same cache, with the loader of every `patch:` locator of
   * the tree wrapped so that its run is recorded. Only the fetch step's calls count (`stop`): the plugin's
   * own rebuilds later never register as builds.
   */
  observe(cache: Cache): Cache {
    return cacheWithFetch(cache, (fetchFromCache) => async (locator, expectedChecksum, opts) => this.fetch(fetchFromCache, locator, expectedChecksum, opts));
  }

  /** Ends the observation (the fetch step returned or failed). */
  stop(): void {
    this.observing = false;
  }

  private async fetch(fetchFromCache: FetchFromCache, locator: Locator, expectedChecksum: string | null, opts: CacheCallOptions): ReturnType<FetchFromCache> {
    if (!this.observing) return await fetchFromCache(locator, expectedChecksum, opts);
    const within = this.inside.getStore();
    if (within !== undefined) {
      // An archive read by a build (its base, or anything else: a parent package's patch file, a nested
      // patch, which then fail builtHere): the checksum Yarn's cache computed for the file it handed over.
      const result = await fetchFromCache(locator, expectedChecksum, opts);
      within.reads.push({ locatorHash: locator.locatorHash, checksum: result[2] });
      return result;
    }
    if (!this.patched.has(locator.locatorHash)) return await fetchFromCache(locator, expectedChecksum, opts);
    const loader = opts.loader;
    let build: PatchBuild | undefined;
    const wrapped = loader === undefined ? undefined : async (): ReturnType<NonNullable<CacheCallOptions['loader']>> => {
      build = { reads: [], output: null, outputHash: null };
      const list = this.builds.get(locator.locatorHash);
      if (list) list.push(build);
      else this.builds.set(locator.locatorHash, [build]);
      const current = build;
      const zipFs = await this.inside.run(current, loader);
      current.output = zipFs.getRealPath();
      return zipFs;
    };
    const result = await fetchFromCache(locator, expectedChecksum, { ...opts, ...(wrapped === undefined ? {} : { loader: wrapped }) });
    // The cache saved the build's zip to its temp file before hashing and copying it: hash what it wrote.
    const done = build as PatchBuild | undefined;
    if (done?.output != null) done.outputHash = await hashOf(done.output);
    return result;
  }

  /**
   * True when the archive Yarn keeps for `pkg` (checksum `checksum`) is, byte for byte, what Yarn's patch
   * fetcher built in this process from the base archive `source` bound in this install under
   * `boundBase`: the loader ran (every time it ran), it read that base archive and nothing else, the
   * cache hashed that base to exactly the bound checksum while handing it over, and the file the build
   * wrote hashes to the checksum Yarn records. Anything short of that: false (rebuild and compare).
   */
  builtHere(pkg: Locator, source: Locator, checksum: string, boundBase: string | undefined): boolean {
    const list = this.builds.get(pkg.locatorHash);
    if (list === undefined || list.length === 0 || boundBase === undefined) return false;
    return list.every((build) =>
      build.outputHash !== null
      && build.outputHash === hashPart(checksum)
      && build.reads.length > 0
      && build.reads.every((read) => read.locatorHash === source.locatorHash && read.checksum !== null && hashPart(read.checksum) === hashPart(boundBase)));
  }
}

/** sha512 hex of a build's output file; null when it is gone (then the archive is rebuilt and compared). */
async function hashOf(path: PortablePath): Promise<string | null> {
  try {
    return await hashUtils.checksumFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The content hash of a Yarn checksum: the `10c0/` cache-key prefix is a label, not content. */
export function hashPart(checksum: string): string {
  return checksum.slice(checksum.indexOf('/') + 1);
}
