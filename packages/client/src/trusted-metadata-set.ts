// TrustedMetadataSet: the pure half of the client (TUF 5.2-5.6). Bytes in, verified objects out, no I/O,
// no clock reads (the reference time is fixed at construction), load order enforced:
// root (any number of updates) -> timestamp -> snapshot -> targets -> delegated targets.
// Delegated roles are stored per delegation path (['targets', 'unclaimed', 'unclaimed-3a']): a role is only
// ever trusted as "verified by the delegator at the end of this path", never globally by name.
// Every update parses with Metadata.parse and verifies the canonical signed bytes it returns right away,
// before anything could change the parsed object (no re-serialisation when the file is canonical already).
import { createHash } from 'node:crypto';
import {
  ExpiredMetadataError,
  Metadata,
  MAX_SNAPSHOT_ENTRIES,
  MetadataParseError,
  type Key,
  type Role,
  RepositoryError,
  RollbackError,
  UnsignedMetadataError,
  VersionMismatchError,
  type Root,
  type Signed,
  Snapshot,
  type Targets,
  type Timestamp,
  TufError,
  type VerificationResult,
} from '@tufpm/models';
import { LoadOrderError } from './errors.js';
import { ClassicSnapshotView, LazySnapshotView, type SnapshotView } from './snapshot-view.js';
import { MerkleForkError, MerkleProfileError, MerkleRollbackError } from './merkle-errors.js';
import { snapshotProfile, treeHead, type MerkleTreeHead, type SnapshotProfile } from './merkle-profile.js';
import { MerkleSnapshotView } from './merkle-view.js';
import { splitCanonicalEnvelope } from './canonical-envelope.js';

const TOP_LEVEL = new Set(['root', 'timestamp', 'snapshot', 'targets']);

/** Key of a delegation path; JSON keeps it unambiguous whatever characters role names contain. */
export function pathKey(path: readonly string[]): string {
  return JSON.stringify(path);
}

function requireVerified(result: VerificationResult | undefined, what: string): void {
  // models throws when the threshold is not met; this guards against a result object reporting failure
  if (result !== undefined && result.verified === false) {
    throw new UnsignedMetadataError(`${what}: signature threshold not reached`);
  }
}

/**
 * Bytes this machine already parsed strictly and verified (ADR 0008): no duplicate keys, unsafe integers or
 * other ambiguity can be in them, so the native parser reads them exactly as the strict one did.
 */
function parseRecorded(bytes: Uint8Array): Metadata<Targets> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw new MetadataParseError('a cached role recorded as verified is not JSON', { cause: err });
  }
  return Metadata.fromJSON(value, 'targets');
}

/** See TrustedMetadataSet.delegationDigest: what the signature check of `roleName` by `delegator` depends on. */
function computeDelegationDigest(roleName: string, delegator: Metadata<Root> | Metadata<Targets>): string {
  let role: Role | undefined;
  let keys: ReadonlyMap<string, Key>;
  if (delegator.signed.type === 'root') {
    const root = delegator.signed as Root;
    role = root.roles.get('targets');
    keys = root.keys;
  } else {
    const delegations = (delegator.signed as Targets).delegations;
    role = delegations?.getRole(roleName);
    keys = delegations?.keys ?? new Map();
  }
  if (role === undefined) throw new RepositoryError(`no delegation to role "${roleName}"`);
  // JSON.stringify of arrays (and of each key's keyval, as parsed) is unambiguous and stable for this code;
  // a digest written by another version only costs one signature check.
  const keyList = role.keyids.map((keyid) => {
    const key = keys.get(keyid);
    return key === undefined ? [keyid] : [keyid, key.keytype, key.scheme, key.keyval];
  });
  return createHash('sha256').update(JSON.stringify([roleName, role.threshold, keyList])).digest('hex');
}

