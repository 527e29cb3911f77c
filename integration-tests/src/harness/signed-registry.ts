// The shared signed test registry: a generated package universe, signed as an npm-profile TUF repository
// with the committed TEST keys (fixtures/keys), served by @tufpm/registry on 127.0.0.1 with TUF signing
// on `npm publish`, plus attack helpers (attacks.ts) that tamper with what it serves.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Expiries, NpmRepository } from '@tufpm/repo';
import { createPublishSigner } from '@tufpm/repo';
import {
  addPackageVersion,
  startRegistry,
  targetPathFor,
  type PublishHook,
  type RequestCounts,
  type Universe,
} from '@tufpm/registry';
import type * as Build from '../../../fixtures/lib/build.mjs';
import type { Claim, ClaimSpec, FixtureSummary, TestKeys } from '../../../fixtures/lib/build.mjs';
import {
  extraneousDependency,
  nextVersion,
  poisonTarballOnly,
  publishTime,
  publishUnsigned,
  refreshRole,
  releaseTarball,
  roleOf,
  signWithWrongKey,
  tamperTarball,
  type AttackContext,
  type AttackResult,
  type Interceptor,
  type Release,
} from './attacks.js';
import { compromiseAndRevoke, compromiseOnlineKeys, forgeRootRotation, rollbackTargetsPastClaim, substituteWithOnlineKeys } from './attacks-keys.js';
import { fastForwardTimestamp, freezeTimestamp, mixAndMatch, overLengthMetadata, recoverFromFastForward, rollbackRole } from './attacks-repository.js';
import { captureDir, restoreDir, type SavedState } from './attacks-metadata.js';

export interface SignedRegistryOptions {
  /** Packages in the generated universe (default 30). */
  packages?: number;
  seed?: number | string;
  /** Direct dependencies of the root project (default 10). */
  roots?: number;
  /** Claimed packages: 'default' (4 of the closure, see docs/fixtures.md), names, or full specs. */
  claimed?: 'default' | Array<string | ClaimSpec>;
  /** Signing clock (default: the real time at creation). Expiry dates are computed from it. */
  now?: Date;
  /** Seconds per role kind; default the repository defaults (timestamp 1 day, snapshot 7 days, ...). */
  expiries?: Partial<Expiries>;
  /** Unclaimed hash bins = 2^bitLength (default 5 below 200 packages, else 8). */
  bitLength?: number;
  /**
   * 'merkle': the Merkle snapshot profile (ADR 0021): root.json declares it, no snapshot.json, the timestamp
   * carries the tree head, proofs are served under /-/tuf/metadata/merkle/<root>/. Default 'classic'.
   */
  snapshot?: 'classic' | 'merkle';
  /** One line per HTTP request. */
  log?: (line: string) => void;
}

export interface SignedRegistry {
  /** Registry URL with a trailing slash: `http://127.0.0.1:<port>/`. */
  url: string;
  /** TUF metadata URL: `${url}-/tuf/metadata/`. */
  metadataUrl: string;
  /** Temp directory holding everything (removed by close()). */
  root: string;
  /** Registry directory (packuments/, packages/, tuf/metadata/). */
  dir: string;
  /** Repository keys directory (offline/, online/, repo.json) plus maintainers/<name>.pem. */
  keysDir: string;
  metadataDir: string;
  /** Bytes of 1.root.json: what a project commits as tufpm-root.json. */
  rootBytes: Uint8Array;
  universe: Universe;
  claims: Claim[];
  /** TEST keys: registry roles, maintainers alice/bob/carol, attacker mallory. */
  keys: TestKeys;
  fixture: FixtureSummary;
  repo: NpmRepository;
  /** Writes `<projectDir>/tufpm-root.json`; returns its path. */
  writeTrustedRoot(projectDir: string): Promise<string>;
  counts(): RequestCounts;
  resetCounts(): void;
  /** Stops the server and removes the temp directory. */
  close(): Promise<void>;

