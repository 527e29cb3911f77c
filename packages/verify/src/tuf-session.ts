import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DownloadError, ROLE_PACK_FILE, Updater, UrlFetcher, type HttpFetcherOptions, ensurePrivateDir, parseAuditorPolicy, writeFileAtomic, PRIVATE_FILE_MODE, type RootChainEntry } from '@tufpm/client';
import { readBoundedFile } from '@tufpm/merkle';
import { Metadata, MetadataParseError, SuccinctRoles, parseUnclaimRecords, type TargetFile, type Targets } from '@tufpm/models';
import { VerifyError } from './errors.js';
import type { RecordedClaim, RoleKeys } from './lockfile.js';
import { isValidPackageName, targetPathFor } from './target-path.js';
import { OVERLAY_APPROVAL_ROLE } from './overlay.js';
import { pinRootError, pinnedStartRoot, rootIdentity, type PinnedRoot } from './pinned-root.js';

/** Verified repository state of one install session, for pins and status output. */
export interface TufState {
  /** sha256: of the root file's bytes (the digest operators publish, ADR 0016) */
  root: { version: number; sha256: string; expires: Date; keyids: string[]; threshold: number };
  timestamp: { version: number; expires: Date; keyids: string[]; threshold: number };
  snapshot: { version: number; expires: Date; keyids: string[]; threshold: number };
  targets: { version: number; expires: Date; keyids: string[]; threshold: number };
  /**
   * Merkle snapshot profile (ADR 0022): the tree root and size the timestamp signs, pinned for the session.
   * `snapshot` then holds the snapshot epoch (timestamp.meta["snapshot.json"].version) and the timestamp's
   * expiry: there is no snapshot file.
   */
  merkle?: { root: string; size: number };
  /** the top-level targets delegates to the overlay approval role (ADR 0017): a team's approvals over an upstream */
  overlay: boolean;
  /**
   * ADR 0026: the packages the trusted top-level targets (offline key, TUF 5.6.3) records as unclaimed on
   * purpose (`x-tufpm-unclaimed`), sorted. Absent or empty: no record (a malformed field honours none).
   */
  unclaimed?: string[];
}

/**
 * The names with an unclaim record in the trusted top-level targets (ADR 0026). TUF 4: an unrecognized field
 * is kept and covered by the signature, so this is what the offline targets key signed. A malformed field
 * honours no record (fail closed: the signer-downgrade and dropped-claim refusals stand) instead of failing
 * installs of every other package.
 */
function unclaimedNames(targets: Metadata<Targets>): string[] {
  try {
    return [...parseUnclaimRecords(targets.signed.unrecognized).keys()].sort();
  } catch (error) {
    if (error instanceof MetadataParseError) return [];
    throw error;
  }
}

export interface FoundTarget {
  /** the signed target's fields installers read (plain data, so it can come from the TUF worker) */
  target: Pick<TargetFile, 'length' | 'hashes' | 'custom'>;
  /** the delegated role that signed the target */
  role: string;
  roleVersion: number;
  /** signed by the package's own delegated role (its maintainers), not a registry-signed bin */
  maintainerSigned: boolean;
  /** signature threshold the delegation requires of the signing role */
  threshold: number;
  /** the signing role's keys as its delegation lists them, and the name they are recorded under in the
   *  pins' `roles` (the role's name, or `<prefix>-*` for a hash bin: all bins share one delegation) */
  keys: RoleKeys & { name: string };
}

export interface TufSession {
  state(): TufState;
  /** Roots trusted in this refresh, oldest first. */
  rootChain(): ReadonlyArray<RootChainEntry>;
  findTarget(targetPath: string): Promise<FoundTarget | undefined>;
  /**
   * Of `names`, the packages the verified top-level targets delegates to a role of their own (their claim,
   * the role a lookup of their tarballs meets first), with that role's keyids and threshold.
   */
  claims(names: readonly string[]): Promise<Array<[string, RecordedClaim]>>;
  /** Writes the delegated roles verified in this session to the machine's metadata cache. */
  persist(): Promise<void>;
  /**
   * Merkle profile: fetch the proofs of roles the install already knows (its pins), concurrently, and return
   * each role's proven version (undefined: absent); classic profile: nothing fetched, an empty list, and
   * the roles count toward fetching their role bundles (ADR 0024) at the first lookup that needs one.
   */
  prefetch(roles: readonly string[]): Promise<Array<[string, number | undefined]>>;
  /** Ends the session (stops its worker thread, if any). */
  close(): Promise<void>;
}