export class TrustedMetadataSet {
  readonly referenceTime: Date;
  #root: Metadata<Root>;
  #timestamp: Metadata<Timestamp> | undefined;
  #snapshot: Metadata<Snapshot> | undefined;
  #snapshotView: SnapshotView | undefined;
  /** TAP 16 (ADR 0022): the snapshot profile the trusted root declares; the timestamp never changes it */
  #profile: SnapshotProfile;
  /** Merkle profile: the tree head of the trusted timestamp */
  #head: MerkleTreeHead | undefined;
  /** the trusted snapshot was adopted from the cache: its `meta` is decoded per role by the view only */
  #snapshotAdopted = false;
  readonly #roles = new Map<string, Metadata<Targets>>();
  /** trusted delegator -> role name -> delegationDigest */
  readonly #delegationDigests = new WeakMap<Metadata<Root> | Metadata<Targets>, Map<string, string>>();

  /**
   * TUF 5.2: load the trusted root. It is trusted because the user installed it, but must still be a
   * well-formed root signed by its own threshold. Its expiry is checked after the update loop (5.3.10).
   */
  constructor(rootBytes: Uint8Array, referenceTime: Date) {
    this.referenceTime = referenceTime;
    // signedBytes: the canonical bytes of root.signed, parsed from rootBytes just now
    const { metadata: root, signedBytes } = Metadata.parse(rootBytes, 'root');
    requireVerified(root.signed.verifyDelegate('root', root, signedBytes), 'trusted root');
    this.#root = root;
    this.#profile = snapshotProfile(root.signed);
  }

  /** TAP 16: 'merkle' when the trusted root declares the Merkle snapshot profile (ADR 0022) */
  get profile(): SnapshotProfile {
    return this.#profile;
  }
  /** Merkle profile: the tree root and size the trusted timestamp signs, and its epoch */
  get merkleHead(): MerkleTreeHead | undefined {
    return this.#head;
  }

  get root(): Metadata<Root> {
    return this.#root;
  }
  get timestamp(): Metadata<Timestamp> | undefined {
    return this.#timestamp;
  }
  get snapshot(): Metadata<Snapshot> | undefined {
    return this.#snapshot;
  }
  get snapshotView(): SnapshotView | undefined {
    return this.#snapshotView;
  }
  get targets(): Metadata<Targets> | undefined {
    return this.#roles.get(pathKey(['targets']));
  }
  /** the role verified at the end of `path` (['targets', ...delegated names]) in this set, if any */
  getRole(path: readonly string[]): Metadata<Targets> | undefined {
    return this.#roles.get(pathKey(path));
  }