  /** A legitimate release (maintainers sign claimed packages; the publish signer signs the rest). */
  publish(name: string, version?: string): Promise<Release>;
  /** A legitimate new version of the role covering name@version (expiry refreshed, same targets). */
  refreshRole(name: string, version?: string): Promise<{ role: string; version: number }>;
  /** The role that signs name@version (its own role when claimed, else its unclaimed bin). */
  roleOf(name: string, version: string): string;
  /** Answer some requests yourself (malicious mirror); returns a remover. Checked in the order added. */
  addIntercept(fn: Interceptor): () => void;
  clearIntercepts(): void;

  // attack helpers: see attacks.ts and docs/fixtures.md
  tamperTarball(name: string, version: string, opts?: { sameLength?: boolean }): Promise<AttackResult>;
  poisonTarballOnly(name: string, version: string): Promise<AttackResult>;
  signWithWrongKey(name: string, version: string, opts?: { inPlace?: boolean }): Promise<AttackResult>;
  publishUnsigned(name: string, newVersion?: string): Promise<AttackResult>;
  /** Captures the whole tuf/metadata dir (for a later rollback with restoreState). */
  snapshotState(): Promise<SavedState>;
  /** Puts a captured tuf/metadata dir back exactly (rollback of timestamp, snapshot and every role). */
  restoreState(saved: SavedState): Promise<AttackResult>;
  freezeTimestamp(opts?: { expires?: Date }): Promise<AttackResult>;
  mixAndMatch(name: string): Promise<AttackResult>;
  overLengthMetadata(role: 'timestamp' | 'snapshot' | 'targets', opts?: { bytes?: number }): Promise<AttackResult>;
  compromiseAndRevoke(name: string, opts?: { maintainer?: string; allKeys?: boolean }): ReturnType<typeof compromiseAndRevoke>;
  compromiseOnlineKeys(name: string): ReturnType<typeof compromiseOnlineKeys>;
  fastForwardTimestamp(opts?: { by?: number }): ReturnType<typeof fastForwardTimestamp>;
  /** Operator recovery: restore the genuine metadata and rotate the timestamp key (root N+1). */
  recoverFromFastForward(genuine: SavedState): Promise<{ root: number; timestamp: number }>;
  extraneousDependency(name: string, version: string, dep: string, range: string): Promise<AttackResult>;
  rollbackRole(name: string, version?: string): ReturnType<typeof rollbackRole>;
  forgeRootRotation(): ReturnType<typeof forgeRootRotation>;
  rollbackTargetsPastClaim(name: string): ReturnType<typeof rollbackTargetsPastClaim>;
  substituteWithOnlineKeys(name: string, version: string): ReturnType<typeof substituteWithOnlineKeys>;
}

