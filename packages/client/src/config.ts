// Updater limits. Every default is a bound against a TUF attack; raising one weakens that bound only.
import { ConfigError } from './errors.js';

export interface UpdaterConfig {
  /** TUF 5.3.3: bound on root versions fetched in one refresh. python-tuf uses 32; we pick 256 so a client
   *  offline for years (a root a week) still catches up in one refresh, while a hostile mirror serving
   *  endless roots still cannot keep it busy for long (each root is bounded by rootMaxLength). */
  maxRootRotations: number;
  /** TUF 5.6.7.1: roles visited per target search. npm's profile visits 1-3 roles per package, but a single
   *  delegator may list one role per package, so the bound is generous. */
  maxDelegations: number;
  /** TUF 5.3.2 / endless data: byte limits for files whose length is not known from a signed parent, and
   *  above which a signed length is refused (TUF_METADATA_TOO_LARGE for snapshot and targets roles). */
  rootMaxLength: number;
  timestampMaxLength: number;
  snapshotMaxLength: number;
  targetsMaxLength: number;
  /** consistent snapshots: fetch targets as `<dir>/<hash>.<name>` (TUF 5.7.3). npm registries serve
   *  tarballs at their plain path, so integrations set this to false. */
  prefixTargetsWithHash: boolean;
  /** parallel role fetches in getTargetInfos */
  concurrency: number;
  /** UNSAFE (weakens freeze protection): never touch the network for metadata; use only what the cache
   *  holds, still checking signatures, versions and expiry. For offline installs that accept that a newer
   *  repository state (revocations, security releases) cannot be seen. */
  unsafeOffline: boolean;
}

export const DEFAULT_CONFIG: Readonly<UpdaterConfig> = Object.freeze({
  maxRootRotations: 256,
  // TUF 5.6.7.1: roles visited in one target search. The npm profile needs at most 3 (targets -> package
  // role, or targets -> unclaimed -> bin); candidates come from an index, so a large fan-out is not visited.
  // A bound near python-tuf's 32 keeps a hostile delegator from making a lookup fetch thousands of roles.
  maxDelegations: 64,
  rootMaxLength: 512_000,
  timestampMaxLength: 16_384,
  // The npm profile's snapshot lists targets, unclaimed, each hash bin (at most 2^16) and each claimed
  // package role, which the top-level targets delegates within targetsMaxLength: at 5 MB and >= ~140 B per
  // delegation that is at most ~35,000 claims. With length + sha256 per entry (~140 B) that is ~14 MB at
  // the extremes, ~5 MB for 20,000 claims and 4096 bins; without hashes (tufpm-repo's default) a third of
  // it. Derivation and costs: docs/benchmarks.md, "Metadata size". Each byte of the bound is a byte an
  // online timestamp key alone can make every install download, hash and parse.
  snapshotMaxLength: 16_000_000,
  targetsMaxLength: 5_000_000,
  prefixTargetsWithHash: true,
  concurrency: 8,
  unsafeOffline: false,
});

export function resolveConfig(partial: Partial<UpdaterConfig> | undefined): UpdaterConfig {
  const config: UpdaterConfig = { ...DEFAULT_CONFIG, ...(partial ?? {}) };
  for (const key of ['maxRootRotations', 'maxDelegations', 'rootMaxLength', 'timestampMaxLength', 'snapshotMaxLength', 'targetsMaxLength', 'concurrency'] as const) {
    const v = config[key];
    if (!Number.isSafeInteger(v) || v < 1) throw new ConfigError(`config.${key} must be a positive integer, got ${String(v)}`);
  }
  if (typeof config.prefixTargetsWithHash !== 'boolean') throw new ConfigError('config.prefixTargetsWithHash must be a boolean');
  if (typeof config.unsafeOffline !== 'boolean') throw new ConfigError('config.unsafeOffline must be a boolean');
  return config;
}
