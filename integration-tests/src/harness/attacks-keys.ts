// Key-compromise attacks: a leaked maintainer key after the operator revoked it, and a registry whose
// online keys (snapshot, timestamp, unclaimed) are all in the attacker's hands.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, TOP_LEVEL_ROLE_NAMES, TargetFile, generateEd25519KeyPair, type Signer } from '@tufpm/models';
import { addPackageVersion, targetPathFor } from '@tufpm/registry';
import { forgeSnapshotAndTimestamp, listedVersion, readRole, resign, writeMetadata } from './attacks-metadata.js';
import { claimOf, nextVersion, publishTime, releaseTarball, rewriteIntegrity, swapTarball, type AttackContext, type AttackResult } from './attacks.js';
import type { TestKeys } from '../../../fixtures/lib/build.mjs';

/**
 * Key compromise, recovered by revocation: maintainer key K of a claimed package leaks. The operator
 * revokes K (repo.revokeKey; a single-key package gets a fresh replacement key through rotateKey and its
 * role re-signed). Then the attacker signs a new version into the package role with K and, holding the
 * online snapshot/timestamp keys as well (worst case), lists it; the tarball and packument are published.
 */
export async function compromiseAndRevoke(
  ctx: AttackContext,
  name: string,
  opts: { maintainer?: string; allKeys?: boolean } = {},
): Promise<AttackResult & { revokedKeyid: string; replacement?: Signer; metThresholdBeforeRevocation: boolean }> {
  const claim = claimOf(ctx, name);
  const who = (opts.maintainer ?? claim.maintainers[0]!) as keyof TestKeys;
  const compromised = ctx.keys[who].signer;
  let replacement: Signer | undefined;
  // The keys the attacker signs with; with allKeys every maintainer key of the package leaked.
  const leaked = opts.allKeys === true ? claim.maintainers.map((m) => ctx.keys[m as keyof TestKeys].signer) : [compromised];
  // Whether the forged release would meet the role as it was before the revocation: only then does a
  // refusal show that the revocation (and nothing else, such as a threshold out of reach) stopped it.
  const before = ctx.repo.claimedRole(name)!;
  const metThresholdBeforeRevocation = leaked.filter((s) => before.keyids.includes(s.key.keyid)).length >= before.threshold;
  if (opts.allKeys === true && claim.maintainers.length > 1) {
    // Every key leaked: revoke all but the last (threshold 1), then rotate the last to a fresh key.
    for (const s of leaked.slice(0, -1)) await ctx.repo.revokeKey(name, s.key.keyid, { threshold: 1 });
    replacement = generateEd25519KeyPair().signer;
    await ctx.repo.rotateKey(name, leaked[leaked.length - 1]!.key.keyid, { publicKey: replacement.key }, { signers: [replacement] });
  } else if (claim.maintainers.length > 1) {
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
  resign(md, leaked);
  await writeMetadata(ctx.metadataDir, name, md);
  await forgeSnapshotAndTimestamp(ctx.metadataDir, new Map([[name, md.signed.version]]), {
    snapshot: ctx.keys.snapshot.signer, timestamp: ctx.keys.timestamp.signer,
  });
  return {
    attack: 'key compromise (revoked maintainer key)',
    description: `revoked ${opts.allKeys === true ? 'every maintainer key' : `${who}'s key`} on ${name}, then signed ${name}@${version} into role ${name} v${md.signed.version} with ${opts.allKeys === true ? 'them' : 'it'}`,
    name, version,
    expectedCodes: ['TUF_THRESHOLD'],
    revokedKeyid: compromised.key.keyid,
    metThresholdBeforeRevocation,
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
 * Arbitrary installation through a forged root: the attacker publishes root N+1 that hands every
 * top-level role to mallory, signed only by mallory. Clients must refuse it, because root N+1 needs a
 * threshold of root N's keys (TUF 5.3.4) as well as its own.
 */
export async function forgeRootRotation(ctx: AttackContext): Promise<AttackResult & { forgedVersion: number }> {
  const current = Math.max(...(await readdir(ctx.metadataDir)).map((f) => /^([0-9]+)\.root\.json$/.exec(f)?.[1]).filter((v) => v !== undefined).map(Number));
  const md = Metadata.root(new Uint8Array(await readFile(join(ctx.metadataDir, `${current}.root.json`))));
  for (const role of TOP_LEVEL_ROLE_NAMES) {
    for (const keyid of [...md.signed.getRole(role).keyids]) md.signed.revokeKey(keyid, role);
    md.signed.addKey(ctx.keys.mallory.key, role);
  }
  md.signed.bumpVersion();
  resign(md, [ctx.keys.mallory.signer]);
  await writeMetadata(ctx.metadataDir, 'root', md);
  return {
    attack: 'arbitrary installation (forged root rotation)',
    description: `${md.signed.version}.root.json gives every top-level role to mallory and is signed only by mallory`,
    expectedCodes: ['TUF_THRESHOLD'],
    forgedVersion: md.signed.version,
  };
}

/**
 * Registry compromise plus rollback of the offline-signed `targets`: with every online key, the attacker
 * lists the newest `targets` version that does not yet claim `name` (still validly signed and unexpired)
 * in a new snapshot, and signs a new version of the package into its unclaimed bin. Without the claim,
 * the bin is where clients look. Only a client that remembers a newer `targets` (its cache, TUF 5.5.5;
 * or the project's pins) or that the package was maintainer-signed can refuse it.
 */
export async function rollbackTargetsPastClaim(ctx: AttackContext, name: string): Promise<AttackResult & { targetsVersion: number; bin: string }> {
  claimOf(ctx, name);
  let targetsVersion = await listedVersion(ctx.metadataDir, 'targets');
  for (; targetsVersion >= 1; targetsVersion--) {
    const { md } = await readRole(ctx.metadataDir, 'targets', targetsVersion);
    if (!(md.signed.delegations?.roles ?? []).some((r) => r.name === name)) break;
  }
  if (targetsVersion < 1) throw new Error(`every targets version claims ${name}`);
  const version = await nextVersion(ctx.dir, name);
  const tarball = await releaseTarball(ctx.dir, name, version, true);
  const path = targetPathFor(name, version);
  const bin = ctx.repo.unclaimedBins().getRoleForTarget(path);
  const { md: binMd } = await readRole(ctx.metadataDir, bin);
  binMd.signed.targets.set(path, TargetFile.fromData(path, tarball));
  binMd.signed.bumpVersion();
  resign(binMd, [ctx.keys.unclaimed.signer]);
  await writeMetadata(ctx.metadataDir, bin, binMd);
  await forgeSnapshotAndTimestamp(ctx.metadataDir, new Map([['targets', targetsVersion], [bin, binMd.signed.version]]), {
    snapshot: ctx.keys.snapshot.signer, timestamp: ctx.keys.timestamp.signer,
  });
  await addPackageVersion(ctx.dir, tarball, { time: publishTime(ctx), durable: false });
  return {
    attack: 'rollback of targets past a claim (all online keys)',
    description: `snapshot lists targets v${targetsVersion} (before ${name} was claimed); ${name}@${version} signed into ${bin} with the online key`,
    name, version, targetsVersion, bin,
    expectedCodes: ['TUF_ROLLBACK', 'TUF_PIN_ROLLBACK', 'TUF_SIGNER_DOWNGRADE'],
  };
}

/**
 * Registry compromise against an unclaimed package: with the online `unclaimed` key the attacker re-signs
 * an existing version's bin entry with the hash of a tampered tarball (packument updated too), with a
 * new snapshot and timestamp. The registry's key legitimately signs unclaimed packages, so a fresh client
 * without pins accepts it (the reason to claim packages); a project that pinned the version refuses it.
 */
export async function substituteWithOnlineKeys(ctx: AttackContext, name: string, version: string): Promise<AttackResult & { bin: string }> {
  if (ctx.claims.some((c) => c.name === name)) throw new Error(`${name} is claimed: use compromiseOnlineKeys`);
  const evil = await swapTarball(ctx.dir, name, version);
  await rewriteIntegrity(ctx.dir, name, version, evil);
  const path = targetPathFor(name, version);
  const bin = ctx.repo.unclaimedBins().getRoleForTarget(path);
  await ctx.repo.transaction(async (repo) => {
    repo.addTarget(bin, TargetFile.fromData(path, evil));
    await ctx.repo.signRole(bin);
    await ctx.repo.resignSnapshotAndTimestamp();
  });
  return {
    attack: 'key compromise (online key) substituting a published unclaimed version',
    description: `re-signed ${name}@${version} in ${bin} with the hash of a tampered tarball`,
    name, version, bin,
    expectedCodes: ['TUF_PIN_MISMATCH'],
  };
}