export interface TufSessionOptions {
  registryUrl: string;
  metadataUrl: string;
  trustedRootPath: string;
  /** this registry's directory in the machine's tufpm state directory (state-dir.ts) */
  cacheDir: string;
  /** the machine's record key: seals the pack's verification records (ADR 0011) */
  recordKey: Uint8Array;
  /** the root tufpm-lock.json pins: the refresh starts from exactly this root (pinned-root.ts) */
  pinnedRoot?: PinnedRoot;
  clock?: () => Date;
  /** the client's snapshotMaxLength (default: the client's) */
  snapshotMaxLength?: number;
  /** the installer's network timeout in ms (VerifierOptions.networkTimeoutMs): see clientTimeouts */
  networkTimeoutMs?: number;
  /** the project's tufpm-auditors.json, as parsed JSON (auditors.ts): required cosignatures on a Merkle tree root */
  auditors?: unknown;
}

const MAX_ROOT_BYTES = 512 * 1024;

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function readTrustedRoot(path: string): Promise<Uint8Array> {
  const read = await readBoundedFile(path, MAX_ROOT_BYTES);
  if (read.kind === 'missing') {
    throw new VerifyError('TUF_NO_TRUSTED_ROOT', `no trusted TUF root at ${path}`, {
      attack: 'none yet: without a trusted root nothing can be verified',
      recovery: 'commit the registry\'s root metadata as tufpm-root.json (obtained out of band, checked by its sha256), or set the trusted root path',
    });
  }
  if (read.kind !== 'file') {
    const what = read.kind === 'too-large' ? `is larger than ${MAX_ROOT_BYTES} bytes` : 'is not a regular file';
    throw new VerifyError('TUF_NO_TRUSTED_ROOT', `trusted root ${path} ${what}`, {
      attack: 'malformed trusted root',
      recovery: 'replace tufpm-root.json with the registry\'s real root metadata',
    });
  }
  const bytes = read.bytes;
  try {
    Metadata.fromBytes(bytes, 'root', MAX_ROOT_BYTES);
  } catch (error) {
    if (!(error instanceof MetadataParseError)) throw error;
    // The project's own file, read before any request: the registry is not involved.
    throw new VerifyError('TUF_TRUSTED_ROOT_MALFORMED', `the project's trusted root ${path} is broken: ${error.message}`, {
      attack: 'none detected: the project\'s own trusted root file is malformed (the registry was not contacted)',
      recovery: 'restore tufpm-root.json from version control, or write it again with `tufpm-npm init --root-sha256 <sha256 from the registry operator>`',
      cause: error,
    });
  }
  return bytes;
}

/**
 * A refused connection, a network failure or an HTTP 5xx (what the client marks retryable) means the
 * registry is down or unreachable: no attack was detected, and the user should not be told one was. An
 * attacker who withholds metadata gains nothing from it: the install stops, and a freeze still meets the
 * expiry checks once data flows again.
 */
function unreachable(error: unknown): unknown {
  // A redirect loop is a misconfigured registry or proxy, not an attack on the metadata (the scheme-change
  // refusal keeps TUF_DOWNLOAD: that one is a downgrade).
  const loop = error instanceof DownloadError && /: too many redirects$/.test(error.message);
  if (!(error instanceof DownloadError) || (!error.retryable && !loop)) return error;
  return new VerifyError('TUF_REGISTRY_UNREACHABLE', `registry unreachable, no attack detected: ${error.message}`, {
    attack: 'none detected (the registry or the network is down)',
    recovery: 'nothing was installed; retry later, and check the registry URL, the network and any proxy',
    cause: error,
  });
}

/** The client's own bounds (HttpFetcher): 30 s without a byte, 30 s for the headers, 10 s of grace before
 *  the 1 KiB/s average applies. */
const CLIENT_IDLE_MS = 30_000;
const CLIENT_SPEED_GRACE_MS = 10_000;

/**
 * Slow retrieval (TUF 5.3-5.7; ADR 0019): the installer's own network timeout (Yarn's `httpTimeout`, npm's
 * `fetch-timeout`) shortens the client's idle and header timeouts and the grace before its speed check, so a
 * stall or a trickle on TUF metadata ends when the user asked the installer to give up; it never lengthens
 * them (npm's default of 5 minutes would leave an install silent that long on a stalled timestamp).
 */