/** The monorepo root: the nearest ancestor holding fixtures/lib/build.mjs. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'fixtures', 'lib', 'build.mjs'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the tufpm repository root (fixtures/lib/build.mjs) above the harness');
    dir = up;
  }
}

async function loadBuilder(): Promise<typeof Build> {
  return (await import(pathToFileURL(join(repoRoot(), 'fixtures', 'lib', 'build.mjs')).href)) as typeof Build;
}

/** Builds a fresh signed registry in a temp dir and serves it on 127.0.0.1 (random port). */
export async function createSignedRegistry(opts: SignedRegistryOptions = {}): Promise<SignedRegistry> {
  const builder = await loadBuilder();
  const root = await mkdtemp(join(tmpdir(), 'tufpm-signed-registry-'));
  const now = opts.now ?? new Date();
  let built: Build.BuiltRegistry;
  try {
    built = await builder.buildSignedRegistry({
      out: root,
      packages: opts.packages ?? 30,
      seed: opts.seed ?? 1,
      ...(opts.roots === undefined ? {} : { roots: opts.roots }),
      claimed: opts.claimed ?? 'default',
      now,
      expiries: opts.expiries ?? {},
      ...(opts.bitLength === undefined ? {} : { bitLength: opts.bitLength }),
      ...(opts.snapshot === undefined ? {} : { snapshot: opts.snapshot }),
    });
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  const { dir, keysDir, metadataDir, repo, keys, claims, universe, fixture } = built;
  const rootBytes = new Uint8Array(await readFile(join(metadataDir, fixture.rootFile)));

  // npm publish through the registry: signed into an unclaimed bin with the online key; claimed refused.
  const signer = createPublishSigner({ dir: metadataDir, keysDir });
  const tufHook: PublishHook = { beforeAccept: (e) => signer(e.tarball, e.manifest) };
  const intercepts: Interceptor[] = [];
  const server = await startRegistry({
    dir,
    port: 0,
    host: '127.0.0.1',
    hooks: tufHook,
    ...(opts.log ? { log: opts.log } : {}),
    intercept: async (req, res, route) => {
      for (const fn of [...intercepts]) if (await fn(req, res, route)) return true;
      return false;
    },
  });
  const url = `${server.url}/`;

  const addIntercept = (fn: Interceptor): (() => void) => {
    intercepts.push(fn);
    return () => {
      const i = intercepts.indexOf(fn);
      if (i >= 0) intercepts.splice(i, 1);
    };
  };

  const publish = async (name: string, version?: string): Promise<Release> => {
    const v = version ?? (await nextVersion(dir, name));
    const tarball = await releaseTarball(dir, name, v);
    const claim = claims.find((c) => c.name === name);
    if (claim) {
      await repo.publishTarball(tarball, { signers: claim.maintainers.map((m) => keys[m].signer) });
      await addPackageVersion(dir, tarball, { time: publishTime(ctx), durable: false });
    } else {
      await addPackageVersion(dir, tarball, { time: publishTime(ctx), durable: false, hooks: tufHook });
    }
    return { name, version: v, targetPath: targetPathFor(name, v), role: roleOf(repo, name, v) };
  };

  const ctx: AttackContext = { dir, metadataDir, keys, claims, repo, now: () => now, addIntercept, publish };
  let closed = false;

  return {
    url,
    metadataUrl: `${url}-/tuf/metadata/`,
    root,
    dir,
    keysDir,
    metadataDir,
    rootBytes,
    universe,
    claims,
    keys,
    fixture,
    repo,
    async writeTrustedRoot(projectDir) {
      const path = join(projectDir, 'tufpm-root.json');
      await writeFile(path, rootBytes);
      return path;
    },
    counts: () => server.counts(),
    resetCounts: () => server.resetCounts(),
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
    publish,
    roleOf: (name, version) => roleOf(repo, name, version),
    addIntercept,
    clearIntercepts: () => void intercepts.splice(0),
    tamperTarball: (name, version, o) => tamperTarball(ctx, name, version, o),
    poisonTarballOnly: (name, version) => poisonTarballOnly(ctx, name, version),
    signWithWrongKey: (name, version, o) => signWithWrongKey(ctx, name, version, o),
    publishUnsigned: (name, v) => publishUnsigned(ctx, name, v),
    snapshotState: () => captureDir(metadataDir),
    async restoreState(saved) {
      await restoreDir(metadataDir, saved);
      return {
        attack: 'rollback',
        description: 'served an earlier tuf/metadata directory (timestamp, snapshot and roles)',
        expectedCodes: ['TUF_PIN_ROLLBACK', 'TUF_ROLLBACK'],
      };
    },
    freezeTimestamp: (o) => freezeTimestamp(ctx, o),
    mixAndMatch: (name) => mixAndMatch(ctx, name),
    overLengthMetadata: (role, o) => overLengthMetadata(ctx, role, o),
    compromiseAndRevoke: (name, o) => compromiseAndRevoke(ctx, name, o),
    compromiseOnlineKeys: (name) => compromiseOnlineKeys(ctx, name),
    fastForwardTimestamp: (o) => fastForwardTimestamp(ctx, o),
    recoverFromFastForward: (genuine) => recoverFromFastForward(ctx, genuine),
    extraneousDependency: (name, version, dep, range) => extraneousDependency(ctx, name, version, dep, range),
    rollbackRole: (name, version) => rollbackRole(ctx, name, version),
    forgeRootRotation: () => forgeRootRotation(ctx),
    rollbackTargetsPastClaim: (name) => rollbackTargetsPastClaim(ctx, name),
    substituteWithOnlineKeys: (name, version) => substituteWithOnlineKeys(ctx, name, version),
    refreshRole: (name, version) => refreshRole(ctx, name, version),
  };
}
