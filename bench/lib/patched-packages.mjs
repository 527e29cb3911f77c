// Real packages Yarn patches with its builtin compat patches, added to the generated bench registry (the
// 'realistic' profile, issue 20): `resolve` 1.22.x and `typescript` 5.x, whose descriptors Yarn rewrites to
// `patch:<name>@npm%3A<version>#optional!builtin<compat/...>` locators, so the plugin's patched-archive path
// (rebuild from the verified base archive and compare, then the sealed binding of ADR 0020) is part of the
// measured install, as on most real projects. The tarballs and their dependencies' (resolve's closure) come
// from the real-tree bench's lock and cache (bench/real-tree/fetch.mjs: fetched once from the npm registry
// configured on this machine, checked against the lock's integrity), and are published into the running
// registry the way an unclaimed `npm publish` is: signed by the online key into their hash bins.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addPackageVersion } from '@tufpm/registry';
import { createPublishSigner } from '@tufpm/repo';
import { TREE_DIR, ensureTarballs } from '../real-tree/fetch.mjs';

/** What the bench project depends on; their closure is read from the real-tree lock. */
export const PATCHED_ROOTS = ['resolve', 'typescript'];

/** Names of the roots' closure in the lock (hoisted entries only: a nested one would need its own version). */
async function lockClosure() {
  const lock = JSON.parse(await readFile(join(TREE_DIR, 'package-lock.json'), 'utf8')).packages;
  const names = new Set();
  const queue = [...PATCHED_ROOTS];
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    if (names.has(name)) continue;
    const entry = lock[`node_modules/${name}`];
    if (entry === undefined) throw new Error(`bench/real-tree/package-lock.json has no hoisted ${name}`);
    names.add(name);
    queue.push(...Object.keys(entry.dependencies ?? {}));
  }
  return names;
}
// Old publish times (like the generated universe's): deterministic packuments, past any age gate.
const EPOCH = Date.parse('2021-01-01T00:00:00.000Z');

/**
 * Publishes the patched packages into `registry` (the harness's SignedRegistry); returns the bench
 * project's extra root dependencies (exact versions) and the `name@version` keys added to the closure.
 */
export async function addPatchedPackages(registry) {
  const { dir, packages } = await ensureTarballs({ only: await lockClosure() });
  const signer = createPublishSigner({ dir: registry.metadataDir, keysDir: registry.keysDir });
  const hooks = { beforeAccept: (e) => signer(e.tarball, e.manifest) };
  let tick = 0;
  for (const p of packages) {
    const tarball = new Uint8Array(await readFile(join(dir, p.file)));
    await addPackageVersion(registry.dir, tarball, { time: new Date(EPOCH + tick++ * 60_000), durable: false, hooks });
  }
  const rootDependencies = Object.fromEntries(packages.filter((p) => PATCHED_ROOTS.includes(p.name)).map((p) => [p.name, p.version]));
  return { rootDependencies, closure: packages.map((p) => `${p.name}@${p.version}`) };
}
