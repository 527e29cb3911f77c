// `npm run demo -- --registry verdaccio`: the demo's registry is a real Verdaccio 6.8 with verdaccio-tufpm
// (docs/verdaccio.md) instead of the bundled tufpm-registry. The same generated packages (same seed) are
// published through Verdaccio's npm API as a publisher would: unclaimed releases signed by the plugin into
// their bins, claimed ones signed by their maintainers' TEST keys (tufpm publish's request). The object
// returned has the shape of the bundled registry's (url, universe, claims, fixture, rootBytes,
// tamperTarball, close), so the rest of the demo runs unchanged.
import { createRequire } from 'node:module';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import semver from 'semver';

export async function createVerdaccioRegistry(root, { packages, seed, onProgress }) {
  const require = createRequire(join(root, 'integration-tests', 'package.json'));
  const load = (rel) => import(pathToFileURL(join(root, rel)).href);
  const { VerdaccioWorld } = await load('integration-tests/dist/src/harness/verdaccio.js');
  const { swapTarball } = await load('integration-tests/dist/src/harness/attacks.js');
  const { defaultClaims, loadTestKeys } = await load('fixtures/lib/build.mjs');
  const { generateUniverse, tarballFile } = await import(pathToFileURL(require.resolve('@tufpm/registry')).href);
  const { prepareRelease, publishRelease, readPackageTarball, signRole } = await import(pathToFileURL(require.resolve('@tufpm/repo')).href);

  const world = await VerdaccioWorld.create({ bitLength: 5 });
  try {
    // The packages a publisher would have on disk: the bundled demo's universe (tarballs in `source`).
    const source = await world.tempDir('universe-');
    const universe = await generateUniverse({ dir: source, packages, seed });
    const claims = defaultClaims(universe);
    const keys = await loadTestKeys();
    // Claims: approved by the operator with the offline targets key (tufpm-repo approve-claim).
    for (const c of claims) {
      const signers = c.maintainers.map((m) => keys[m].signer);
      await world.repo.addPackage(c.name, signers.map((s) => s.key), c.threshold, { signers });
    }
    const byName = new Map();
    for (const t of universe.targets) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);
    const claimOf = new Map(claims.map((c) => [c.name, c]));
    let done = 0;
    const publishPackage = async (name, releases) => {
      for (const t of releases.sort((a, b) => semver.compare(a.version, b.version))) {
        const tarball = new Uint8Array(await readFile(tarballFile(source, t.tarballPath)));
        const pkg = await readPackageTarball(tarball);
        const claim = claimOf.get(name);
        let role;
        if (claim !== undefined) {
          // The maintainers sign the next version of their role (tufpm sign), every one of them.
          await world.repo.reloadIfChanged();
          ({ role } = await prepareRelease(world.repo.repo.targetsRole(name), tarball, { now: new Date() }));
          signRole(role, claim.maintainers.map((m) => keys[m].signer));
        }
        const res = await publishRelease({ registryUrl: world.url, token: world.token, tarball, pkg, ...(role === undefined ? {} : { role }) });
        if (res.outcome !== 'published') throw new Error(`publishing ${name}@${t.version} through Verdaccio: ${res.outcome}`);
        onProgress?.(++done, universe.targets.length);
      }
    };
    // Packages in parallel (the plugin serializes the signing), each package's versions in order.
    const queue = [...byName.entries()];
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await publishPackage(...next);
    }));
    await world.repo.reloadIfChanged();
    const r = world.repo.repo;
    const rootVersion = r.root.signed.version;
    const rootBytes = new Uint8Array(await readFile(join(world.metadataDir, `${rootVersion}.root.json`)));
    return {
      url: world.url,
      universe,
      claims,
      rootBytes,
      fixture: { bitLength: 5, versions: { root: rootVersion, targets: r.targets.signed.version, snapshot: r.snapshot.signed.version, timestamp: r.timestamp.signed.version } },
      /** The tarball in Verdaccio's storage replaced (same length) and its packument's integrity rewritten. */
      async tamperTarball(name, version, opts = {}) {
        const evil = await swapTarball(source, name, version, opts.sameLength === true);
        const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
        await writeFile(join(world.storageDir, name, `${base}-${version}.tgz`), evil);
        const file = join(world.storageDir, name, 'package.json');
        const packument = JSON.parse(await readFile(file, 'utf8'));
        packument.versions[version].dist.integrity = `sha512-${createHash('sha512').update(evil).digest('base64')}`;
        packument.versions[version].dist.shasum = createHash('sha1').update(evil).digest('hex');
        await writeFile(file, JSON.stringify(packument, null, 2));
      },
      close: () => world.close(),
    };
  } catch (error) {
    await world.close();
    throw error;
  }
}
