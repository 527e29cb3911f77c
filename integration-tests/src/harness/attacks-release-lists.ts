import { writeFile } from 'node:fs/promises';
import { addPackageVersion, buildPackageTarball, packumentFile, readStoredPackument, type StoredPackument } from '@tufpm/registry';
import { createPublishHook } from '@tufpm/repo';
import type { NpmWorld } from './npm-world.js';

// Attacks on the release list a resolver chooses from (ADR 0013): the registry, a mirror or a CDN edits the
// unsigned packument (versions, dist-tags) while the TUF metadata stays current and valid.

/** Rewrites the stored packument of `name` as the registry would then serve it to everyone. */
export async function tamperPackument(world: NpmWorld, name: string, edit: (p: StoredPackument) => void): Promise<void> {
  const stored = await readStoredPackument(world.registryDir, name);
  if (stored === undefined) throw new Error(`no packument for ${name}`);
  edit(stored);
  await writeFile(packumentFile(world.registryDir, name), `${JSON.stringify(stored, null, 2)}\n`);
}

/** Case 3 of issue 14: a signed release (a security fix) disappears and `latest` points back at `latest`. */
export function hideRelease(world: NpmWorld, name: string, version: string, latest: string): Promise<void> {
  return tamperPackument(world, name, (p) => {
    delete p.versions[version];
    delete p.time[version];
    p['dist-tags']['latest'] = latest;
  });
}

/** The registry points a dist-tag at another (signed) version than the maintainers tagged. */
export function moveDistTag(world: NpmWorld, name: string, tag: string, version: string): Promise<void> {
  return tamperPackument(world, name, (p) => {
    p['dist-tags'][tag] = version;
  });
}

/**
 * A legitimate `npm publish --tag <tag>` through the registry's publish hook: the registry signs the
 * version and the package's dist-tags (its release list) with the online key.
 */
export async function publishTagged(world: NpmWorld, name: string, version: string, tag: string): Promise<void> {
  const tarball = buildPackageTarball({ name, version });
  await addPackageVersion(world.registryDir, tarball, { durable: false, distTags: { [tag]: version }, hooks: createPublishHook({ keysDir: world.keysDir }) });
  await world.repo.reloadIfChanged();
}
