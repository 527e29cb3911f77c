import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DelegatedRole,
  isTopLevelRole,
  type Signer,
  type SuccinctRoles,
  type TopLevelRole,
} from '@tufpm/models';
import { type Expiries, type RepoConfig, checkExpiries, readConfig, writeConfig } from './config.js';
import { InvalidInputError, RepositoryStateError } from './errors.js';
import { ensureDir, exists, isErrno } from './fs-util.js';
import { roleSigners, writeNewKeyPair } from './keys.js';
import { finishRotation, readRotationJournal } from './rotation-journal.js';
import { withRepositoryLock } from './lock.js';
import { Repository } from './repository.js';
import { loadRepository, persistRepository, type PlannedFile } from './repository-io.js';
import { declareMerkleProfile, openMerkleStore, type SnapshotProfile } from './merkle-snapshot.js';

/** Name of the role that covers every package without its own role (and the prefix of its bins). */
export const UNCLAIMED_ROLE = 'unclaimed';
export const UNCLAIMED_PATHS: readonly string[] = ['*/-/*', '@*/*/-/*'];
export const DEFAULT_BIT_LENGTH = 8;

export interface InitOptions {
  /** Metadata directory (served by the registry as /-/tuf/metadata/). */
  dir: string;
  /** Keys directory: offline/ (root, targets), online/ (snapshot, timestamp, unclaimed), repo.json. */
  keysDir: string;
  expiries?: Partial<Expiries>;
  /** Number of keys generated (and required) per top-level role; default 1 each. */
  thresholds?: Partial<Record<TopLevelRole, number>>;
  /** TAP 15 bit length of the unclaimed hash bins (2^n bins); default 8. */
  bitLength?: number;
  snapshotLengthAndHashes?: boolean;
  /** 'merkle': the snapshot is a sparse Merkle tree whose root the timestamp signs (ADR 0021). Default 'classic'. */
  snapshotProfile?: SnapshotProfile;
  /** Merkle profile: write every role's proof file at each epoch (static hosting); default off (the registry generates them). */
  materializeProofs?: boolean;
  now?: Date;
}

export interface OpenOptions {
  dir: string;
  keysDir: string;
  /** Reference time for new expiry dates (tests). */
  now?: Date;
}

type RepoCtor<T> = new (dir: string, keysDir: string, config: RepoConfig, repo: Repository, now: Date | undefined) => T;

/** Expiry date `seconds` after now, truncated to whole seconds (the wire format has none). */
export function expiresIn(now: Date, seconds: number): Date {
  return new Date((Math.floor(now.getTime() / 1000) + seconds) * 1000);
}

/**
 * The npm profile of TUF on one repository (DESIGN.md 2): `targets` delegates first to one role per
 * claimed package, then to `unclaimed`, which delegates through TAP 15 succinct roles to hash bins.
 * Every mutating operation runs under the repository lock, edits the in-memory Repository, and
 * persists only when everything (signing included) succeeded; on failure the edits are discarded and
 * nothing is written.
 */
export class NpmRepositoryCore {
  /** Internal: use init() or open(). */
  constructor(
    readonly dir: string,
    readonly keysDir: string,
    readonly config: RepoConfig,
    public repo: Repository,
    readonly fixedNow: Date | undefined,
  ) {}

  /** Set when a failed transaction may have left the merkle tree ahead of the timestamp on disk: reload it. */
  private stale = false;

  now(): Date {
    return this.fixedNow ?? new Date();
  }

