import { readFileSync, statSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, MetadataParseError, encodeRoleName, isTopLevelRole, type Root, type Snapshot, type Timestamp } from '@tufpm/models';
import { RepositoryStateError } from './errors.js';
import { isErrno, readFileBounded } from './fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';
import { Repository } from './repository.js';
import { commitMerkleEpoch, committedRoleVersion, merkleRoleSource, merkleSnapshotStub, openMerkleStore, snapshotProfileOf } from './merkle-snapshot.js';
import { writeRoleBundles, type RoleBundleReport } from './role-bundles.js';

/** Bounds for reading our own metadata directory (it is operator data, but still parsed strictly). */
const MAX_ROOT_BYTES = 2 * 1024 * 1024;
const MAX_ROLE_BYTES = 64 * 1024 * 1024;

export interface PersistOptions {
  /** Roles that may be written below their signature threshold (a staged package role). */
  allowUnderThreshold?: Iterable<string>;
  /** Merkle profile: also write every role's proof file under merkle/<root>/ (static hosting, ADR 0021). */
  materializeProofs?: boolean;
  /**
   * Write the new root last instead of first. Only for a rotation of a top-level role whose new metadata
   * is signed by the old key as well as the new one: every state a reader (or a kill) can meet between
   * the writes then verifies, under root N before the root file lands and under root N+1 after it.
   * Written first, a reader between the root and the timestamp finds root N+1 and a timestamp its keys
   * did not sign.
   */
  rootLast?: boolean;
  /**
   * Write role bundles (ADR 0024) of this role's succinct hash bins with each new snapshot:
   * `<snapshot version>.bundle-<k>.json`, before the snapshot. Consistent snapshots and the classic profile
   * only; ignored otherwise, and when the role does not exist or delegates no bins.
   */
  roleBundlesOf?: string;
  /** Told what the bundles of this persist were (built, linked unchanged, skipped as too large). */
  onRoleBundles?: (report: RoleBundleReport) => void;
}

/** The file name a role is stored (and served) under. Root is always versioned (TUF 5.3.3). */
export function metadataFileName(name: string, version: number, consistentSnapshot: boolean): string {
  if (name === 'root') return `${version}.root.json`;
  if (name === 'timestamp') return 'timestamp.json';
  const encoded = encodeRoleName(name);
  return consistentSnapshot ? `${version}.${encoded}.json` : `${encoded}.json`;
}

async function readMetadataFile(dir: string, file: string, max: number): Promise<Uint8Array> {
  try {
    return await readFileBounded(join(dir, file), max);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new RepositoryStateError(`metadata file ${file} is missing in ${dir}`, { cause: err });
    throw err;
  }
}

function readMetadataFileSync(dir: string, file: string, max: number): Uint8Array {
  const path = join(dir, file);
  try {
    if (statSync(path).size > max) throw new RepositoryStateError(`${path} is larger than ${max} bytes`);
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new RepositoryStateError(`metadata file ${file} is missing in ${dir}`, { cause: err });
    throw err;
  }
}

/** The newest N.root.json of a metadata directory (its bytes, parsed): what decides the keys and the snapshot profile. */
export async function readNewestRoot(dir: string): Promise<{ root: Metadata<Root>; bytes: Uint8Array }> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new RepositoryStateError(`no metadata directory at ${dir} (run init first)`, { cause: err });
    throw err;
  }
  const rootVersions = entries
    .map((f) => /^([1-9][0-9]{0,15})\.root\.json$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const newest = rootVersions[rootVersions.length - 1];
  if (newest === undefined) throw new RepositoryStateError(`no N.root.json in ${dir} (run init first)`);
  const bytes = await readMetadataFile(dir, `${newest}.root.json`, MAX_ROOT_BYTES);
  const root = Metadata.root(bytes, MAX_ROOT_BYTES);
  if (root.signed.version !== newest) throw new RepositoryStateError(`${newest}.root.json holds root version ${root.signed.version}`);
  return { root, bytes };
}

/**
 * Loads a repository written by persistRepository: the newest N.root.json, timestamp.json, the
 * snapshot it points at, and targets; every delegated role at the version that snapshot lists is read
 * when first used (a missing or inconsistent file is refused then, with the same errors).
 */
