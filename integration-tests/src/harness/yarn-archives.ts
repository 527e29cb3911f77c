// Yarn's archives as an attacker with write access to the cache or the mirror sees them, and the patched
// package (`patch:` protocol) the Yarn attack and patched-build tests share.
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
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

/**
 * A poisoned copy of a stored (c0) Yarn archive that still reads as a valid zip: `from` replaced by `to` (same
 * length) inside one entry, whose CRC-32 is fixed in its local header and central directory record, so that
 * Yarn's patch build reads it without complaint (a base archive the patch still applies to).
 */
export function poisonValid(zip: Buffer, from: string, to: string): Buffer {
  assert.equal(from.length, to.length);
  const out = Buffer.from(zip);
  const at = out.indexOf(from, 0, 'latin1');
  assert.ok(at > 0, 'stored archive holds the code in clear');
  out.write(to, at, 'latin1');
  for (let local = out.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04])); local !== -1; local = out.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]), local + 4)) {
    assert.equal(out.readUInt16LE(local + 8), 0, 'stored entry');
    const size = out.readUInt32LE(local + 18);
    const data = local + 30 + out.readUInt16LE(local + 26) + out.readUInt16LE(local + 28);
    if (at < data || at >= data + size) continue;
    const crc = crc32(out.subarray(data, data + size));
    out.writeUInt32LE(crc, local + 14);
    for (let central = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); central !== -1; central = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), central + 4)) {
      if (out.readUInt32LE(central + 42) === local) out.writeUInt32LE(crc, central + 16);
    }
    return out;
  }
  throw new Error('no entry holds the poisoned bytes');
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
