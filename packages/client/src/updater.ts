// Updater: the I/O half of the client (TUF 5.1-5.7). Network, cache and error policy around the pure
// TrustedMetadataSet. One Updater = one session: refresh once, then any number of target lookups; each
// role is fetched at most once and verified at most once per delegation path.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { RepositoryError, TufError, type Metadata, type Root, type SuccinctRoles, type Targets } from '@tufpm/models';
import { DEFAULT_ROLE_BUNDLES, RoleBundleFetcher, boundBundledRole, type RoleBundleStats } from './bundle-fetcher.js';
import { MetadataCache, ensurePrivateDir } from './cache.js';
import { RolePack, type PackedRole } from './role-pack.js';
import { resolveConfig, type UpdaterConfig } from './config.js';
import { DEFAULT_RETRY, downloadBytes, type RetryPolicy } from './download.js';
import { searchTarget } from './delegation-search.js';
import { CacheError, ConfigError, DownloadError, MetadataTooLargeError, TargetNotFoundError } from './errors.js';
import type { Fetcher } from './fetcher.js';
import { UrlFetcher } from './file-fetcher.js';
import type { AuditorPolicy } from './merkle-cosignature.js';
import { MerkleLoader } from './merkle-loader.js';
import { MerkleProofCache } from './merkle-proof-cache.js';
import type { TargetInfo } from './target-info.js';
import { downloadTargetToFile, fetchTargetBytes, findCachedTarget } from './targets.js';
import { TrustedMetadataSet, pathKey } from './trusted-metadata-set.js';
import type { RootChainEntry, UpdaterOptions } from './updater-options.js';
import { joinUrl, metadataFileName, targetFileName } from './urls.js';

/** Bound of the role pack file (a damaged or oversized pack reads as an empty cache). */
const PACK_MAX_BYTES = 400_000_000;

// Verification failures of *cached* files: the cache entry is ignored and the file fetched again; the
// remote copy then faces every check. Anything else (I/O, load-order bugs) propagates.
const CACHE_RECOVERABLE = new Set([
  'TUF_PARSE', 'TUF_THRESHOLD', 'TUF_EXPIRED', 'TUF_ROLLBACK', 'TUF_VERSION_MISMATCH',
  'TUF_LENGTH', 'TUF_HASH', 'TUF_UNSUPPORTED_ALGORITHM', 'TUF_REPOSITORY',
  // a cached timestamp from before the root switched the snapshot profile
  'TUF_MERKLE_PROFILE',
]);

function isCacheRecoverable(err: unknown): boolean {
  return err instanceof TufError && CACHE_RECOVERABLE.has(err.code);
}

/** TUF 5.3.11: was a key of `role` removed (or its keyid given other key material) between two roots? */
function keysRotated(before: Root, after: Root, role: 'timestamp' | 'snapshot'): boolean {
  const oldIds = before.roles.get(role)?.keyids ?? [];
  const newIds = new Set(after.roles.get(role)?.keyids ?? []);
  return oldIds.some(
    (id) => !newIds.has(id) || before.keys.get(id)?.publicKeyFingerprint !== after.keys.get(id)?.publicKeyFingerprint,
  );
}

export class Updater {
  readonly config: UpdaterConfig;
  readonly #cache: MetadataCache;
  readonly #metadataBaseUrl: string;
  readonly #targetBaseUrl: string | undefined;
  readonly #targetDir: string | undefined;
  readonly #fetcher: Fetcher;
  readonly #clock: () => Date;
  readonly #retry: RetryPolicy;
  readonly #bootstrapRoot: Uint8Array | undefined;
  readonly #rootChain: RootChainEntry[] = [];
  #refreshing: Promise<TrustedMetadataSet> | undefined;
  #trusted: TrustedMetadataSet | undefined;
  readonly #roleLoads = new Map<string, Promise<Metadata<Targets>>>();
  readonly #localBytes = new Map<string, Promise<Uint8Array | undefined>>();
  readonly #remoteBytes = new Map<string, Promise<Uint8Array>>();
  readonly #persisted = new Set<string>();
  readonly #pack: RolePack | undefined;
  readonly #merkle: MerkleLoader;
  readonly #auditors: AuditorPolicy | undefined;
  readonly #bundles: RoleBundleFetcher | undefined;

