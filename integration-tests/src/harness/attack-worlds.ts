// The registries the npm and Yarn suites (attacks, edges) play against, and the metadata attacks both stage
// the same way: each installer meets the same attack, or the same legitimate graph, on the same signed state.
import { addPackageVersion, buildPackageTarball } from '@tufpm/registry';
import { NpmWorld, type Maintainer } from './npm-world.js';
import { publishManifest, publishPackage } from './attacks-graph.js';

/** `right`, `left` (depending on `right`) registry-signed; `guarded` claimed by both `maintainers` (threshold 2). */
export async function createAttackWorld(maintainers: readonly [Maintainer, Maintainer]): Promise<NpmWorld> {
  const world = await NpmWorld.create();
  await world.publish('right', '1.0.0');
  await world.publish('left', '1.0.0', { right: '^1.0.0' });
  await world.claim('guarded', [...maintainers], 2);
  await world.publish('guarded', '1.0.0', {}, maintainers.map((m) => m.signer));
  return world;
}

/**
 * Everything signed ten days ago, `left` published: only the timestamp (1 day) has expired. Every other role
 * is valid for a year, so no other expiry check can answer for the timestamp's.
 */
export async function createExpiredTimestampWorld(): Promise<NpmWorld> {
  const year = 365 * 24 * 3600;
  const world = await NpmWorld.create({
    now: new Date(Date.now() - 10 * 24 * 3600 * 1000),
    expiries: { timestamp: 24 * 3600, snapshot: year, targets: year, unclaimed: year, package: year, root: year },
  });
  await world.publish('left', '1.0.0');
  return world;
}

/** Who signs: `right` registry-signed; `owned`, `seized`, `downgraded` claimed by `alice` (threshold 1); `pair` by both (threshold 2). */
export async function createSignerWorld(alice: Maintainer, bob: Maintainer): Promise<NpmWorld> {
  const world = await NpmWorld.create();
  await world.publish('right', '1.0.0');
  for (const name of ['owned', 'seized', 'downgraded']) {
    await world.claim(name, [alice], 1);
    await world.publish(name, '1.0.0', {}, [alice.signer]);
  }
  await world.claim('pair', [alice, bob], 2);
  await world.publish('pair', '1.0.0', {}, [alice.signer, bob.signer]);
  return world;
}

/**
 * Mix-and-match: publishes name@version, then fillers until the bin of its target has two versions (bins are
 * chosen by the hash of the target path), and serves the older role file under the newer one's name while
 * `attack` runs; the genuine file is served again afterwards.
 */
