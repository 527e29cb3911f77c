import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPackageTarball } from '@tufpm/registry';
import { NpmWorld } from '../src/harness/npm-world.js';

// A poisoned npm cache (cacache) and the real npm CLI working from the package-lock.json that
// tufpm-npm wrote (the lock carries the TUF-signed sha512, so npm itself enforces it).

const GENUINE = `module.exports = {"name":"cached","version":"1.0.0"};\n`;

/** Every file under dir whose bytes equal `bytes` (cacache content files are named by digest). */
async function filesWithBytes(dir: string, bytes: Uint8Array): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (Buffer.from(await readFile(path)).equals(Buffer.from(bytes))) out.push(path);
  }
  return out;
}

describe('npm cache and the real npm CLI', () => {
  let world: NpmWorld;
  let genuine: Uint8Array;
  const evil = buildPackageTarball({ name: 'cached', version: '1.0.0', files: { 'index.js': 'stealSecrets()\n' } });

  before(async () => {
    world = await NpmWorld.create();
    ({ tarball: genuine } = await world.publish('cached', '1.0.0'));
  });
  after(() => world.close());

  test('a tampered npm cache entry is never installed: refetched from the registry, refused when the registry is tampered too', async () => {
    const first = await world.project();
    assert.equal((await first.tufpmNpm(['install', 'cached'])).code, 0);
    const cacheDir = join(first.machine, '.npm', '_cacache');
    const entries = await filesWithBytes(join(cacheDir, 'content-v2'), genuine);
    assert.equal(entries.length, 1, 'the tarball is in the npm cache');
    await writeFile(entries[0]!, evil);

    // Same machine (same cache), new checkout of the project: the poisoned entry fails cacache's
    // integrity check and the genuine signed bytes are fetched again.
    const second = await world.project();
    second.machine = first.machine;
    await second.write('package.json', (await first.read('package.json'))!);
    await second.write('package-lock.json', (await first.read('package-lock.json'))!);
    await second.write('tufpm-lock.json', (await first.read('tufpm-lock.json'))!);
    const ci = await second.tufpmNpm(['ci']);
    assert.equal(ci.code, 0, ci.stderr);
    assert.equal(await second.read('node_modules/cached/index.js'), GENUINE);

    // Cache poisoned again and the registry serving the same evil bytes: refused, nothing installed.
    const again = await filesWithBytes(join(cacheDir, 'content-v2'), genuine);
    for (const file of again) await writeFile(file, evil);
    await world.replaceTarball('cached', '1.0.0', evil);
    try {
      const third = await world.project();
      third.machine = first.machine;
      await third.write('package.json', (await first.read('package.json'))!);
      await third.write('package-lock.json', (await first.read('package-lock.json'))!);
      await third.write('tufpm-lock.json', (await first.read('tufpm-lock.json'))!);
      const before = await third.state();
      const res = await third.tufpmNpm(['ci']);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /TUF_TARBALL_MISMATCH/);
      assert.match(res.stderr, /package: cached@1\.0\.0/);
      assert.deepEqual(await third.state(), before);
    } finally {
      await world.replaceTarball('cached', '1.0.0', genuine);
    }
  });

  test('real npm reads the same .npmrc, and `npm ci` enforces the signed sha512 that tufpm-npm wrote', async () => {
    const project = await world.project();
    const install = await project.tufpmNpm(['install', 'cached']);
    assert.equal(install.code, 0, install.stderr);
    await world.replaceTarball('cached', '1.0.0', evil);
    try {
      await project.freshMachine();
      // A plain `npm install` in a new project trusts the (tampered) packument integrity...
      const naive = await world.project();
      naive.machine = project.machine;
      const plain = await naive.npm(['install', 'cached', '--no-audit', '--no-fund']);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(await naive.read('node_modules/cached/index.js'), 'stealSecrets()\n', 'plain npm installs the tampered bytes');
      // ...but `npm ci` from the lock tufpm-npm wrote refuses them.
      await project.freshMachine();
      const ci = await project.npm(['ci', '--no-audit', '--no-fund']);
      assert.notEqual(ci.code, 0);
      assert.match(ci.stderr, /EINTEGRITY|integrity/i);
      assert.ok(!existsSync(join(project.dir, 'node_modules', 'cached', 'index.js')) || (await project.read('node_modules/cached/index.js')) !== 'stealSecrets()\n');
    } finally {
      await world.replaceTarball('cached', '1.0.0', genuine);
    }
  });
});