  constructor(options: UpdaterOptions) {
    if (typeof options.metadataDir !== 'string' || options.metadataDir === '') throw new ConfigError('metadataDir is required');
    if (typeof options.metadataBaseUrl !== 'string' || options.metadataBaseUrl === '') throw new ConfigError('metadataBaseUrl is required');
    this.config = resolveConfig(options.config);
    this.#cache = new MetadataCache(options.metadataDir);
    this.#metadataBaseUrl = options.metadataBaseUrl;
    this.#targetBaseUrl = options.targetBaseUrl;
    this.#targetDir = options.targetDir;
    this.#fetcher = options.fetcher ?? new UrlFetcher();
    this.#clock = options.clock ?? (() => new Date());
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#bootstrapRoot = options.bootstrapRoot;
    this.#merkle = new MerkleLoader((fileName, maxLength) => this.#download(fileName, maxLength), this.config.concurrency, new MerkleProofCache(options.metadataDir));
    this.#auditors = options.auditors;
    const bundles = options.roleBundles === true ? DEFAULT_ROLE_BUNDLES
      : typeof options.roleBundles === 'object' ? { ...DEFAULT_ROLE_BUNDLES, ...options.roleBundles } : undefined;
    if (bundles !== undefined && (!Number.isSafeInteger(bundles.threshold) || bundles.threshold < 1 || !Number.isSafeInteger(bundles.windowMs) || bundles.windowMs < 0)) {
      throw new ConfigError('roleBundles: threshold must be a positive integer and windowMs a non-negative integer');
    }
    this.#bundles = bundles === undefined ? undefined
      : new RoleBundleFetcher((fileName, maxLength) => this.#download(fileName, maxLength), this.config.targetsMaxLength, bundles);
    // a pack holds many roles (each up to targetsMaxLength): bounded on its own, not by the snapshot's bound
    this.#pack = options.delegatedRoleCache === 'pack' ? new RolePack(options.metadataDir, this.config.targetsMaxLength, PACK_MAX_BYTES, options.verificationRecordKey) : undefined;
  }

  /**
   * Writes what this session verified for the next one: the delegated roles to the pack ('pack' mode), and
   * in the Merkle profile the proofs and auditor cosignatures of the pinned root (merkle-proof-cache.ts).
   */
  async persist(): Promise<void> {
    await this.#pack?.flush();
    await this.#merkle.persist();
  }

  /** The verified metadata of this session (after refresh): versions for lockfile pins, consistent_snapshot, ... */
  get trustedSet(): TrustedMetadataSet | undefined {
    return this.#trusted;
  }

  /**
   * Every root trusted in this session's refresh, oldest first: the one the refresh started from, then each
   * accepted N+1. Lets callers check a pinned root lies on the chain (a fork signed by rotated-away keys
   * does not).
   */
  get rootChain(): ReadonlyArray<RootChainEntry> {
    return this.#rootChain;
  }

  /** TUF 5.1-5.6 for the top-level roles. Runs once per Updater; later calls return the same result. */
  refresh(): Promise<TrustedMetadataSet> {
    this.#refreshing ??= this.#refresh();
    return this.#refreshing;
  }

  async #refresh(): Promise<TrustedMetadataSet> {
    // TUF 5.1: fix the reference time once for the whole refresh
    const now = this.#clock();
    const cachedRoot = await this.#cache.read('root', this.config.rootMaxLength);
    const rootBytes = cachedRoot ?? this.#bootstrapRoot;
    if (rootBytes === undefined) throw new CacheError(`no trusted root.json in ${this.#cache.dir} and no bootstrapRoot`);
    // TUF 5.2: load the trusted root
    const trusted = new TrustedMetadataSet(rootBytes, now);
    this.#recordRoot(trusted, rootBytes);
    if (cachedRoot === undefined) await this.#cache.write('root', rootBytes);
    const initialRoot = trusted.root.signed;
    await this.#updateRoot(trusted);
    // TUF 5.3.11: after a rotation of timestamp or snapshot keys, drop the cached timestamp and snapshot so
    // that a fast-forwarded version signed by the old (possibly compromised) keys cannot block updates
    const finalRoot = trusted.root.signed;
    if (finalRoot !== initialRoot && (keysRotated(initialRoot, finalRoot, 'timestamp') || keysRotated(initialRoot, finalRoot, 'snapshot'))) {
      await this.#cache.remove('timestamp');
      await this.#cache.remove('snapshot');
    }
    await this.#updateTimestamp(trusted);
    if (trusted.profile === 'merkle') {
      // TAP 16: no snapshot.json; the timestamp's tree root is pinned for the whole session, and the user's
      // auditors must have cosigned it before any role is proven against it
      trusted.loadMerkleTree();
      if (this.#auditors !== undefined) await this.#merkle.checkAuditors(trusted.merkleHead!, this.#auditors);
    } else {
      await this.#updateSnapshot(trusted);
    }
    this.#trusted = trusted;
    // TUF 5.6: top-level targets
    await this.#loadRole(['targets']);
    return trusted;
  }

  #recordRoot(trusted: TrustedMetadataSet, bytes: Uint8Array): void {
    const root = trusted.root;
    this.#rootChain.push({
      version: root.signed.version,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      signedSha256: createHash('sha256').update(root.signedBytes()).digest('hex'),
    });
  }

  async #updateRoot(trusted: TrustedMetadataSet): Promise<void> {
    if (this.config.unsafeOffline) return;
    // TUF 5.3.1-5.3.3, 5.3.9: fetch root N+1 until none is left, at most maxRootRotations times
    for (let i = 0; i < this.config.maxRootRotations; i++) {
      const version = trusted.root.signed.version + 1;
      let bytes: Uint8Array;
      try {
        bytes = await this.#download(metadataFileName('root', version), this.config.rootMaxLength);
      } catch (err) {
        // "not found" ends the chain; every other failure (network, endless data) fails the refresh
        if (err instanceof DownloadError && (err.status === 404 || err.status === 403)) return;
        throw err;
      }
      const before = trusted.root.signed;
      trusted.updateRoot(bytes);
      this.#recordRoot(trusted, bytes);
      // TUF 5.3.11, step by step: drop the cached timestamp/snapshot BEFORE the rotating root is persisted, so
      // a refresh that fails later in the chain cannot leave a rotated root beside files signed by old keys.
      if (keysRotated(before, trusted.root.signed, 'timestamp') || keysRotated(before, trusted.root.signed, 'snapshot')) {
        await this.#cache.remove('timestamp');
        await this.#cache.remove('snapshot');
      }
      // TUF 5.3.8: persist each accepted root (exact bytes)
      await this.#cache.write('root', bytes);
    }
  }

  async #updateTimestamp(trusted: TrustedMetadataSet): Promise<void> {
    const local = await this.#cache.read('timestamp', this.config.timestampMaxLength);
    if (local !== undefined) {
      try {
        trusted.updateTimestamp(local);
      } catch (err) {
        // an expired cached timestamp is still kept as rollback reference by the set; a corrupt one is ignored
        if (!isCacheRecoverable(err)) throw err;
        // offline there is no remote copy to fall back on: only "stored but expired" continues (and fails later)
        if (this.config.unsafeOffline && trusted.timestamp === undefined) throw err;
      }
    }
    if (this.config.unsafeOffline) {
      if (trusted.timestamp === undefined) throw new CacheError(`offline: no valid cached timestamp in ${this.#cache.dir}`);
      return;
    }
    // TUF 5.4.1: timestamp.json is never version-prefixed
    const remote = await this.#download(metadataFileName('timestamp', undefined), this.config.timestampMaxLength);
    const { updated } = trusted.updateTimestamp(remote);
    // TUF 5.4.5: persist the new timestamp
    if (updated) await this.#cache.write('timestamp', remote);
  }

  async #updateSnapshot(trusted: TrustedMetadataSet): Promise<void> {
    const local = await this.#cache.read('snapshot', this.config.snapshotMaxLength);
    if (local !== undefined) {
      // Installers (pack mode): the cached copy of the very snapshot the trusted timestamp names by hash is
      // adopted after its hash and signature checks, without the strict parse and decoding of every entry
      // (a large registry lists a role per claimed package). Anything else takes the full path below.
      if (this.#pack !== undefined && trusted.adoptCachedSnapshot(local)) return;
      try {
        trusted.updateSnapshot(local, true);
        return; // the cached snapshot is the one the timestamp names and is valid: no download
      } catch (err) {
        if (!isCacheRecoverable(err)) throw err;
      }
    }
    const meta = trusted.timestamp!.signed.snapshotMeta;
    const consistent = trusted.root.signed.consistentSnapshot;
    // TUF 5.5.1: length from the timestamp when signed there, never above the configured bound (an online
    // timestamp key alone must not be able to make us download, hash and parse hundreds of megabytes)
    const remote = await this.#downloadBounded('snapshot', metadataFileName('snapshot', consistent ? meta.version : undefined), meta.length, 'snapshotMaxLength');
    trusted.updateSnapshot(remote);
    // TUF 5.5.7: persist
    await this.#cache.write('snapshot', remote);
  }

  /** The role at the end of `path`, verified against its delegator on that path; memoized per path. */
  #loadRole(path: readonly string[]): Promise<Metadata<Targets>> {
    const key = pathKey(path);
    let load = this.#roleLoads.get(key);
    if (load === undefined) {
      load = this.#loadRoleOnce(path);
      this.#roleLoads.set(key, load);
    }
    return load;
  }

  async #loadRoleOnce(path: readonly string[]): Promise<Metadata<Targets>> {
    const trusted = this.#trusted!;
    const name = path[path.length - 1]!;
    const delegatorPath = path.slice(0, -1);
    // TAP 16: the role's entry comes from its proof against the session's pinned root
    if (trusted.profile === 'merkle') await this.#merkle.ensureProof(trusted, name);
    const pack = this.#pack;
    // Pack mode keeps every targets role in the pack with the delegation it verified under (ADR 0008), the
    // top-level targets too: a large, rarely changing file that would otherwise be parsed strictly and
    // verified again on every install. The top-level targets keeps its own durable file as well (the one
    // other TUF tooling reads), tried when the packed copy is missing or fails.
    const ownFile = pack === undefined || delegatorPath.length === 0;
    const locals: Array<() => Promise<PackedRole | undefined>> = [];
    if (pack !== undefined) locals.push(() => Promise.resolve(pack.get(name)));
    if (ownFile) locals.push(() => this.#readLocal(name).then((bytes) => (bytes === undefined ? undefined : { bytes, verifiedUnder: undefined })));
    for (const read of locals) {
      const local = await read();
      if (local === undefined) continue;
      try {
        // the cached bytes face the same checks as remote ones, against *this* path's delegator (the
        // signature check may be answered by this machine's record of verifying them: ADR 0008)
        const md = trusted.updateDelegatedTargets(local.bytes, name, delegatorPath, { verifiedUnder: local.verifiedUnder, cached: true });
        pack?.set(name, { bytes: local.bytes, verifiedUnder: trusted.delegationDigest(name, delegatorPath) });
        return md;
      } catch (err) {
        if (!isCacheRecoverable(err)) throw err;
      }
    }
    const remote = await this.#fetchRemote(name, this.#binsDelegation(delegatorPath));
    const md = trusted.updateDelegatedTargets(remote, name, delegatorPath);
    // TUF 5.6.6: persist the verified role (the pack is written by persist(), with the delegation it verified under)
    pack?.set(name, { bytes: remote, verifiedUnder: trusted.delegationDigest(name, delegatorPath) });
    if (ownFile && !this.#persisted.has(name)) {
      this.#persisted.add(name);
      await this.#cache.write(name, remote);
    }
    return md;
  }

  /** Cached bytes of a role from its own file (top-level targets, and every role in 'files' mode). */
  #readLocal(name: string): Promise<Uint8Array | undefined> {
    let read = this.#localBytes.get(name);
    if (read === undefined) {
      read = this.#cache.read(name, this.config.targetsMaxLength);
      this.#localBytes.set(name, read);
    }
    return read;
  }

  /**
   * The succinct delegation (TAP 15) of the role at `delegatorPath` when role bundles are on and can apply
   * (consistent snapshots, classic profile): a role it delegates may come from a bundle.
   */
  #binsDelegation(delegatorPath: readonly string[]): SuccinctRoles | undefined {
    const trusted = this.#trusted!;
    if (this.#bundles === undefined || this.config.unsafeOffline || trusted.profile !== 'classic' || !trusted.root.signed.consistentSnapshot) return undefined;
    const delegator = delegatorPath.length === 1 ? trusted.targets : trusted.getRole(delegatorPath);
    return delegator?.signed.delegations?.succinctRoles;
  }

  #fetchRemote(name: string, bins: SuccinctRoles | undefined): Promise<Uint8Array> {
    let fetching = this.#remoteBytes.get(name);
    if (fetching === undefined) {
      fetching = (async () => {
        const trusted = this.#trusted!;
        const meta = trusted.snapshotView!.metaFor(name);
        // TUF 5.6.1: the snapshot must name the role; its version picks the consistent-snapshot file
        if (meta === undefined) throw new RepositoryError(`snapshot v${trusted.snapshotView!.version} does not list ${name}`);
        const consistent = trusted.root.signed.consistentSnapshot;
        // ADR 0024: a hash bin may come from its bundle; its bytes then face the bounds a download would
        if (bins !== undefined && consistent) {
          const bundled = await this.#bundles!.bytesFor(name, bins, trusted.snapshotView!.version);
          if (bundled !== undefined) return boundBundledRole(name, bundled, meta.length, this.config.targetsMaxLength);
        }
        // TUF 5.6.1: length from the snapshot when signed there, never above the configured bound
        return this.#downloadBounded(name, metadataFileName(name, consistent ? meta.version : undefined), meta.length, 'targetsMaxLength');
      })();
      this.#remoteBytes.set(name, fetching);
    }
    return fetching;
  }

  /**
   * TUF 5.5.1 / 5.6.1 (endless data): a file of a role whose size grows with the repository (snapshot,
   * targets roles). Read up to the signed length when there is one, never past the configured bound; a
   * signed length above the bound is refused before anything is requested, and a stream without a signed
   * length that passes the bound is a MetadataTooLargeError naming the role and the setting.
   */
  async #downloadBounded(role: string, fileName: string, signedLength: number | undefined, setting: 'snapshotMaxLength' | 'targetsMaxLength'): Promise<Uint8Array> {
    const bound = this.config[setting];
    if (signedLength !== undefined && signedLength > bound) {
      throw new MetadataTooLargeError(role, bound, setting, `is signed with a length of ${signedLength} bytes`);
    }
    try {
      return await this.#download(fileName, signedLength ?? bound);
    } catch (err) {
      if (signedLength === undefined && err instanceof TufError && err.code === 'TUF_LENGTH') {
        throw new MetadataTooLargeError(role, bound, setting, 'is longer', { cause: err });
      }
      throw err;
    }
  }

  #download(fileName: string, maxLength: number): Promise<Uint8Array> {
    if (this.config.unsafeOffline) {
      return Promise.reject(new CacheError(`offline: ${fileName} is not in the cache (or did not verify)`));
    }
    return downloadBytes(this.#fetcher, joinUrl(this.#metadataBaseUrl, fileName), maxLength, this.#retry);
  }

  /**
   * Merkle profile (TAP 16): fetch and verify the proofs of `roleNames` now, with bounded concurrency, so
   * that the lookups that follow make no round trip of their own for them; returns each role's proven
   * version. A no-op (empty map) in the classic profile.
   */
  async prefetchProofs(roleNames: Iterable<string>): Promise<Map<string, number | undefined>> {
    const trusted = await this.refresh();
    const proven = new Map<string, number | undefined>();
    if (trusted.profile !== 'merkle') return proven;
    const names = [...new Set(roleNames)];
    await this.#merkle.prefetch(trusted, names);
    // the proven version of each role (undefined: absent or a tombstone), for floors kept outside the client
    for (const name of names) proven.set(name, trusted.snapshotView!.metaFor(name)?.version);
    return proven;
  }

  /**
   * ADR 0024: roles this session will ask for (a lockfile's pins), so a role bundle can be fetched at the
   * first request of its bins instead of after a window. Roles this machine already holds (the pack) are
   * left out: they will not be requested. A hint only: nothing is fetched or trusted because of it.
   */
  expectRoles(roleNames: Iterable<string>): void {
    if (this.#bundles === undefined) return;
    const pack = this.#pack;
    this.#bundles.expect([...roleNames].filter((name) => pack?.get(name) === undefined));
  }

  /** What role bundles did in this session (undefined when they are off). */
  get roleBundleStats(): Readonly<RoleBundleStats> | undefined {
    return this.#bundles?.stats;
  }

  /** TUF 5.6.7: the target as signed by the first role in pre-order delegation search, or undefined. */
  async getTargetInfo(targetPath: string): Promise<TargetInfo | undefined> {
    await this.refresh();
    return searchTarget(targetPath, (path) => this.#loadRole(path), this.config.maxDelegations);
  }

  /** getTargetInfo for many paths, fetching the roles they need with bounded concurrency (config.concurrency). */
  async getTargetInfos(targetPaths: readonly string[]): Promise<Map<string, TargetInfo | undefined>> {
    await this.refresh();
    const out = new Map<string, TargetInfo | undefined>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < targetPaths.length) {
        const path = targetPaths[next++]!;
        out.set(path, await this.getTargetInfo(path));
      }
    };
    const workers = Array.from({ length: Math.min(this.config.concurrency, targetPaths.length) }, worker);
    await Promise.all(workers);
    // keep the caller's order
    return new Map(targetPaths.map((p) => [p, out.get(p)]));
  }

  /** Like getTargetInfo, but a missing target is a TargetNotFoundError. */
  async requireTargetInfo(targetPath: string): Promise<TargetInfo> {
    const info = await this.getTargetInfo(targetPath);
    if (info === undefined) throw new TargetNotFoundError(targetPath);
    return info;
  }

  #defaultTargetFile(info: TargetInfo, filePath: string | undefined): string {
    if (filePath !== undefined) return filePath;
    if (this.#targetDir === undefined) throw new ConfigError('targetDir or an explicit file path is required');
    ensurePrivateDir(this.#targetDir);
    // one flat file per target path; the encoding keeps '/' and '..' from escaping targetDir
    return join(this.#targetDir, targetFileName(info.path));
  }

  #hashPrefix(info: TargetInfo): string | undefined {
    const consistent = this.#trusted?.root.signed.consistentSnapshot ?? false;
    if (!consistent || !this.config.prefixTargetsWithHash) return undefined;
    return Object.values(info.hashes)[0];
  }

  #requireTargetBase(base: string | undefined): string {
    const b = base ?? this.#targetBaseUrl;
    if (b === undefined) throw new ConfigError('targetBaseUrl is required to download targets');
    return b;
  }

  /** TUF 5.7: a previously downloaded copy whose length and hashes match, or undefined. */
  findCachedTarget(info: TargetInfo, filePath?: string): Promise<string | undefined> {
    return findCachedTarget(info, this.#defaultTargetFile(info, filePath));
  }

  /** TUF 5.7: download, verify length and hashes while streaming, then write atomically. Returns the file path. */
  async downloadTarget(info: TargetInfo, filePath?: string, targetBaseUrl?: string): Promise<string> {
    const dest = this.#defaultTargetFile(info, filePath);
    const base = this.#requireTargetBase(targetBaseUrl);
    await downloadTargetToFile(this.#fetcher, base, info, this.#hashPrefix(info), dest, this.#retry);
    return dest;
  }

  /** TUF 5.7: download and verify a target into memory (for callers that stream it elsewhere themselves). */
  fetchTarget(info: TargetInfo, targetBaseUrl?: string): Promise<Uint8Array> {
    const base = this.#requireTargetBase(targetBaseUrl);
    return fetchTargetBytes(this.#fetcher, base, info, this.#hashPrefix(info), this.#retry);
  }
}
