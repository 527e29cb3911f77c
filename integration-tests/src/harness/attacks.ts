// Attack simulations against a signed test registry. Each function plays an attacker with write access
// to the registry's storage, a mirror or the CDN (and, where said, some of the registry's keys), changes
// what the registry serves, and returns what it did and which error codes a correct client must raise.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TargetFile, generateEd25519KeyPair, type Signer } from '@tufpm/models';
import type { NpmRepository } from '@tufpm/repo';
import {
  addPackageVersion,
  atomicWrite,
  buildPackageTarball,
  packumentFile,
  readStoredPackument,
  readTarballManifest,
  tarballDigests,
  tarballFile,
  targetPathFor,
  type RegistryOptions,
} from '@tufpm/registry';
import { forgeSnapshotAndTimestamp, listedVersion, readRole, readTimestamp, resign, restoreDir, writeMetadata, type SavedState } from './attacks-metadata.js';
import type { Claim, TestKeys } from '../../../fixtures/lib/build.mjs';

export type Interceptor = NonNullable<RegistryOptions['intercept']>;

/** What an attack did, and what a correct client answers. */
export interface AttackResult {
  /** the TUF attack class (specification wording): 'arbitrary installation', 'rollback', ... */
  attack: string;
  /** one sentence: what the attacker changed */
  description: string;
  /** the package version the attack targets, when there is one */
  name?: string;
  version?: string;
  /** the error codes a correct client may raise (any one of them) */
  expectedCodes: string[];
}

/** A legitimately signed release made by the harness (the maintainers or the registry signed it). */
export interface Release {
  name: string;
  version: string;
  targetPath: string;
  role: string;
}

/** What the attack functions may touch. */
export interface AttackContext {
  dir: string;
  metadataDir: string;
  keys: TestKeys;
  claims: readonly Claim[];
  repo: NpmRepository;
  now(): Date;
  addIntercept(fn: Interceptor): () => void;
  publish(name: string, version?: string): Promise<Release>;
}

// ---- small helpers ----

export async function storedPackument(dir: string, name: string) {
  const p = await readStoredPackument(dir, name);
  if (p === undefined) throw new Error(`no package ${name} in the registry`);
  return p;
}

