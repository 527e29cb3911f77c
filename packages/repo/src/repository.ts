import {
  DelegatedRole,
  Delegations,
  Key,
  Metadata,
  MetaFile,
  RepositoryError,
  Root,
  Snapshot,
  SuccinctRoles,
  TargetFile,
  Targets,
  Timestamp,
  getVerificationResult,
  isTopLevelRole,
  type HashAlgorithm,
  type Role,
  type Signed,
  type Signer,
  type TopLevelRole,
  type VerificationResult,
} from '@tufpm/models';
import type { MerkleStore } from '@tufpm/merkle';
import { DelegatedRoles } from './delegated-roles.js';
import { KeyMismatchError } from './errors.js';
import { snapshotProfileOf, stageMerkleLeaves, type SnapshotProfile } from './merkle-snapshot.js';
import { checkRepositoryConsistency } from './repository-consistency.js';
import { MERKLE_TIMESTAMP_FIELD } from '@tufpm/merkle';

export interface CreateRepositoryOptions {
  /** Expiry of the first version of each top-level role. */
  expires: Record<TopLevelRole, Date>;
  /** Default true: the npm profile always serves `<version>.<role>.json`. */
  consistentSnapshot?: boolean;
}

export interface MetaOptions {
  /** Also record length and hashes of each file (not only its version). */
  lengthAndHashes?: boolean;
  hashAlgorithms?: HashAlgorithm[];
}

export interface DelegateOptions {
  expires: Date;
  /** Insert the new role just before this one in the delegator's ordered list (default: append). */
  before?: string;
  /**
   * The name may belong to a retired role (retireDelegation): the new role replaces it, one version above
   * the retired one, so no snapshot ever lists the role lower than before (TUF 5.5.5).
   */
  replacesRetired?: boolean;
}

export interface SuccinctDelegationOptions {
  keys: Key[];
  threshold: number;
  bitLength: number;
  namePrefix: string;
  expires: Date;
}

/** The delegator of a role and the Role entry (keys + threshold) it lists for it. */
export interface RoleParent {
  parent: string;
  role: Role;
  keys: ReadonlyMap<string, Key>;
}

/**
 * The in-memory state of a TUF repository: the four top-level roles plus every delegated targets
 * role, with the bookkeeping needed to write only what changed. A role's version is bumped once per
 * persist cycle, the first time it is edited (so several edits before one persist give one new
 * version), and its signatures are dropped on every edit because they no longer cover the content.
 * Reading and writing directories lives in repository-io.ts.
 */
export class Repository {
  root: Metadata<Root>;
  timestamp: Metadata<Timestamp>;
  snapshot: Metadata<Snapshot>;
  targets: Metadata<Targets>;
  /**
   * Delegated targets roles by name. Trust order is the delegator's ordered `roles` array, not this Map.
   * A repository read from disk loads each on first use (delegated-roles.ts).
   */
  readonly delegated: DelegatedRoles;
  /** The root as last persisted (or loaded): a new root version must also satisfy its threshold. */
  trustedRoot: Metadata<Root> | undefined;
  /** Roles edited since the last persist (their versions are already bumped). */
  readonly changed = new Set<string>();
  /** Canonical bytes of each role as last persisted/loaded, to discard failed edits. */
  readonly persisted = new Map<string, Uint8Array>();
  /** Delegated roles removed since the last persist (restored by discardChanges). */
  readonly removed = new Set<string>();
  /** The snapshot tree (merkle profile only, ADR 0021): opened by loadRepository / init. */
  merkle: MerkleStore | undefined;

  constructor(root: Metadata<Root>, timestamp: Metadata<Timestamp>, snapshot: Metadata<Snapshot>, targets: Metadata<Targets>, loadRole?: (name: string) => Metadata<Targets>) {
    this.delegated = new DelegatedRoles(loadRole);
    this.root = root;
    this.timestamp = timestamp;
    this.snapshot = snapshot;
    this.targets = targets;
  }