export async function withMixedRoleFile(world: NpmWorld, name: string, version: string, attack: () => Promise<void>): Promise<void> {
  const { role } = await world.publish(name, version);
  for (let i = 0; (await world.metadataFiles()).filter((f) => f.endsWith(`.${role}.json`)).length < 2; i++) {
    await world.publish(`filler${i}`, '1.0.0');
  }
  const versions = (await world.metadataFiles())
    .map((f) => new RegExp(`^(\\d+)\\.${role}\\.json$`).exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const latest = versions.at(-1)!;
  const real = await world.readMetadata(`${latest}.${role}.json`);
  try {
    await world.writeMetadata(`${latest}.${role}.json`, await world.readMetadata(`${versions.at(-2)!}.${role}.json`));
    await attack();
  } finally {
    await world.writeMetadata(`${latest}.${role}.json`, real);
  }
}

/** Endless data: serves timestamp.json with 64 KiB of padding past its bound while `attack` runs, then the genuine one. */
export async function withOverLengthTimestamp(world: NpmWorld, attack: () => Promise<void>): Promise<void> {
  const real = await world.readMetadata('timestamp.json');
  try {
    await world.writeMetadata('timestamp.json', Buffer.concat([real, Buffer.alloc(64 * 1024, 0x20)]));
    await attack();
  } finally {
    await world.writeMetadata('timestamp.json', real);
  }
}

/**
 * Edges and identity: foo, bar, vuln 1.0.0 and 1.0.1, vhost (vuln ^1.0.1), taghost (vuln latest) in the bins;
 * kafen-js claimed by `alice`; zzevil, any package an attacker could publish, whose manifest a registry
 * can serve as kafen-js's. Returns the tarballs of the registry-signed packages by name@version.
 */
export async function createEdgesWorld(alice: Maintainer): Promise<{ world: NpmWorld; tarballs: Map<string, Uint8Array> }> {
  const world = await NpmWorld.create();
  const tarballs = new Map<string, Uint8Array>();
  for (const [name, version, deps] of [
    ['foo', '1.0.0', {}],
    ['bar', '1.0.0', {}],
    ['vuln', '1.0.0', {}],
    ['vuln', '1.0.1', {}],
    ['vhost', '1.0.0', { vuln: '^1.0.1' }],
    ['taghost', '1.0.0', { vuln: 'latest' }],
  ] as const) {
    tarballs.set(`${name}@${version}`, (await world.publish(name, version, deps)).tarball);
  }
  await world.claim('kafen-js', [alice], 1);
  await world.publish('kafen-js', '3.9.9', {}, [alice.signer]);
  const evil = buildPackageTarball({ name: 'zzevil', version: '3.9.9', files: { 'index.js': 'module.exports = "zzevil";\n' } });
  await addPackageVersion(world.registryDir, evil, { durable: false });
  await world.repo.publishTarball(evil);
  return { world, tarballs };
}

/** The platform this machine is not: its native-* package is skipped as an optional dependency. */
export const OTHER_PLATFORM = process.platform === 'darwin' ? 'linux' : 'darwin';

/**
 * Legitimate graphs: bar 1.0.0 and 1.1.0, vuln, vhost, an alias (aliaser: foo -> npm:bar@^1.0.0), a peer
 * (peerhost), one native package per platform and nhost depending on both as optional dependencies.
 */
export async function createLegitimateGraphWorld(): Promise<NpmWorld> {
  const world = await NpmWorld.create();
  await world.publish('bar', '1.0.0');
  await world.publish('bar', '1.1.0');
  await world.publish('vuln', '1.0.0');
  await world.publish('vuln', '1.0.1');
  await world.publish('vhost', '1.0.0', { vuln: '^1.0.1' });
  await world.publish('aliaser', '1.0.0', { foo: 'npm:bar@^1.0.0' });
  await publishManifest(world, 'peerhost', '1.0.0', { peerDependencies: { bar: '^1.0.0' } });
  await publishNativePair(world, 'nhost');
  return world;
}

/** native-<platform> for this platform and for OTHER_PLATFORM (`os` set), and `host` depending on both as optional dependencies. */
export async function publishNativePair(world: NpmWorld, host: string): Promise<void> {
  for (const [name, os] of [[`native-${process.platform}`, process.platform], [`native-${OTHER_PLATFORM}`, OTHER_PLATFORM]] as const) {
    await publishManifest(world, name, '1.0.0', { os: [os] });
  }
  await publishManifest(world, host, '1.0.0', { optionalDependencies: { [`native-${process.platform}`]: '1.0.0', [`native-${OTHER_PLATFORM}`]: '1.0.0' } });
}

/**
 * The registry rewrites the platform fields in the packument: osx-<OTHER_PLATFORM> (signed os: that platform)
 * claims this platform too, and cpux (signed cpu: mips) loses its cpu; oshost takes both as optional
 * dependencies. Every tarball still verifies: only the packument lies.
 */
export async function publishPlatformRewrite(world: NpmWorld): Promise<void> {
  await publishPackage(world, `osx-${OTHER_PLATFORM}`, '1.0.0', { os: [OTHER_PLATFORM] });
  await publishPackage(world, 'cpux', '1.0.0', { cpu: ['mips'] });
  await publishPackage(world, 'oshost', '1.0.0', { optionalDependencies: { [`osx-${OTHER_PLATFORM}`]: '1.0.0', cpux: '1.0.0' } });
  await world.editPackumentManifest(`osx-${OTHER_PLATFORM}`, '1.0.0', (m) => { m['os'] = [OTHER_PLATFORM, process.platform]; });
  await world.editPackumentManifest('cpux', '1.0.0', (m) => { delete m['cpu']; });
}