function cmpVersion(a: string, b: string): number {
  const pa = a.split(/[.-]/).map(Number);
  const pb = b.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

export async function highestVersion(dir: string, name: string): Promise<string> {
  const versions = Object.keys((await storedPackument(dir, name)).versions).sort(cmpVersion);
  return versions[versions.length - 1]!;
}

/** The next patch version after the highest one published. */
export async function nextVersion(dir: string, name: string): Promise<string> {
  const [major, minor, patch] = (await highestVersion(dir, name)).split('.').map(Number);
  return `${major}.${minor}.${patch! + 1}`;
}

/** A tarball for name@version with the dependencies of the highest published version (installs still resolve). */
export async function releaseTarball(dir: string, name: string, version: string, evil = false): Promise<Uint8Array> {
  const packument = await storedPackument(dir, name);
  const latest = packument.versions[await highestVersion(dir, name)]!;
  const dependencies = (latest['dependencies'] ?? {}) as Record<string, string>;
  return buildPackageTarball({
    name,
    version,
    dependencies,
    manifest: { description: `release ${version} of ${name}`, main: 'index.js', license: 'MIT' },
    files: evil ? { 'index.js': `module.exports = { name: ${JSON.stringify(name)}, version: ${JSON.stringify(version)}, pwned: true };\n` } : {},
  });
}

/** Publish time that passes Yarn's default one-day npmMinimalAgeGate. */
export function publishTime(ctx: AttackContext): Date {
  return new Date(ctx.now().getTime() - 2 * 24 * 3600 * 1000);
}

/**
 * A legitimate new version of the role covering name@version (same targets, expiry refreshed; the
 * maintainers re-sign a claimed role, the online key a bin). Returns the role and its new version.
 */
export async function refreshRole(ctx: AttackContext, name: string, version?: string): Promise<{ role: string; version: number }> {
  const v = version ?? (await highestVersion(ctx.dir, name));
  const role = roleOf(ctx.repo, name, v);
  const claim = ctx.claims.find((c) => c.name === name);
  await ctx.repo.refreshExpiry(role, claim ? { signers: claim.maintainers.map((m) => ctx.keys[m].signer) } : {});
  return { role, version: await listedVersion(ctx.metadataDir, role) };
}

/** The role that signs a package's versions: its own (claimed) role, or the unclaimed bin of that version. */
export function roleOf(repo: NpmRepository, name: string, version: string): string {
  if (repo.claimedRole(name) !== undefined) return name;
  return repo.unclaimedBins().getRoleForTarget(targetPathFor(name, version));
}

function claimOf(ctx: AttackContext, name: string): Claim {
  const claim = ctx.claims.find((c) => c.name === name);
  if (claim === undefined) throw new Error(`${name} is not a claimed package of this registry (claimed: ${ctx.claims.map((c) => c.name).join(', ')})`);
  return claim;
}

/**
 * Replaces a tarball on disk with other (still valid) package contents: same name, version and
 * dependencies, a different index.js. Returns the new bytes.
 */
async function swapTarball(dir: string, name: string, version: string, sameLength = false): Promise<Uint8Array> {
  const path = tarballFile(dir, targetPathFor(name, version));
  const original = new Uint8Array(await readFile(path));
  const { manifest } = await readTarballManifest(original);
  const build = (padding: string): Uint8Array => buildPackageTarball({
    name,
    version,
    manifest: { ...manifest, description: `${String(manifest['description'] ?? '')} (tampered)` },
    files: { 'index.js': `module.exports = { name: ${JSON.stringify(name)}, version: ${JSON.stringify(version)}, pwned: true };\n${padding}` },
  });
  let evil = build('');
  if (sameLength) {
    // Grow an incompressible comment until the gzip is exactly as long as the original, so only the
    // hash (not the length) can tell the bytes apart.
    let noise = '';
    for (let i = 0; evil.length !== original.length; i++) {
      if (i > 4000 || evil.length > original.length + 64) throw new Error(`could not build a same-length tampered tarball of ${name}@${version}`);
      noise += createHash('sha256').update(`${name}@${version}#${i}`).digest('base64').slice(0, 1);
      evil = build(`// ${noise}\n`);
    }
  }
  await atomicWrite(path, evil, { durable: false });
  return evil;
}

/** Points the stored packument's dist.integrity/shasum at new tarball bytes (the attacker controls the registry). */
async function rewriteIntegrity(dir: string, name: string, version: string, tarball: Uint8Array): Promise<void> {
  const packument = await storedPackument(dir, name);
  const manifest = packument.versions[version];
  if (manifest === undefined) throw new Error(`${name}@${version} is not published`);
  const d = tarballDigests(tarball);
  manifest.dist = { ...manifest.dist, integrity: d.integrity, shasum: d.shasum };
  await atomicWrite(packumentFile(dir, name), `${JSON.stringify(packument, null, 2)}\n`, { durable: false });
}

// ---- the attacks ----

/**
 * Arbitrary installation / malicious mirror: the tarball bytes are replaced and the packument's
 * dist.integrity and dist.shasum updated to match, so npm's and Yarn's own (unsigned) checks pass.
 * TUF metadata is untouched: the signed sha512 no longer matches the bytes. `sameLength` makes the new
 * tarball exactly as long as the signed one, so only the hash check can catch it.
 */
export async function tamperTarball(ctx: AttackContext, name: string, version: string, opts: { sameLength?: boolean } = {}): Promise<AttackResult> {
  const evil = await swapTarball(ctx.dir, name, version, opts.sameLength === true);
  await rewriteIntegrity(ctx.dir, name, version, evil);
  return {
    attack: 'arbitrary installation (tampered tarball)',
    description: `replaced the tarball of ${name}@${version} and its packument integrity/shasum`,
    name, version,
    expectedCodes: ['TUF_TARBALL_MISMATCH'],
  };
}

/**
 * A CDN or cache that only controls tarball bytes: the tarball changes, the packument does not. npm and
 * Yarn fail on their own integrity check too (EINTEGRITY); TUF must fail as well, never accept.
 */
export async function poisonTarballOnly(ctx: AttackContext, name: string, version: string): Promise<AttackResult> {
  await swapTarball(ctx.dir, name, version);
  return {
    attack: 'arbitrary installation (poisoned CDN/cache, packument untouched)',
    description: `replaced only the tarball bytes of ${name}@${version}`,
    name, version,
    expectedCodes: ['TUF_TARBALL_MISMATCH'],
  };
}

/**
 * Arbitrary installation with a forged signature: the tarball is tampered (packument updated) and the
 * role that signs the version is re-signed by mallory, whose key is in no delegation, over the new hash.
 * By default the attacker also holds the online snapshot/timestamp keys and lists the forged role as a
 * new version (so no client cache can hide it); `inPlace` overwrites the current role file instead
 * (storage access only: a client holding that role version in its cache keeps using the genuine one
 * and then fails on the tarball hash).
 */
export async function signWithWrongKey(ctx: AttackContext, name: string, version: string, opts: { inPlace?: boolean } = {}): Promise<AttackResult> {
  const role = roleOf(ctx.repo, name, version);
  const evil = await swapTarball(ctx.dir, name, version);
  await rewriteIntegrity(ctx.dir, name, version, evil);
  const { md } = await readRole(ctx.metadataDir, role);
  const path = targetPathFor(name, version);
  md.signed.targets.set(path, TargetFile.fromData(path, evil));
  if (!opts.inPlace) md.signed.bumpVersion();
  resign(md, [ctx.keys.mallory.signer]);
  await writeMetadata(ctx.metadataDir, role, md);
  if (!opts.inPlace) {
    await forgeSnapshotAndTimestamp(ctx.metadataDir, new Map([[role, md.signed.version]]), {
      snapshot: ctx.keys.snapshot.signer, timestamp: ctx.keys.timestamp.signer,
    });
  }
  return {
    attack: 'arbitrary installation (signature by a key outside the delegation)',
    description: `role ${role} v${md.signed.version} lists a tampered ${name}@${version} and is signed only by mallory`,
    name, version,
    expectedCodes: opts.inPlace ? ['TUF_THRESHOLD', 'TUF_TARBALL_MISMATCH'] : ['TUF_THRESHOLD'],
  };
}

/**
 * Arbitrary installation of a version nobody signed: a new version appears in the packument and as a
 * tarball, but in no TUF role.
 */
export async function publishUnsigned(ctx: AttackContext, name: string, newVersion?: string): Promise<AttackResult> {
  const version = newVersion ?? (await nextVersion(ctx.dir, name));
  await addPackageVersion(ctx.dir, await releaseTarball(ctx.dir, name, version, true), { time: publishTime(ctx), durable: false });
  return {
    attack: 'arbitrary installation (version missing from its role)',
    description: `published ${name}@${version} to the packument and tarballs without signing it`,
    name, version,
    expectedCodes: ['TUF_PACKAGE_NOT_SIGNED'],
  };
}

/**
 * Indefinite freeze: the timestamp is re-signed with the real timestamp key, same version, but an expiry
 * in the past (what a client sees when a mirror keeps serving a stale timestamp).
 */
export async function freezeTimestamp(ctx: AttackContext, opts: { expires?: Date } = {}): Promise<AttackResult> {
  const { md } = await readTimestamp(ctx.metadataDir);
  const expires = opts.expires ?? new Date(Math.floor(ctx.now().getTime() / 1000) * 1000 - 3600_000);
  md.signed.expires = expires;
  resign(md, [ctx.keys.timestamp.signer]);
  await writeMetadata(ctx.metadataDir, 'timestamp', md);
  return {
    attack: 'indefinite freeze',
    description: `timestamp v${md.signed.version} re-signed with expiry ${expires.toISOString()}`,
    expectedCodes: ['TUF_EXPIRED'],
  };
}

/**
 * Mix-and-match: the role covering `name` is first given a new, legitimately signed version N (same
 * targets, new expiry; so no client can hold N in its cache), then an older version of that role is
 * served under N's file name. Snapshot lists N, the file says an older version.
 */
export async function mixAndMatch(ctx: AttackContext, name: string): Promise<AttackResult> {
  const version = await highestVersion(ctx.dir, name);
  const { role } = await refreshRole(ctx, name, version);
  const current = await readRole(ctx.metadataDir, role);
  const older = await readRole(ctx.metadataDir, role, current.md.signed.version - 1);
  await writeMetadata(ctx.metadataDir, role, older.md, current.file);
  return {
    attack: 'mix-and-match',
    description: `served ${older.file} as ${current.file} (role ${role}, which covers ${name})`,
    name, version,
    expectedCodes: ['TUF_VERSION_MISMATCH', 'TUF_HASH', 'TUF_LENGTH'],
  };
}

const LIMITS = { timestamp: 16_384, targets: 5_000_000 } as const;

/**
 * Endless data: the registry answers requests for a top-level metadata file with the real bytes followed
 * by whitespace, well past the client's bound (timestamp: 16 KiB default limit; snapshot: the length the
 * timestamp signs; targets: the 5 MB default limit), without a Content-Length (streamed).
 * Only requests the client actually makes are affected: a cached snapshot/targets is not fetched again.
 */
export async function overLengthMetadata(ctx: AttackContext, role: 'timestamp' | 'snapshot' | 'targets', opts: { bytes?: number } = {}): Promise<AttackResult> {
  const pattern = role === 'timestamp' ? /^timestamp\.json$/ : new RegExp(`^[0-9]+\\.${role}\\.json$`);
  let total = opts.bytes;
  if (total === undefined) {
    if (role === 'snapshot') total = ((await readTimestamp(ctx.metadataDir)).md.signed.snapshotMeta.length ?? 100_000_000) + 64 * 1024;
    else total = LIMITS[role] + 64 * 1024;
  }
  const size = total;
  ctx.addIntercept(async (req, res, route) => {
    if (route?.kind !== 'tuf' || !pattern.test(route.file)) return false;
    const real = await readFile(`${ctx.metadataDir}/${route.file}`).catch(() => Buffer.from('{}'));
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    res.write(real);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = real.length;
    const pump = (): void => {
      while (sent < size && !res.destroyed) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    pump();
    return true;
  });
  return {
    attack: 'endless data',
    description: `${role} served padded to ${size} bytes`,
    expectedCodes: ['TUF_LENGTH'],
  };
}

/**
 * Key compromise, recovered by revocation: maintainer key K of a claimed package leaks. The operator
 * revokes K (repo.revokeKey; a single-key package gets a fresh replacement key through rotateKey and its
 * role re-signed). Then the attacker signs a new version into the package role with K and, holding the
 * online snapshot/timestamp keys as well (worst case), lists it; the tarball and packument are published.
 */
export async function compromiseAndRevoke(ctx: AttackContext, name: string, opts: { maintainer?: string } = {}): Promise<AttackResult & { revokedKeyid: string; replacement?: Signer }> {
  const claim = claimOf(ctx, name);
  const who = (opts.maintainer ?? claim.maintainers[0]!) as keyof TestKeys;
  const compromised = ctx.keys[who].signer;
  let replacement: Signer | undefined;
  if (claim.maintainers.length > 1) {
    // Threshold cannot exceed the keys left (a 2-of-2 package becomes 1-of-1).
    await ctx.repo.revokeKey(name, compromised.key.keyid, { threshold: Math.min(claim.threshold, claim.maintainers.length - 1) });
  } else {
    replacement = generateEd25519KeyPair().signer;
    await ctx.repo.rotateKey(name, compromised.key.keyid, { publicKey: replacement.key }, { signers: [replacement] });
  }
  const version = await nextVersion(ctx.dir, name);
  const tarball = await releaseTarball(ctx.dir, name, version, true);
  await addPackageVersion(ctx.dir, tarball, { time: publishTime(ctx), durable: false });
  const { md } = await readRole(ctx.metadataDir, name);
  const path = targetPathFor(name, version);
  md.signed.targets.set(path, TargetFile.fromData(path, tarball));
  md.signed.bumpVersion();
  resign(md, [compromised]);
  await writeMetadata(ctx.metadataDir, name, md);
  await forgeSnapshotAndTimestamp(ctx.metadataDir, new Map([[name, md.signed.version]]), {
    snapshot: ctx.keys.snapshot.signer, timestamp: ctx.keys.timestamp.signer,
  });
  return {
    attack: 'key compromise (revoked maintainer key)',
    description: `revoked ${who}'s key on ${name}, then signed ${name}@${version} into role ${name} v${md.signed.version} with it`,
    name, version,
    expectedCodes: ['TUF_THRESHOLD'],
    revokedKeyid: compromised.key.keyid,
    ...(replacement === undefined ? {} : { replacement }),
  };
}

/**
 * Registry compromise: the attacker holds every online key (snapshot, timestamp, unclaimed) and signs a
 * new version of a CLAIMED package into the unclaimed bin its path hashes to, then re-signs snapshot and
 * timestamp. Clients must refuse it: the package's own role is listed first and is terminating, and it
 * does not list the version.
 */
export async function compromiseOnlineKeys(ctx: AttackContext, name: string): Promise<AttackResult & { bin: string }> {
  claimOf(ctx, name);
  const version = await nextVersion(ctx.dir, name);
  const tarball = await releaseTarball(ctx.dir, name, version, true);
  const path = targetPathFor(name, version);
  const bin = ctx.repo.unclaimedBins().getRoleForTarget(path);
  // Uses only keys from the keys directory's online/ part: signersFor(bin) reads the unclaimed key.
  await ctx.repo.transaction(async (repo) => {
    repo.addTarget(bin, TargetFile.fromData(path, tarball));
    await ctx.repo.signRole(bin);
    await ctx.repo.resignSnapshotAndTimestamp();
  });
  await addPackageVersion(ctx.dir, tarball, { time: publishTime(ctx), durable: false });
  return {
    attack: 'key compromise (all online keys) against a claimed package',
    description: `signed ${name}@${version} into unclaimed bin ${bin} with the online key, new snapshot and timestamp`,
    name, version, bin,
    expectedCodes: ['TUF_PACKAGE_NOT_SIGNED'],
  };
}

/**
 * Fast-forward: an attacker holding the online timestamp key signs a timestamp with a huge version.
 * Clients accept it (it is validly signed) and from then on refuse every genuine, lower timestamp as a
 * rollback, until the operator recovers with recoverFromFastForward (TUF 5.3.11: rotate the timestamp key).
 */
export async function fastForwardTimestamp(ctx: AttackContext, opts: { by?: number } = {}): Promise<AttackResult & { forgedVersion: number }> {
  const { md } = await readTimestamp(ctx.metadataDir);
  md.signed.version += opts.by ?? 1_000_000;
  resign(md, [ctx.keys.timestamp.signer]);
  await writeMetadata(ctx.metadataDir, 'timestamp', md);
  return {
    attack: 'fast-forward',
    description: `timestamp re-signed with the real key at version ${md.signed.version}`,
    expectedCodes: ['TUF_ROLLBACK', 'TUF_PIN_ROLLBACK'],
    forgedVersion: md.signed.version,
  };
}

/**
 * The operator's recovery from a fast-forward (or a leaked timestamp key): put the genuine metadata back
 * and rotate the timestamp key, which publishes root N+1. Clients that see the new root drop their
 * fast-forwarded timestamp (TUF 5.3.11) and accept the genuine one again. Returns the new root version.
 * Note: ctx.keys.timestamp is the old key afterwards; the new one lives in the keys directory.
 */
export async function recoverFromFastForward(ctx: AttackContext, genuine: SavedState): Promise<{ root: number; timestamp: number }> {
  await restoreDir(ctx.metadataDir, genuine);
  const old = ctx.keys.timestamp.key.keyid;
  const res = await ctx.repo.rotateKey('timestamp', old);
  return { root: res.versions['root']!, timestamp: res.versions['timestamp']! };
}

/**
 * Extraneous dependencies: the stored packument of a version gains a dependency its (signed) tarball's
 * package.json does not declare, pointing at another, genuinely signed package. Every tarball still
 * verifies, so a tarball-only check cannot see it; an integration has to compare the manifest it
 * resolved with against the signed tarball's package.json. No verifier error code exists for it yet.
 */
export async function extraneousDependency(ctx: AttackContext, name: string, version: string, dep: string, range: string): Promise<AttackResult> {
  const packument = await storedPackument(ctx.dir, name);
  const manifest = packument.versions[version];
  if (manifest === undefined) throw new Error(`${name}@${version} is not published`);
  manifest['dependencies'] = { ...((manifest['dependencies'] ?? {}) as Record<string, string>), [dep]: range };
  await atomicWrite(packumentFile(ctx.dir, name), `${JSON.stringify(packument, null, 2)}\n`, { durable: false });
  return {
    attack: 'extraneous dependencies',
    description: `packument of ${name}@${version} now also depends on ${dep}@${range} (the tarball does not)`,
    name, version,
    expectedCodes: [],
  };
}

/**
 * Rollback of one delegated role: an attacker holding the online snapshot and timestamp keys signs a
 * newer snapshot that lists the previous (genuinely signed) version of the role covering `name`, e.g. to
 * hide the release that fixed a vulnerability. Timestamp and snapshot move forward, so only a check of
 * role versions (against the client's trusted snapshot, TUF 5.5.5, or the project's pins) catches it.
 * `version` picks the role (for unclaimed packages, the bin of that version; default the highest).
 */
export async function rollbackRole(ctx: AttackContext, name: string, version?: string): Promise<AttackResult & { role: string; from: number; to: number }> {
  version ??= await highestVersion(ctx.dir, name);
  const role = roleOf(ctx.repo, name, version);
  const { md } = await readRole(ctx.metadataDir, role);
  const from = md.signed.version;
  if (from < 2) throw new Error(`role ${role} has no earlier version to roll back to`);
  await forgeSnapshotAndTimestamp(ctx.metadataDir, new Map([[role, from - 1]]), {
    snapshot: ctx.keys.snapshot.signer, timestamp: ctx.keys.timestamp.signer,
  });
  return {
    attack: 'rollback (one delegated role, online keys)',
    description: `a new snapshot lists role ${role} at v${from - 1} instead of v${from}`,
    name, version, role, from, to: from - 1,
    expectedCodes: ['TUF_PIN_ROLLBACK', 'TUF_ROLLBACK'],
  };
}