  /** TUF 5.3.4-5.3.9: accept root N+1, signed by the trusted root's threshold and by its own. */
  updateRoot(bytes: Uint8Array): Metadata<Root> {
    // TUF 5.3: the root may not change once timestamp has been loaded in this refresh
    if (this.#timestamp !== undefined) throw new LoadOrderError('cannot update root after timestamp');
    const { metadata: newRoot, signedBytes } = Metadata.parse(bytes, 'root');
    // TUF 5.3.4: signed by a threshold of the keys of the trusted root's root role (old keys)
    requireVerified(this.#root.signed.verifyDelegate('root', newRoot, signedBytes), `root v${newRoot.signed.version} (old threshold)`);
    // TUF 5.3.5: the version is exactly trusted + 1 (no skipping, no rollback)
    const expected = this.#root.signed.version + 1;
    if (newRoot.signed.version !== expected) {
      throw new VersionMismatchError(`root version ${newRoot.signed.version}, expected ${expected}`);
    }
    // TUF 5.3.4: signed by a threshold of its own root role (new keys)
    requireVerified(newRoot.signed.verifyDelegate('root', newRoot, signedBytes), `root v${newRoot.signed.version} (new threshold)`);
    // TAP 16: a root (offline keys) is the only thing that may switch the snapshot profile
    const profile = snapshotProfile(newRoot.signed);
    // TUF 5.3.7: the new root becomes trusted (TUF 5.3.6: an intermediate root may be expired; 5.3.10 checks the final one)
    this.#root = newRoot;
    this.#profile = profile;
    return newRoot;
  }

  /**
   * TUF 5.4: accept a timestamp. Returns updated=false when its version equals the trusted one (the trusted
   * one is kept). An expired timestamp is stored before ExpiredMetadataError is thrown, so that a cached
   * expired timestamp still serves as the rollback reference for the next one.
   */
  updateTimestamp(bytes: Uint8Array): { metadata: Metadata<Timestamp>; updated: boolean } {
    if (this.#snapshotView !== undefined) throw new LoadOrderError('cannot update timestamp after snapshot');
    // TUF 5.3.10: the final root must not be expired (root is final once timestamp loads)
    if (this.#root.signed.isExpired(this.referenceTime)) {
      throw new ExpiredMetadataError(`root v${this.#root.signed.version} expired at ${this.#root.signed.expires.toISOString()}`);
    }
    const { metadata: ts, signedBytes } = Metadata.parse(bytes, 'timestamp');
    // TUF 5.4.2: signed by a threshold of the timestamp keys of the trusted root
    requireVerified(this.#root.signed.verifyDelegate('timestamp', ts, signedBytes), 'timestamp');
    // TAP 16: the tree head is required in the Merkle profile and refused in the classic one
    const head = treeHead(ts.signed, this.#profile);
    const trusted = this.#timestamp;
    if (trusted !== undefined) {
      // TUF 5.4.3.1: rollback of the timestamp version
      if (ts.signed.version < trusted.signed.version) {
        throw new RollbackError(`timestamp version ${ts.signed.version} < trusted ${trusted.signed.version}`);
      }
      if (ts.signed.version === trusted.signed.version) {
        this.#checkFinalTimestamp();
        return { metadata: trusted, updated: false };
      }
      // TUF 5.4.3.2: rollback of the snapshot version it points to
      if (ts.signed.snapshotMeta.version < trusted.signed.snapshotMeta.version) {
        throw new RollbackError(
          `timestamp lists snapshot version ${ts.signed.snapshotMeta.version} < trusted ${trusted.signed.snapshotMeta.version}`,
        );
      }
      const before = this.#head;
      if (head !== undefined && before !== undefined) {
        // TAP 16: one epoch, one tree (publishes in an epoch share one root): two roots for one epoch is a fork
        if (head.epoch === before.epoch && (head.root !== before.root || head.size !== before.size)) {
          throw new MerkleForkError(`timestamp v${ts.signed.version} signs tree ${head.root} (size ${head.size}) for snapshot epoch ${head.epoch}, trusted timestamp signed ${before.root} (size ${before.size})`);
        }
        // TAP 16 (TUF 5.5.5's "no role disappears" for the tree): leaves are never removed, so the size never drops
        if (head.size < before.size) {
          throw new MerkleRollbackError(`timestamp v${ts.signed.version} signs a tree of ${head.size} leaves, fewer than the ${before.size} of the trusted one`);
        }
      }
    }
    this.#timestamp = ts;
    this.#head = head;
    this.#checkFinalTimestamp();
    return { metadata: ts, updated: true };
  }

  #checkFinalTimestamp(): void {
    const ts = this.#timestamp!;
    // TUF 5.4.4: freeze attack on timestamp
    if (ts.signed.isExpired(this.referenceTime)) {
      throw new ExpiredMetadataError(`timestamp v${ts.signed.version} expired at ${ts.signed.expires.toISOString()}`);
    }
  }

  /**
   * TUF 5.5: accept a snapshot. `fromCache` = bytes this client verified and stored before; their hashes
   * are not checked against the current timestamp (it may point to a newer snapshot) but the signatures
   * are, and such a snapshot is kept as rollback reference even when it is not the final one.
   */
  updateSnapshot(bytes: Uint8Array, fromCache = false): Metadata<Snapshot> {
    if (this.#timestamp === undefined) throw new LoadOrderError('cannot update snapshot before timestamp');
    // TAP 16: the Merkle profile has no snapshot.json; the tree root in the timestamp takes its place
    if (this.#profile === 'merkle') throw new MerkleProfileError('the trusted root declares the Merkle snapshot profile: there is no snapshot.json to load');
    if (this.targets !== undefined) throw new LoadOrderError('cannot update snapshot after targets');
    // an adopted snapshot is the one the timestamp names: nothing can follow it in this refresh
    if (this.#snapshotAdopted) throw new LoadOrderError('cannot update snapshot after adopting the cached one');
    this.#checkFinalTimestamp();
    const meta = this.#timestamp.signed.snapshotMeta;
    // TUF 5.5.2: length and hashes from the timestamp, when it lists them (mix-and-match, endless data)
    if (!fromCache) meta.verifyLengthAndHashes(bytes);
    const { metadata: snap, signedBytes } = Metadata.parse(bytes, 'snapshot');
    // TUF 5.5.3: signed by a threshold of the snapshot keys of the trusted root
    requireVerified(this.#root.signed.verifyDelegate('snapshot', snap, signedBytes), 'snapshot');
    const trusted = this.#snapshot;
    if (trusted !== undefined) {
      // TUF 5.5.5: no targets role may disappear or go back in version
      for (const [name, old] of trusted.signed.meta) {
        const next = snap.signed.meta.get(name);
        if (next === undefined) throw new RollbackError(`snapshot v${snap.signed.version} drops ${name}`);
        if (next.version < old.version) {
          throw new RollbackError(`snapshot lists ${name} version ${next.version} < trusted ${old.version}`);
        }
      }
    }
    this.#snapshot = snap;
    this.#snapshotView = new ClassicSnapshotView(snap.signed);
    this.#checkFinalSnapshot();
    return snap;
  }

  /**
   * TUF 5.5 for the cached copy of exactly the snapshot the trusted timestamp names (an unchanged repository
   * state: the common install). Returns false, changing nothing, unless every check passes on the bytes:
   * the timestamp lists hashes and the bytes have that length and those hashes (TUF 5.5.2, so an
   * attacker who can write the cache cannot substitute them), the file is canonical JSON and a threshold
   * of the root's snapshot keys signed its `signed` bytes as stored (TUF 5.5.3), `signed` is a snapshot of
   * the version the timestamp lists, unexpired (TUF 5.5.4, 5.5.6). The caller then takes the full path
   * (updateSnapshot). What adoption skips is the strict parse and the decoding of every entry: `signed` is
   * decoded natively from the verified bytes and each role's entry strictly when a lookup asks for it
   * (LazySnapshotView). The adopted Metadata<Snapshot> has an empty `meta`: read entries through snapshotView.
   */
  adoptCachedSnapshot(bytes: Uint8Array): boolean {
    if (this.#timestamp === undefined) throw new LoadOrderError('cannot adopt a snapshot before timestamp');
    if (this.#profile === 'merkle') return false;
    if (this.#snapshot !== undefined || this.targets !== undefined) throw new LoadOrderError('cannot adopt a snapshot after snapshot or targets');
    this.#checkFinalTimestamp();
    const expected = this.#timestamp.signed.snapshotMeta;
    if (expected.hashes === undefined || Object.keys(expected.hashes).length === 0 || expected.length === undefined) return false;
    try {
      expected.verifyLengthAndHashes(bytes);
    } catch (err) {
      if (err instanceof TufError && ['TUF_LENGTH', 'TUF_HASH', 'TUF_UNSUPPORTED_ALGORITHM'].includes(err.code)) return false;
      throw err;
    }
    const envelope = splitCanonicalEnvelope(bytes);
    if (envelope === undefined) return false;
    const signedBytes = envelope.signedBytes;
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(signedBytes.buffer, signedBytes.byteOffset, signedBytes.byteLength).toString('utf8'));
    } catch (err) {
      if (err instanceof SyntaxError) return false;
      throw err;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
    const fields = raw as Record<string, unknown>;
    const entries = fields['meta'];
    if (fields['_type'] !== 'snapshot' || typeof entries !== 'object' || entries === null || Array.isArray(entries)) return false;
    if (Object.keys(entries).length > MAX_SNAPSHOT_ENTRIES) return false;
    let snap: Snapshot;
    try {
      snap = Snapshot.fromJSON({ ...fields, meta: {} });
    } catch (err) {
      if (err instanceof MetadataParseError) return false;
      throw err;
    }
    const md = new Metadata(snap, envelope.signatures);
    // TUF 5.5.3: a threshold of the trusted root's snapshot keys signed these bytes
    if (!this.#root.signed.getVerificationResult('snapshot', md, signedBytes).verified) return false;
    // TUF 5.5.4 / 5.5.6: the version the timestamp announced, not expired (else the full path reports it)
    if (snap.version !== expected.version || snap.isExpired(this.referenceTime)) return false;
    this.#snapshot = md;
    this.#snapshotView = new LazySnapshotView(snap.version, entries as Record<string, unknown>);
    this.#snapshotAdopted = true;
    return true;
  }

  /**
   * TAP 16 in place of TUF 5.5: pin the tree root the trusted timestamp signs as the ONE root every targets
   * role of this session is proven against (mix-and-match: no role may come from another tree).
   */
  loadMerkleTree(): MerkleSnapshotView {
    if (this.#timestamp === undefined || this.#head === undefined) throw new LoadOrderError('cannot load the Merkle tree before a Merkle-profile timestamp');
    if (this.#snapshotView !== undefined) throw new LoadOrderError('the Merkle tree of this session is already loaded');
    this.#checkFinalTimestamp();
    const view = new MerkleSnapshotView(this.#head);
    this.#snapshotView = view;
    return view;
  }

  /** TAP 16: verify role `roleName`'s proof against the pinned root (see MerkleSnapshotView.prove). */
  proveRole(roleName: string, proofBytes: Uint8Array): void {
    const view = this.#snapshotView;
    if (!(view instanceof MerkleSnapshotView)) throw new LoadOrderError('no Merkle tree loaded in this session');
    view.prove(roleName, proofBytes);
  }

  /** Merkle profile: whether role `roleName` already has a verified proof in this session */
  hasProof(roleName: string): boolean {
    const view = this.#snapshotView;
    return view instanceof MerkleSnapshotView && view.has(roleName);
  }

  #checkFinalSnapshot(): void {
    if (this.#profile === 'merkle') {
      // TAP 16: the tree's freshness is the timestamp's (TUF 5.4.4); there is no snapshot file to expire
      this.#checkFinalTimestamp();
      return;
    }
    const snap = this.#snapshot!;
    // TUF 5.5.4: the version the timestamp announced (mix-and-match)
    const expected = this.#timestamp!.signed.snapshotMeta.version;
    if (snap.signed.version !== expected) {
      throw new VersionMismatchError(`snapshot version ${snap.signed.version}, timestamp expects ${expected}`);
    }
    // TUF 5.5.6: freeze attack on snapshot
    if (snap.signed.isExpired(this.referenceTime)) {
      throw new ExpiredMetadataError(`snapshot v${snap.signed.version} expired at ${snap.signed.expires.toISOString()}`);
    }
  }

  /** TUF 5.6: top-level targets. */
  updateTargets(bytes: Uint8Array): Metadata<Targets> {
    return this.updateDelegatedTargets(bytes, 'targets', []);
  }

  /**
   * The digest (hex sha256) of what the signature check of `roleName` at `delegatorPath` depends on: the
   * role name, the delegation's threshold and the public key of each of its keyids, in order. Equal digests
   * mean the same bytes would pass or fail TUF 5.6.3 the same way.
   */
  delegationDigest(roleName: string, delegatorPath: readonly string[]): string {
    const delegator = delegatorPath.length === 0 ? this.#root : this.#roles.get(pathKey(delegatorPath));
    if (delegator === undefined) throw new LoadOrderError(`delegator ${delegatorPath.join(' -> ')} is not trusted yet`);
    // Once per delegator object and role: checking a packed role and recording it both ask. Keyed by the
    // trusted delegator itself, so a delegator replaced in this set never answers with its old delegations.
    let byRole = this.#delegationDigests.get(delegator);
    if (byRole === undefined) {
      byRole = new Map();
      this.#delegationDigests.set(delegator, byRole);
    }
    let digest = byRole.get(roleName);
    if (digest === undefined) {
      digest = computeDelegationDigest(roleName, delegator);
      byRole.set(roleName, digest);
    }
    return digest;
  }

  /**
   * TUF 5.6 / 5.7.x: accept role `roleName` as delegated by the role verified at `delegatorPath`
   * (empty path = the root delegating top-level targets). The same bytes reached through another path
   * are verified again against that path's delegator: trust is per delegation, not per role name.
   */
  updateDelegatedTargets(
    bytes: Uint8Array,
    roleName: string,
    delegatorPath: readonly string[],
    options: { verifiedUnder?: string | undefined; cached?: boolean } = {},
  ): Metadata<Targets> {
    if (this.#snapshotView === undefined || (this.#snapshot === undefined && this.#profile !== 'merkle')) {
      throw new LoadOrderError('cannot update targets before snapshot');
    }
    this.#checkFinalSnapshot();
    let verify: (md: Metadata<Signed>, signedBytes: Uint8Array) => VerificationResult;
    if (delegatorPath.length === 0) {
      if (roleName !== 'targets') throw new LoadOrderError(`only targets is delegated by root, not ${roleName}`);
      const root = this.#root.signed;
      verify = (md, signedBytes) => root.verifyDelegate('targets', md, signedBytes);
    } else {
      // a delegated role named like a top-level role would overwrite that role's cache file
      if (TOP_LEVEL.has(roleName)) throw new RepositoryError(`delegated role may not be named ${roleName}`);
      const delegator = this.#roles.get(pathKey(delegatorPath));
      if (delegator === undefined) throw new LoadOrderError(`delegator ${delegatorPath.join(' -> ')} is not trusted yet`);
      verify = (md, signedBytes) => delegator.signed.verifyDelegate(roleName, md, signedBytes);
    }
    // TUF 5.6.1: the snapshot must list the role (5.6.1 / 5.6.2: its length and hashes, when given)
    const meta = this.#snapshotView.metaFor(roleName);
    if (meta === undefined) throw new RepositoryError(`snapshot v${this.#snapshotView.version} does not list ${roleName}`);
    // A cached role in the Merkle profile is checked for rollback (below) before its digest: a copy newer
    // than the proven leaf differs from the leaf's length and hashes, and must be reported as the rollback.
    const digestAfterRollbackCheck = this.#profile === 'merkle' && options.cached === true;
    if (!digestAfterRollbackCheck) meta.verifyLengthAndHashes(bytes);
    // `verifiedUnder` is the caller's record that these exact bytes already passed the strict parse and the
    // signature check on this machine under a delegation with this digest (ADR 0008); any change of keys,
    // keyids or threshold changes the digest, and the bytes are checked again.
    const recorded = options.verifiedUnder !== undefined && options.verifiedUnder === this.delegationDigest(roleName, delegatorPath);
    let md: Metadata<Targets>;
    if (recorded) {
      md = parseRecorded(bytes);
    } else {
      const parsed = Metadata.parse(bytes, 'targets');
      md = parsed.metadata;
      // TUF 5.6.3: signed by a threshold of the delegator's keys for this role (distinct keys, counted by models)
      requireVerified(verify(md, parsed.signedBytes), `${roleName} (delegated by ${delegatorPath.at(-1) ?? 'root'})`);
    }
    // TAP 16 (TUF 5.5.5 for one role): a proven version below the one this client holds verified is a
    // rollback of that role in a new tree, not a stale cache entry to replace
    if (this.#profile === 'merkle' && options.cached === true && md.signed.version > meta.version) {
      throw new MerkleRollbackError(`tree ${this.#head!.root} proves ${roleName} at version ${meta.version}, below version ${md.signed.version} this client verified before`, roleName);
    }
    // TUF 5.6.2: length and hashes from the proven leaf
    if (digestAfterRollbackCheck) meta.verifyLengthAndHashes(bytes);
    // TUF 5.6.4: exactly the version the snapshot lists (rollback and mix-and-match)
    if (md.signed.version !== meta.version) {
      throw new VersionMismatchError(`${roleName} version ${md.signed.version}, snapshot lists ${meta.version}`);
    }
    // TUF 5.6.5: freeze attack
    if (md.signed.isExpired(this.referenceTime)) {
      throw new ExpiredMetadataError(`${roleName} v${md.signed.version} expired at ${md.signed.expires.toISOString()}`);
    }
    this.#roles.set(pathKey([...delegatorPath, roleName]), md);
    return md;
  }
}