export async function loadRepository(dir: string): Promise<Repository> {
  const { root, bytes: rootBytes } = await readNewestRoot(dir);
  const consistent = root.signed.consistentSnapshot;

  const tsBytes = await readMetadataFile(dir, 'timestamp.json', MAX_ROOT_BYTES);
  const timestamp = Metadata.timestamp(tsBytes, MAX_ROOT_BYTES);
  const snapVersion = timestamp.signed.snapshotMeta.version;
  // Merkle profile (ADR 0021): no snapshot file; the roles and versions come from the tree the timestamp names.
  if (snapshotProfileOf(root.signed) === 'merkle') return loadMerkleRepository(dir, root, rootBytes, timestamp, tsBytes);
  const snapBytes = await readMetadataFile(dir, metadataFileName('snapshot', snapVersion, consistent), MAX_ROLE_BYTES);
  const snapshot = Metadata.snapshot(snapBytes, MAX_ROLE_BYTES);
  if (snapshot.signed.version !== snapVersion) throw new RepositoryStateError(`snapshot file holds v${snapshot.signed.version}, timestamp says v${snapVersion}`);

  const listed = [...snapshot.signed.meta.entries()].map(([file, meta]) => {
    if (!file.endsWith('.json')) throw new MetadataParseError(`snapshot meta entry ${JSON.stringify(file)} does not end in .json`);
    const name = file.slice(0, -'.json'.length);
    if (name !== 'targets' && isTopLevelRole(name)) throw new MetadataParseError(`snapshot lists top-level role ${name}`);
    return { name, version: meta.version };
  });
  const targetsVersion = listed.find((r) => r.name === 'targets')?.version;
  if (targetsVersion === undefined) throw new RepositoryStateError('snapshot does not list targets.json');
  const versions = new Map(listed.map((r) => [r.name, r.version]));
  const repo = await assemble(dir, { root, rootBytes, timestamp, tsBytes, snapshot, snapBytes }, targetsVersion, (name) => versions.get(name)!);
  for (const { name } of listed) if (name !== 'targets') repo.delegated.listUnloaded(name);
  return repo;
}

/**
 * The Merkle profile's load: the in-memory snapshot is a stub (merkle-snapshot.ts), the delegated roles are
 * the committed tree's live leaves (looked up by name, never listed one by one) and each role's version comes
 * from the tree when the role is first read: no map of M names or versions is built and nothing of size M is
 * serialized or parsed. What stays O(M) is MerkleStore.open reading the store; a publish afterwards touches
 * only its own roles.
 */
async function loadMerkleRepository(dir: string, root: Metadata<Root>, rootBytes: Uint8Array, timestamp: Metadata<Timestamp>, tsBytes: Uint8Array): Promise<Repository> {
  const store = await openMerkleStore(dir, timestamp.signed);
  const snapshot = merkleSnapshotStub(timestamp.signed);
  const targetsVersion = committedRoleVersion(store, 'targets');
  if (targetsVersion === undefined) throw new RepositoryStateError('the snapshot tree does not hold targets.json');
  const repo = await assemble(dir, { root, rootBytes, timestamp, tsBytes, snapshot, snapBytes: snapshot.toBytes() }, targetsVersion, (name) => {
    const v = committedRoleVersion(store, name);
    if (v === undefined) throw new RepositoryStateError(`the snapshot tree does not hold role ${name}`);
    return v;
  });
  repo.delegated.listFrom(merkleRoleSource(store));
  repo.merkle = store;
  return repo;
}

interface TopLevelParts {
  root: Metadata<Root>;
  rootBytes: Uint8Array;
  timestamp: Metadata<Timestamp>;
  tsBytes: Uint8Array;
  snapshot: Metadata<Snapshot>;
  snapBytes: Uint8Array;
}

/** Reads targets at `targetsVersion` and builds the Repository whose delegated roles are read on first use at `versionOf(name)`. */
async function assemble(dir: string, p: TopLevelParts, targetsVersion: number, versionOf: (name: string) => number): Promise<Repository> {
  const consistent = p.root.signed.consistentSnapshot;
  const targetsBytes = await readMetadataFile(dir, metadataFileName('targets', targetsVersion, consistent), MAX_ROLE_BYTES);
  const targets = Metadata.targets(targetsBytes, MAX_ROLE_BYTES);
  if (targets.signed.version !== targetsVersion) throw new RepositoryStateError(`role targets file holds v${targets.signed.version}, snapshot says v${targetsVersion}`);
  // Delegated roles are read when first used (delegated-roles.ts): a registry touches a few of its bins.
  const repo: Repository = new Repository(p.root, p.timestamp, p.snapshot, targets, (name) => {
    const version = versionOf(name);
    const bytes = readMetadataFileSync(dir, metadataFileName(name, version, consistent), MAX_ROLE_BYTES);
    const md = Metadata.targets(bytes, MAX_ROLE_BYTES);
    if (md.signed.version !== version) throw new RepositoryStateError(`role ${name} file holds v${md.signed.version}, snapshot says v${version}`);
    repo.persisted.set(name, bytes);
    return md;
  });
  repo.persisted.set('targets', targetsBytes);
  repo.persisted.set('root', p.rootBytes);
  repo.persisted.set('timestamp', p.tsBytes);
  repo.persisted.set('snapshot', p.snapBytes);
  repo.trustedRoot = Metadata.root(p.rootBytes, MAX_ROOT_BYTES);
  return repo;
}