  /** Creates keys and the first version of every role. Refuses to overwrite an existing repository. */
  static async init<T extends NpmRepositoryCore>(this: RepoCtor<T>, opts: InitOptions): Promise<T> {
    const Ctor = this;
    const now = opts.now ?? new Date();
    const expiries = checkExpiries(opts.expiries ?? {});
    const bitLength = opts.bitLength ?? DEFAULT_BIT_LENGTH;
    if (!Number.isSafeInteger(bitLength) || bitLength < 1 || bitLength > 16) throw new InvalidInputError('bit length must be an integer in 1..16');
    const thresholds: Record<TopLevelRole, number> = { root: 1, targets: 1, snapshot: 1, timestamp: 1, ...opts.thresholds };
    for (const [role, t] of Object.entries(thresholds)) {
      if (!Number.isSafeInteger(t) || t < 1 || t > 16) throw new InvalidInputError(`threshold of ${role} must be an integer in 1..16`);
    }
    if (await exists(join(opts.dir, 'timestamp.json'))) throw new RepositoryStateError(`${opts.dir} already holds a repository`);
    if (await exists(join(opts.keysDir, 'repo.json'))) throw new RepositoryStateError(`${opts.keysDir} already holds repository keys`);
    const config: RepoConfig = { expiries, snapshotLengthAndHashes: opts.snapshotLengthAndHashes === true, materializeProofs: opts.materializeProofs === true, releaseListsComplete: true };
    if (opts.snapshotProfile !== undefined && opts.snapshotProfile !== 'classic' && opts.snapshotProfile !== 'merkle') {
      throw new InvalidInputError(`snapshot profile must be classic or merkle, not ${JSON.stringify(opts.snapshotProfile)}`);
    }

    await ensureDir(opts.keysDir, 0o700);
    return withRepositoryLock(opts.keysDir, async () => {
      const repo = Repository.create({
        expires: {
          root: expiresIn(now, expiries.root),
          targets: expiresIn(now, expiries.targets),
          snapshot: expiresIn(now, expiries.snapshot),
          timestamp: expiresIn(now, expiries.timestamp),
        },
      });
      if (opts.snapshotProfile === 'merkle') {
        declareMerkleProfile(repo.root.signed);
        repo.merkle = await openMerkleStore(opts.dir);
      }
      const written: string[] = [];
      try {
        const signers = new Map<string, Signer[]>();
        const gen = async (role: string, count: number): Promise<Signer[]> => {
          const out: Signer[] = [];
          for (let i = 1; i <= count; i++) {
            const { signer, privatePath, publicPath } = await writeNewKeyPair(
              join(opts.keysDir, role === 'root' || role === 'targets' ? 'offline' : 'online'),
              i === 1 ? role : `${role}.${i}`,
            );
            written.push(privatePath, publicPath);
            out.push(signer);
          }
          signers.set(role, out);
          return out;
        };
        for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
          for (const s of await gen(role, thresholds[role])) repo.addKey(role, s.key);
          repo.setThreshold(role, thresholds[role]);
        }
        const [unclaimedSigner] = await gen(UNCLAIMED_ROLE, 1);
        const unclaimedKey = unclaimedSigner!.key;
        repo.delegate('targets', new DelegatedRole({ name: UNCLAIMED_ROLE, terminating: true, paths: [...UNCLAIMED_PATHS] }), [unclaimedKey], {
          expires: expiresIn(now, expiries.unclaimed),
        });
        const bins = repo.delegateSuccinct(UNCLAIMED_ROLE, {
          keys: [unclaimedKey],
          threshold: 1,
          bitLength,
          namePrefix: UNCLAIMED_ROLE,
          expires: expiresIn(now, expiries.unclaimed),
        });
        for (const bin of bins) repo.sign(bin, signers.get(UNCLAIMED_ROLE)!);
        repo.sign(UNCLAIMED_ROLE, signers.get(UNCLAIMED_ROLE)!);
        repo.sign('targets', signers.get('targets')!);
        repo.updateSnapshot({ lengthAndHashes: config.snapshotLengthAndHashes });
        repo.sign('snapshot', signers.get('snapshot')!);
        repo.updateTimestamp();
        repo.sign('timestamp', signers.get('timestamp')!);
        repo.sign('root', signers.get('root')!);
        await writeConfig(opts.keysDir, config);
        written.push(join(opts.keysDir, 'repo.json'));
        await persistRepository(repo, opts.dir, { materializeProofs: config.materializeProofs === true, roleBundlesOf: UNCLAIMED_ROLE });
      } catch (err) {
        // Leave no half-initialised key directory behind.
        for (const f of written) await rm(f, { force: true });
        throw err;
      }
      return new Ctor(opts.dir, opts.keysDir, config, repo, opts.now);
    });
  }

  static async open<T extends NpmRepositoryCore>(this: RepoCtor<T>, opts: OpenOptions): Promise<T> {
    const config = await readConfig(opts.keysDir);
    const repo = await loadRepository(opts.dir);
    return new this(opts.dir, opts.keysDir, config, repo, opts.now);
  }

  /** Re-reads the directory when another writer (CLI, registry) changed timestamp.json since we last did. */
  async reloadIfChanged(): Promise<void> {
    let onDisk: Uint8Array;
    try {
      onDisk = new Uint8Array(await readFile(join(this.dir, 'timestamp.json')));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new RepositoryStateError(`timestamp.json disappeared from ${this.dir}`, { cause: err });
      throw err;
    }
    const ours = this.repo.persisted.get('timestamp');
    if (this.stale || ours === undefined || Buffer.compare(Buffer.from(ours), Buffer.from(onDisk)) !== 0) {
      this.repo = await loadRepository(this.dir);
      this.stale = false;
    }
  }

  /**
   * Runs an edit under the lock: reload if needed, apply, persist. If anything throws, the in-memory
   * edits are discarded and nothing has been written.
   */
  async transaction<T>(fn: (repo: Repository) => Promise<T>, opts: { allowUnderThreshold?: string[]; rootLast?: boolean; beforePersist?: () => Promise<void>; onFailure?: () => Promise<void> } = {}): Promise<{ result: T; written: PlannedFile[] }> {
    return withRepositoryLock(this.keysDir, async () => {
      await this.finishInterruptedRotation();
      await this.reloadIfChanged();
      try {
        const result = await fn(this.repo);
        this.repo.checkConsistency(new Set(opts.allowUnderThreshold ?? []));
        await opts.beforePersist?.();
        const written = await persistRepository(this.repo, this.dir, { allowUnderThreshold: opts.allowUnderThreshold ?? [], materializeProofs: this.config.materializeProofs === true, rootLast: opts.rootLast === true, roleBundlesOf: UNCLAIMED_ROLE });
        return { result, written };
      } catch (err) {
        this.repo.discardChanges();
        // The tree has no undo of its own: re-read it (at the root the timestamp on disk names) next time.
        if (this.repo.merkle !== undefined) this.stale = true;
        await opts.onFailure?.();
        throw err;
      }
    });
  }

  /**
   * A rotate-key killed between its key files and its metadata left a journal: finish it from the metadata
   * on disk (re-read, not what this process holds) before anything signs (rotation-journal.ts).
   */
  private async finishInterruptedRotation(): Promise<void> {
    const journal = await readRotationJournal(this.keysDir);
    if (journal === undefined) return;
    this.stale = true;
    await this.reloadIfChanged();
    await finishRotation(this.keysDir, journal, this.repo.parentOf(journal.role).role.keyids);
  }

  // ---- roles and keys ----

  unclaimedBins(): SuccinctRoles {
    const s = this.repo.targetsRole(UNCLAIMED_ROLE).signed.delegations?.succinctRoles;
    if (s === undefined) throw new RepositoryStateError('role "unclaimed" has no succinct_roles delegation');
    return s;
  }

  /** The claimed package roles, in delegation (trust) order. */
  claimedPackages(): DelegatedRole[] {
    return (this.repo.targets.signed.delegations?.roles ?? []).filter((r) => r.name !== UNCLAIMED_ROLE);
  }

  /** The package's delegation, found through the delegations' name index (no scan of every claim). */
  claimedRole(name: string): DelegatedRole | undefined {
    if (name === UNCLAIMED_ROLE) return undefined;
    const role = this.repo.targets.signed.delegations?.getRole(name);
    return role instanceof DelegatedRole ? role : undefined;
  }

  isBin(role: string): boolean {
    return this.repo.delegated.has(role) && role !== UNCLAIMED_ROLE && this.unclaimedBins().isDelegatedRole(role);
  }

  /** Signers for a role from the keys directory (bins share the key of `unclaimed`). */
  async signersFor(role: string): Promise<Signer[]> {
    const keyFileRole = this.isBin(role) ? UNCLAIMED_ROLE : role;
    if (!isTopLevelRole(keyFileRole) && keyFileRole !== UNCLAIMED_ROLE) {
      throw new InvalidInputError(`role "${role}" is signed by its maintainers, not by keys of the registry`);
    }
    const keyids = this.repo.parentOf(role).role.keyids;
    return (await roleSigners(this.keysDir, keyFileRole, keyids)).map((f) => f.signer);
  }

  async signRole(role: string, extra: readonly Signer[] = []): Promise<void> {
    this.repo.sign(role, [...(await this.signersFor(role)), ...extra]);
  }

  /**
   * New snapshot (every role at its current version) and a timestamp pointing at it, both signed, each
   * with a fresh expiry (now + its configured lifetime): a registry that keeps signing keeps its metadata
   * from expiring. Before, both kept the expiry `init` gave them, so every install failed a day after
   * `init` however many publishes and `tufpm-repo timestamp` runs came since.
   */
  async resignSnapshotAndTimestamp(): Promise<void> {
    this.repo.setExpires('snapshot', expiresIn(this.now(), this.config.expiries.snapshot));
    this.repo.updateSnapshot({ lengthAndHashes: this.config.snapshotLengthAndHashes });
    await this.signRole('snapshot');
    this.repo.setExpires('timestamp', expiresIn(this.now(), this.config.expiries.timestamp));
    this.repo.updateTimestamp();
    await this.signRole('timestamp');
  }
}