  /** A new repository: every top-level role at version 1, no keys yet (add them with addKey). */
  static create(opts: CreateRepositoryOptions): Repository {
    const root = new Metadata(new Root({ expires: opts.expires.root, consistentSnapshot: opts.consistentSnapshot ?? true }));
    const targets = new Metadata(new Targets({ expires: opts.expires.targets }));
    const snapshot = new Metadata(new Snapshot({ expires: opts.expires.snapshot }));
    const timestamp = new Metadata(new Timestamp({ expires: opts.expires.timestamp }));
    const repo = new Repository(root, timestamp, snapshot, targets);
    for (const n of ['root', 'targets', 'snapshot', 'timestamp']) repo.changed.add(n);
    return repo;
  }

  // ---- access ----

  hasRole(name: string): boolean {
    return isTopLevelRole(name) || this.delegated.has(name);
  }

  role(name: string): Metadata<Signed> {
    switch (name) {
      case 'root': return this.root;
      case 'timestamp': return this.timestamp;
      case 'snapshot': return this.snapshot;
      case 'targets': return this.targets;
    }
    const md = this.delegated.get(name);
    if (md === undefined) throw new RepositoryError(`no role "${name}" in the repository`);
    return md;
  }

  /** `targets` or a delegated targets role. */
  targetsRole(name: string): Metadata<Targets> {
    if (name === 'targets') return this.targets;
    const md = this.delegated.get(name);
    if (md === undefined) throw new RepositoryError(`no targets role "${name}" in the repository`);
    return md;
  }

  /** Every role name: top-level first, then delegated roles in Map order. */
  roleNames(): string[] {
    return ['root', 'timestamp', 'snapshot', 'targets', ...this.delegated.keys()];
  }

  /** The delegator of `name` and the keys/threshold it lists for it. */
  parentOf(name: string): RoleParent {
    if (isTopLevelRole(name)) {
      return { parent: 'root', role: this.root.signed.getRole(name), keys: this.root.signed.keys };
    }
    // The roles in memory first (the delegators a caller just used: targets, unclaimed), then the rest,
    // loading them, so that signing a bin does not read every role of the repository. Neither list is
    // copied: with M package roles listed, signing one of them must not walk M names (issue 21).
    const found = (delegatorName: string): RoleParent | undefined => {
      const d = this.targetsRole(delegatorName).signed.delegations;
      const role = d?.getRole(name);
      return d !== undefined && role !== undefined ? { parent: delegatorName, role, keys: d.keys } : undefined;
    };
    const inMemory = found('targets') ?? first(this.delegated.loadedNames(), found);
    if (inMemory !== undefined) return inMemory;
    const rest = first([...this.delegated.keys()].filter((n) => !this.delegated.isLoaded(n)).values(), found);
    if (rest !== undefined) return rest;
    throw new RepositoryError(`role "${name}" is not delegated by any role`);
  }

  // ---- editing ----

  /**
   * Marks a role as modified and returns its `signed` part. The first edit in a persist cycle bumps
   * the version; every edit drops the signatures (they no longer cover the content).
   */
  edit<T extends Signed = Signed>(name: string): T {
    const md = this.role(name);
    if (!this.changed.has(name)) {
      md.signed.bumpVersion();
      this.changed.add(name);
    }
    md.signatures.clear();
    return md.signed as T;
  }

  setExpires(name: string, expires: Date): void {
    this.edit(name).expires = expires;
  }

  addKey(role: TopLevelRole, key: Key): void {
    this.edit<Root>('root').addKey(key, role);
  }

  revokeKey(role: TopLevelRole, keyid: string): void {
    this.edit<Root>('root').revokeKey(keyid, role);
  }

  setThreshold(role: TopLevelRole, threshold: number): void {
    this.edit<Root>('root').getRole(role).threshold = threshold;
  }

