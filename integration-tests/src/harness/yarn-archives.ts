// Yarn's archives as an attacker with write access to the cache or the mirror sees them, and the patched
// package (`patch:` protocol) the Yarn attack and patched-build tests share.
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addPackageVersion, buildPackageTarball } from '@tufpm/registry';
import type { NpmWorld } from './npm-world.js';
import { YarnProject } from './yarn.js';

/** A poisoned copy of a Yarn archive: the same zip with its code replaced (archives are stored, c0). */
export function poison(zip: Buffer): Buffer {
  const at = zip.indexOf('module.exports');
  assert.ok(at > 0, 'stored archive holds the code in clear');
  const out = Buffer.from(zip);
  out.write('process.exit(66);//', at, 'latin1');
  return out;
}

/** The path of the archive `prefix*.zip` in `dir` (a Yarn cache or mirror folder); fails the test when there is none. */
export async function archiveOf(dir: string, prefix: string): Promise<string> {
  const file = (await readdir(dir)).find((f) => f.startsWith(prefix) && f.endsWith('.zip'));
  assert.ok(file, `archive ${prefix}* in ${dir}`);
  return join(dir, file);
}

/**
 * Poisons the cached archive `prefix*` in place and, since Yarn names cache files after their checksum, also
 * writes it under the name of its new checksum (what an attacker who can write the cache does). Returns both.
 */
export async function poisonCachedArchive(cacheFolder: string, prefix: string): Promise<{ oldSum: string; newSum: string }> {
  const cached = await archiveOf(cacheFolder, prefix);
  const evil = poison(await readFile(cached));
  const oldSum = await YarnProject.checksumOf(cached);
  await writeFile(cached, evil);
  const newSum = await YarnProject.checksumOf(cached);
  await writeFile(cached.replace(oldSum.slice(5, 15), newSum.slice(5, 15)), evil);
  return { oldSum, newSum };
}

/** The patch file the patched-package tests apply: index.js exports "patched" instead of "original". */
export const PATCH = [
  'diff --git a/index.js b/index.js',
  '--- a/index.js',
  '+++ b/index.js',
  '@@ -1 +1 @@',
  '-module.exports = "original";',
  '+module.exports = "patched";',
  '',
].join('\n');

/** Publishes and signs `name`@1.0.0 whose index.js PATCH applies to (plus `files`, which PATCH does not touch). */
export async function publishPatchable(world: NpmWorld, name: string, files: Record<string, string> = {}): Promise<void> {
  const tarball = buildPackageTarball({ name, version: '1.0.0', files: { 'index.js': 'module.exports = "original";\n', ...files } });
  await addPackageVersion(world.registryDir, tarball, { durable: false });
  await world.repo.publishTarball(tarball);
}