/** One file persistRepository would write. */
export interface PlannedFile {
  role: string;
  file: string;
  bytes: Uint8Array;
}

/**
 * The files a persist would write, in write order: root first (clients fetch N+1.root.json before
 * anything else), then delegated roles, targets, snapshot, and timestamp.json last, so a client
 * reading mid-write only ever finds a timestamp whose snapshot and roles are already in place.
 */
export function planPersist(repo: Repository, opts: PersistOptions = {}): PlannedFile[] {
  repo.checkConsistency(new Set(opts.allowUnderThreshold ?? []));
  const consistent = repo.root.signed.consistentSnapshot;
  // Merkle profile: the snapshot is never written (the timestamp signs the tree root).
  const merkle = repo.snapshotProfile() === 'merkle';
  const snapshot = merkle ? [] : ['snapshot'];
  // Merkle profile: only the changed roles are visited (not every listed name: issue 21); their order among
  // themselves does not matter, all are written before targets and the timestamp.
  const delegated = merkle ? [...repo.changed].filter((n) => repo.delegated.has(n)) : [...repo.delegated.keys()];
  const rest = [...delegated, 'targets', ...snapshot, 'timestamp'];
  const order = opts.rootLast === true ? [...rest, 'root'] : ['root', ...rest];
  const out: PlannedFile[] = [];
  for (const name of order) {
    if (!repo.changed.has(name)) continue;
    const md = repo.role(name);
    out.push({ role: name, file: metadataFileName(name, md.signed.version, consistent), bytes: md.toBytes() });
  }
  return out;
}

/** The snapshot version the persisted timestamp names (the files on disk), or undefined before the first persist. */
function persistedSnapshotVersion(repo: Repository): number | undefined {
  const bytes = repo.persisted.get('timestamp');
  return bytes === undefined ? undefined : Metadata.timestamp(bytes, MAX_ROOT_BYTES).signed.snapshotMeta.version;
}

/**
 * Writes every changed role (each file atomically), after checking signatures and snapshot/timestamp
 * consistency in memory: if the check fails nothing is written. Old versions are kept, because a
 * client in the middle of an update may still fetch them.
 */
export async function persistRepository(repo: Repository, dir: string, opts: PersistOptions = {}): Promise<PlannedFile[]> {
  const plan = planPersist(repo, opts);
  await mkdir(dir, { recursive: true });
  const changed = new Set(plan.map((f) => f.role));
  for (const f of plan) {
    // ADR 0024: the bundles a snapshot stands beside are in place before the snapshot is written
    if (f.role === 'snapshot' && opts.roleBundlesOf !== undefined && repo.root.signed.consistentSnapshot) {
      const report = await writeRoleBundles({
        repo, dir, delegator: opts.roleBundlesOf, changed, maxRoleBytes: MAX_ROLE_BYTES,
        snapshotVersion: repo.snapshot.signed.version,
        previousSnapshotVersion: persistedSnapshotVersion(repo),
        fileOf: (name, version) => metadataFileName(name, version, true),
      });
      opts.onRoleBundles?.(report);
    }
    // Merkle profile: the tree epoch (store + merkle/<root>/delta.json) is durable before the timestamp names it.
    if (f.role === 'timestamp' && repo.merkle !== undefined) await commitMerkleEpoch(repo.merkle, dir, opts.materializeProofs === true);
    await writeFileAtomic(join(dir, f.file), f.bytes, { mode: 0o644 });
  }
  for (const f of plan) repo.persisted.set(f.role, f.bytes);
  if (repo.merkle !== undefined && repo.changed.has('snapshot')) repo.persisted.set('snapshot', repo.snapshot.toBytes());
  for (const name of repo.removed) repo.persisted.delete(name);
  repo.removed.clear();
  repo.changed.clear();
  repo.trustedRoot = Metadata.root(repo.persisted.get('root')!);
  return plan;
}
