import type { Cache } from '@yarnpkg/core';

export type FetchFromCache = Cache['fetchPackageFromCache'];

/**
 * `cache` with its `fetchPackageFromCache` replaced by `wrap(original)`, every other member the cache's own
 * (methods bound to it). Used to observe what Yarn's fetch step asks the cache for without subclassing
 * Yarn's Cache, whose constructor reads the configuration again.
 */
export function cacheWithFetch(cache: Cache, wrap: (original: FetchFromCache) => FetchFromCache): Cache {
  const observed = wrap(cache.fetchPackageFromCache.bind(cache));
  return new Proxy(cache, {
    get(target, prop) {
      if (prop === 'fetchPackageFromCache') return observed;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
