// Attack simulations against a signed test registry: the shared context and helpers, and the attacks on
// tarballs and packuments (attacks-repository.ts: on TUF metadata; attacks-keys.ts: key compromise). Each
// plays an attacker with write access to the registry storage, a mirror or the CDN (and, where said, some
// of the registry keys) and returns what it did and which error codes a correct client must raise.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TargetFile } from '@tufpm/models';
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
import { forgeSnapshotAndTimestamp, listedVersion, readRole, resign, writeMetadata } from './attacks-metadata.js';
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

export function claimOf(ctx: AttackContext, name: string): Claim {
  const claim = ctx.claims.find((c) => c.name === name);
  if (claim === undefined) throw new Error(`${name} is not a claimed package of this registry (claimed: ${ctx.claims.map((c) => c.name).join(', ')})`);
  return claim;
}

/**
 * Replaces a tarball on disk with other (still valid) package contents: same name, version and
 * dependencies, a different index.js. Returns the new bytes.
 */
export async function swapTarball(dir: string, name: string, version: string, sameLength = false): Promise<Uint8Array> {
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
export async function rewriteIntegrity(dir: string, name: string, version: string, tarball: Uint8Array): Promise<void> {
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
 * Extraneous dependencies: the stored packument of a version gains a dependency its (signed) tarball's
 * package.json does not declare, pointing at another, genuinely signed package. Every tarball still
 * verifies, so a tarball-only check cannot see it; an integration has to compare the manifest it
 * resolved with against the signed tarball's package.json (the repository signs those into the target's
 * custom.npm; InstallVerifier.checkDependencies compares them).
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
    expectedCodes: ['TUF_EXTRANEOUS_DEPENDENCY'],
  };
}