export function clientTimeouts(networkTimeoutMs: number | undefined): HttpFetcherOptions {
  if (networkTimeoutMs === undefined || !Number.isSafeInteger(networkTimeoutMs) || networkTimeoutMs < 1) return {};
  const idle = Math.min(CLIENT_IDLE_MS, networkTimeoutMs);
  return { idleTimeoutMs: idle, headersTimeoutMs: idle, speedGraceMs: Math.min(CLIENT_SPEED_GRACE_MS, networkTimeoutMs) };
}

function metadataDirFor(options: Pick<TufSessionOptions, 'metadataUrl' | 'cacheDir'>, rootBytes: Uint8Array): string {
  return join(options.cacheDir, sha256Hex(Buffer.from(`${options.metadataUrl}\n${sha256Hex(rootBytes)}`)).slice(0, 32));
}

/**
 * Whether this machine already keeps verified delegated roles for this repository and trusted root (a warm
 * install): then the session's work is small and a worker thread's start-up would cost more than it saves.
 */
export async function hasVerifiedRoles(options: Pick<TufSessionOptions, 'metadataUrl' | 'cacheDir' | 'trustedRootPath'>): Promise<boolean> {
  let rootBytes: Uint8Array;
  try {
    rootBytes = await readTrustedRoot(options.trustedRootPath);
  } catch (error) {
    if (error instanceof VerifyError) return false; // the session itself reports a missing or bad root
    throw error;
  }
  return existsSync(join(metadataDirFor(options, rootBytes), ROLE_PACK_FILE));
}

/**
 * Opens a TUF client session for an install: the metadata cache is keyed by the metadata URL AND the
 * project's trusted root, so two projects that trust different roots for the same URL never share a chain.
 */