  /** Creates the metadata of a new delegated role (version 1, no targets). */
  private createDelegatedMetadata(name: string, expires: Date): Metadata<Targets> {
    if (this.hasRole(name)) throw new RepositoryError(`role "${name}" already exists`);
    const md = new Metadata(new Targets({ expires }));
    this.delegated.set(name, md);
    this.changed.add(name);
    return md;
  }

  /**
   * Delegates from `delegator` to a new role (listed at the end, or before `opts.before`), and creates
   * the new role's metadata.
   */
  delegate(delegator: string, role: DelegatedRole, keys: Key[], opts: DelegateOptions): Metadata<Targets> {
    let retiredVersion = 0;
    if (opts.replacesRetired === true && this.delegated.has(role.name)) {
      if (this.targetsRole(delegator).signed.delegations?.getRole(role.name) !== undefined) throw new RepositoryError(`${delegator} already delegates to "${role.name}"`);
      retiredVersion = this.targetsRole(role.name).signed.version;
      // delete() loads the role first: discardChanges restores it from the bytes it was read from
      this.delegated.delete(role.name);
    }
    const signed = this.edit<Targets>(delegator);
    if (signed.delegations?.succinctRoles !== undefined) throw new RepositoryError(`${delegator} delegates through succinct_roles`);
    signed.addDelegatedRole(role, keys); // appends
    if (opts.before !== undefined) {
      const roles = signed.delegations!.roles!;
      const at = roles.findIndex((r) => r.name === opts.before);
      if (at < 0) throw new RepositoryError(`${delegator} does not delegate to "${opts.before}"`);
      const moved = roles.pop()!;
      roles.splice(at, 0, moved);
      signed.delegations!.invalidateIndex();
    }
    const md = this.createDelegatedMetadata(role.name, opts.expires);
    md.signed.version = retiredVersion + 1;
    return md;
  }

  /**
   * Ends a delegation but keeps the delegated role's metadata as it is (unchanged, unsigned anew): the
   * snapshot keeps listing the role at its last version, and in the Merkle profile its leaf stays (no
   * tombstone). A snapshot may list a role nobody delegates to; dropping or lowering an entry would be a
   * rollback to every client that trusted the previous snapshot (TUF 5.5.5). ADR 0026 (unclaim).
   */
  retireDelegation(delegator: string, name: string): void {
    if (!this.delegated.has(name)) throw new RepositoryError(`no role "${name}" in the repository`);
    this.edit<Targets>(delegator).removeDelegatedRole(name);
  }

  /** Removes a delegation and the delegated role's metadata (and, recursively, nothing else: the npm profile is two levels deep). */
  removeDelegation(delegator: string, name: string): void {
    this.edit<Targets>(delegator).removeDelegatedRole(name);
    this.delegated.delete(name);
    this.changed.delete(name);
    this.removed.add(name);
  }

  /** TAP 15: delegates from `delegator` to 2^bitLength hash bins and creates every bin's metadata. */
  delegateSuccinct(delegator: string, opts: SuccinctDelegationOptions): string[] {
    const signed = this.edit<Targets>(delegator);
    if (signed.delegations !== undefined && (signed.delegations.roles?.length ?? 0) > 0) {
      throw new RepositoryError(`${delegator} already delegates to named roles`);
    }
    const succinct = new SuccinctRoles({
      keyids: opts.keys.map((k) => k.keyid),
      threshold: opts.threshold,
      bitLength: opts.bitLength,
      namePrefix: opts.namePrefix,
    });
    signed.delegations = new Delegations({ keys: new Map(opts.keys.map((k) => [k.keyid, k])), succinctRoles: succinct });
    const names = [...succinct.getRoles()];
    for (const bin of names) this.createDelegatedMetadata(bin, opts.expires);
    return names;
  }

  /** Replaces, in the delegator, the keys and/or threshold of a delegated role (or of the succinct bins). */
  setDelegatedKeys(delegator: string, name: string, keys: Key[], threshold: number): void {
    const d = this.edit<Targets>(delegator).delegations;
    const role = d?.getRole(name);
    if (d === undefined || role === undefined) throw new RepositoryError(`${delegator} does not delegate to "${name}"`);
    const old = role.keyids;
    role.keyids = keys.map((k) => k.keyid);
    role.threshold = threshold;
    for (const k of keys) d.keys.set(k.keyid, k);
    // Drop keys nobody uses any more, so a revoked key leaves the metadata entirely.
    const stillUsed = new Set<string>([...(d.roles ?? []).flatMap((r) => r.keyids), ...(d.succinctRoles?.keyids ?? [])]);
    for (const id of old) if (!stillUsed.has(id)) d.keys.delete(id);
  }

  addTarget(role: string, target: TargetFile): void {
    this.edit<Targets>(role).targets.set(target.path, target);
  }

  removeTarget(role: string, path: string): void {
    const signed = this.targetsRole(role).signed;
    if (!signed.targets.has(path)) throw new RepositoryError(`${role} has no target ${path}`);
    this.edit<Targets>(role).targets.delete(path);
  }

  // ---- signing and verification ----

  /**
   * Signs a role with each signer (appending to existing signatures). A signer whose key the role's
   * delegator does not list is refused: its signature would count for nothing. For root, keys of the
   * trusted (previous) root are accepted too, which is how a rotation is cross-signed.
   */
  sign(name: string, signers: readonly Signer[]): void {
    const md = this.role(name);
    const allowed = new Set(this.parentOf(name).role.keyids);
    // A new root is cross-signed by the previous root's keys; during a rotation of a top-level role its
    // new metadata may also carry the previous root's key for it (so it verifies under both roots).
    if (isTopLevelRole(name) && this.trustedRoot !== undefined) {
      for (const id of this.trustedRoot.signed.getRole(name).keyids) allowed.add(id);
    }
    for (const s of signers) {
      if (!allowed.has(s.key.keyid)) {
        throw new KeyMismatchError(`key ${s.key.keyid} is not a key of role "${name}" (expected one of: ${[...allowed].join(', ') || 'none'})`);
      }
    }
    for (const s of signers) md.sign(s, true);
  }

  /** Signature count of a role against the keys/threshold its delegator lists. */
  verification(name: string): VerificationResult {
    const { role, keys } = this.parentOf(name);
    return getVerificationResult(keys, role, this.role(name));
  }

  /** For a new root version: the result against the previous (trusted) root's root role. */
  previousRootVerification(): VerificationResult | undefined {
    const prev = this.trustedRoot;
    if (prev === undefined || prev.signed.version === this.root.signed.version) return undefined;
    return prev.signed.getVerificationResult('root', this.root);
  }

  // ---- snapshot and timestamp ----

  /** Bytes of a role as they will be written (canonical JSON of the envelope). */
  bytesOf(name: string): Uint8Array {
    return this.role(name).toBytes();
  }

  /** Points snapshot at the current version of targets and of every delegated role; never drops an entry. */
  updateSnapshot(opts: MetaOptions = {}): void {
    const snap = this.edit<Snapshot>('snapshot');
    // Merkle profile (ADR 0021): the tree holds every role's version; the in-memory snapshot is only the epoch
    // number (its version), so a publish never walks or serializes the M roles (issue 21). The changed roles'
    // leaves are staged by updateTimestamp.
    if (this.snapshotProfile() === 'merkle') return;
    const meta = new Map<string, MetaFile>();
    for (const name of ['targets', ...this.delegated.keys()]) {
      // A role not loaded is unchanged since the snapshot listed it: its entry stays as it is.
      const listed = name === 'targets' || this.delegated.isLoaded(name) ? undefined : snap.meta.get(`${name}.json`);
      if (listed !== undefined) {
        meta.set(`${name}.json`, listed);
        continue;
      }
      const md = this.targetsRole(name);
      meta.set(`${name}.json`, opts.lengthAndHashes
        ? MetaFile.fromData(md.signed.version, md.toBytes(), opts.hashAlgorithms ?? ['sha256'])
        : new MetaFile(md.signed.version));
    }
    // TUF 5.5.5: a client refuses a snapshot that drops a targets file the trusted one listed. A role nobody
    // delegates to any more (retired by an unclaim, ADR 0026, or removed) keeps its last entry.
    for (const [file, listed] of snap.meta) if (!meta.has(file)) meta.set(file, listed);
    snap.meta = meta;
  }