export async function openTufSession(options: TufSessionOptions): Promise<TufSession> {
  const rootBytes = await readTrustedRoot(options.trustedRootPath);
  const metadataDir = metadataDirFor(options, rootBytes);
  await ensurePrivateDir(options.cacheDir);
  await ensurePrivateDir(metadataDir);
  const cachedRoot = join(metadataDir, 'root.json');
  const pin = options.pinnedRoot;
  if (pin !== undefined) {
    // TUF 5.2 with pins: start from the pinned root, never from a root the pin cannot vouch for
    let start: Uint8Array | undefined;
    try {
      start = await pinnedStartRoot(pin, cachedRoot, rootBytes, options.metadataUrl, MAX_ROOT_BYTES);
    } catch (error) {
      throw unreachable(error);
    }
    if (start !== undefined) await writeFileAtomic(cachedRoot, start, { mode: PRIVATE_FILE_MODE });
  } else {
    try {
      await stat(cachedRoot);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await writeFileAtomic(cachedRoot, rootBytes, { mode: PRIVATE_FILE_MODE });
    }
  }
  const updater = new Updater({
    metadataDir,
    metadataBaseUrl: options.metadataUrl,
    targetBaseUrl: options.registryUrl,
    // one role per package: one pack file instead of hundreds of role files (written by persist())
    delegatedRoleCache: 'pack',
    ...(options.networkTimeoutMs !== undefined ? { fetcher: new UrlFetcher(clientTimeouts(options.networkTimeoutMs)) } : {}),
    verificationRecordKey: options.recordKey,
    // ADR 0024: hash bins in batches, from role bundles, when an install needs many of a bundle's bins
    roleBundles: true,
    ...(options.auditors !== undefined ? { auditors: parseAuditorPolicy(options.auditors, 'tufpm-auditors.json') } : {}),
    ...(options.snapshotMaxLength !== undefined ? { config: { snapshotMaxLength: options.snapshotMaxLength } } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  let trusted: Awaited<ReturnType<Updater['refresh']>>;
  // With pins, the project's own root (when not older than the pin) must lie on the chain walked from the
  // pinned root: a forged higher root in tufpm-root.json is named as such, whatever else fails.
  const project = pin === undefined ? undefined : rootIdentity(rootBytes, MAX_ROOT_BYTES);
  const projectOffChain = (): boolean =>
    pin !== undefined && project !== undefined && project.version >= pin.version &&
    !updater.rootChain.some((r) => r.version === project.version && r.signedSha256 === project.signedSha256);
  try {
    trusted = await updater.refresh();
  } catch (error) {
    const cause = unreachable(error);
    if (cause === error && projectOffChain()) throw pinRootError(`the project's trusted root ${options.trustedRootPath} (version ${project!.version}) is not on the root chain that starts at the pinned root`, pin!, 'tufpm-lock.json', error);
    throw cause;
  }
  if (projectOffChain()) {
    throw pinRootError(`the project's trusted root ${options.trustedRootPath} (version ${project!.version}) is not on the root chain that starts at the pinned root`, pin!, 'tufpm-lock.json');
  }
  const timestamp = trusted.timestamp;
  const snapshot = trusted.snapshot;
  const targets = trusted.targets;
  const head = trusted.merkleHead;
  if (!timestamp || (!snapshot && !head) || !targets) throw new Error('TUF refresh finished without timestamp, snapshot or targets');
  const root = trusted.root;
  const roleKeys = (role: 'root' | 'timestamp' | 'snapshot' | 'targets'): RoleKeys => {
    const r = root.signed.roles.get(role);
    return { keyids: [...(r?.keyids ?? [])].sort(), threshold: r?.threshold ?? 1 };
  };
  const trustedRoot = updater.rootChain[updater.rootChain.length - 1]!;
  const state: TufState = {
    // The pin identifies the root by the sha256 of its file, as operators publish it (ADR 0016).
    root: { version: root.signed.version, sha256: trustedRoot.sha256, expires: root.signed.expires, ...roleKeys('root') },
    timestamp: { version: timestamp.signed.version, expires: timestamp.signed.expires, ...roleKeys('timestamp') },
    // Merkle profile (TAP 16): the epoch the timestamp names stands for the snapshot version
    snapshot: snapshot !== undefined
      ? { version: snapshot.signed.version, expires: snapshot.signed.expires, ...roleKeys('snapshot') }
      : { version: head!.epoch, expires: timestamp.signed.expires, ...roleKeys('snapshot') },
    ...(head !== undefined ? { merkle: { root: head.root, size: head.size } } : {}),
    targets: { version: targets.signed.version, expires: targets.signed.expires, ...roleKeys('targets') },
    overlay: targets.signed.delegations?.getRole(OVERLAY_APPROVAL_ROLE) !== undefined,
    unclaimed: unclaimedNames(targets),
  };
  return {
    state: () => state,
    rootChain: () => updater.rootChain,
    persist: () => updater.persist(),
    close: async () => undefined,
    async prefetch(roles: readonly string[]): Promise<Array<[string, number | undefined]>> {
      // classic profile: the roles are a hint for role bundles (ADR 0024); nothing is fetched here
      updater.expectRoles(roles);
      try {
        return [...(await updater.prefetchProofs(roles))];
      } catch (error) {
        throw unreachable(error);
      }
    },
    async claims(names: readonly string[]): Promise<Array<[string, RecordedClaim]>> {
      const delegations = targets.signed.delegations;
      const out: Array<[string, RecordedClaim]> = [];
      if (delegations === undefined) return out;
      for (const name of new Set(names)) {
        if (!isValidPackageName(name)) continue;
        // The same test as maintainerSigned below: the first role the search meets for the package's
        // tarballs is delegated by the top-level targets and named after the package.
        const first = delegations.rolesForTarget(targetPathFor(name, '0.0.0'))[0];
        if (first === undefined || first.name !== name) continue;
        out.push([name, { keyids: [...first.role.keyids].sort(), threshold: first.role.threshold }]);
      }
      return out;
    },
    async findTarget(targetPath: string): Promise<FoundTarget | undefined> {
      let info: Awaited<ReturnType<Updater['getTargetInfo']>>;
      try {
        info = await updater.getTargetInfo(targetPath);
      } catch (error) {
        throw unreachable(error);
      }
      if (!info) return undefined;
      const role = info.rolePath[info.rolePath.length - 1]!;
      const packageName = targetPath.slice(0, targetPath.indexOf('/-/'));
      const delegator = info.rolePath.length === 2 ? trusted.targets : trusted.getRole(info.rolePath.slice(0, -1));
      const delegation = delegator?.signed.delegations?.getRole(role);
      const threshold = delegation?.threshold ?? 1;
      // TAP 15: every hash bin shares the one succinct delegation's keys, recorded once as `<prefix>-*`
      const keysName = delegation instanceof SuccinctRoles ? `${delegation.namePrefix}-*` : role;
      return {
        target: info.targetFile,
        role,
        roleVersion: info.roleVersion,
        // A maintainer-signed package is delegated directly by the top-level targets role (offline key) to a
        // role named after the package; everything else (unclaimed bins) is signed with registry keys.
        maintainerSigned: info.rolePath.length === 2 && role === packageName,
        threshold,
        keys: { name: keysName, keyids: [...(delegation?.keyids ?? [])].sort(), threshold },
      };
    },
  };
}