  /** 'merkle' when root.json declares the Merkle snapshot profile (ADR 0021), else 'classic'. */
  snapshotProfile(): SnapshotProfile {
    return snapshotProfileOf(this.root.signed);
  }

  /**
   * Points timestamp at the current snapshot (with length and sha256 unless told otherwise). In the merkle
   * profile: the changed roles' leaves go into the tree, and the timestamp carries the tree's root and size
   * beside `snapshot.json: {version: epoch}` (no snapshot file exists to hash).
   */
  updateTimestamp(opts: MetaOptions = { lengthAndHashes: true }): void {
    const ts = this.edit<Timestamp>('timestamp');
    const v = this.snapshot.signed.version;
    if (this.snapshotProfile() === 'merkle') {
      if (this.merkle === undefined) throw new RepositoryError('merkle profile: the snapshot tree store is not open');
      const changed = [...this.changed].filter((n) => n === 'targets' || this.delegated.has(n))
        .map((name) => ({ name, version: this.role(name).signed.version, bytes: this.bytesOf(name) }));
      ts.unrecognized[MERKLE_TIMESTAMP_FIELD] = stageMerkleLeaves(this.merkle, changed, this.removed);
      ts.snapshotMeta = new MetaFile(v);
      return;
    }
    ts.snapshotMeta = opts.lengthAndHashes
      ? MetaFile.fromData(v, this.snapshot.toBytes(), opts.hashAlgorithms ?? ['sha256'])
      : new MetaFile(v);
  }

  /**
   * Checks what persist would write: every changed role reaches its threshold (root also the previous
   * root's), snapshot lists the current version of every targets role, timestamp the current
   * snapshot. Throws UnsignedMetadataError / RepositoryError (repository-consistency.ts).
   */
  checkConsistency(allowUnderThreshold: ReadonlySet<string> = new Set()): void {
    checkRepositoryConsistency(this, allowUnderThreshold);
  }

  /** Forgets every edit since the last persist/load (the npm profile calls this when an operation fails). */
  discardChanges(): void {
    for (const name of [...this.changed]) {
      const bytes = this.persisted.get(name);
      if (bytes === undefined) {
        if (isTopLevelRole(name)) throw new RepositoryError('cannot discard the changes of a repository that was never persisted');
        this.delegated.delete(name);
        continue;
      }
      switch (name) {
        case 'root': this.root = Metadata.root(bytes); break;
        case 'timestamp': this.timestamp = Metadata.timestamp(bytes); break;
        case 'snapshot': this.snapshot = Metadata.snapshot(bytes); break;
        case 'targets': this.targets = Metadata.targets(bytes); break;
        default: this.delegated.set(name, Metadata.targets(bytes));
      }
    }
    for (const name of this.removed) {
      const bytes = this.persisted.get(name);
      if (bytes !== undefined) this.delegated.set(name, Metadata.targets(bytes));
    }
    this.changed.clear();
    this.removed.clear();
  }
}

/** The first non-undefined result of `f` over `names` (stops there: later names are never loaded). */
function first<T>(names: Iterator<string>, f: (name: string) => T | undefined): T | undefined {
  for (let r = names.next(); r.done !== true; r = names.next()) {
    const out = f(r.value);
    if (out !== undefined) return out;
  }
  return undefined;
}
