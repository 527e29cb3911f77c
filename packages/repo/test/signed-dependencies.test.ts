import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata } from '@tufpm/models';
import { initRepository, readPackageTarball } from '../src/index.js';
import { makeTarball, tempDir } from './helpers.js';

/** The newest version of a role's metadata file (consistent snapshots: `<version>.<role>.json`). */
async function latestRole(dir: string, role: string): Promise<Metadata<import('@tufpm/models').Targets>> {
  const versions = (await readdir(dir)).filter((f) => f.endsWith(`.${role}.json`)).map((f) => Number(f.split('.')[0]));
  return Metadata.targets(await readFile(join(dir, `${Math.max(...versions)}.${role}.json`)));
}

test('publish signs the tarball\'s own dependency declarations into the target (custom.npm)', async () => {
  const t = await tempDir();
  try {
    const dir = join(t.path, 'metadata');
    const repo = await initRepository({ dir, keysDir: join(t.path, 'keys'), bitLength: 2 });
    const tgz = await makeTarball({
      name: 'host', version: '1.0.0',
      dependencies: { helper: '^1.0.0' }, optionalDependencies: { fsevents: '2.x' }, peerDependencies: { react: '>=18' },
      devDependencies: { tap: '1.0.0' },
    });
    const res = await repo.publishTarball(tgz);
    const bin = await latestRole(dir, res.role);
    assert.deepEqual(bin.signed.targets.get(res.targetPath)!.custom, {
      npm: { dependencies: { helper: '^1.0.0' }, optionalDependencies: { fsevents: '2.x' }, peerDependencies: { react: '>=18' }, manifestFields: 1 },
    });
    // A package without dependencies signs that it has none (an empty map set, not a missing one).
    const bare = await repo.publishTarball(await makeTarball({ name: 'bare', version: '1.0.0' }));
    const bareBin = await latestRole(dir, bare.role);
    assert.deepEqual(bareBin.signed.targets.get(bare.targetPath)!.custom, { npm: { manifestFields: 1 } });
  } finally {
    await t.cleanup();
  }
});

test('refuses a tarball whose dependency maps are not objects of strings or exceed the bounds', async () => {
  for (const bad of [{ dependencies: ['a'] }, { dependencies: { a: 1 } }, { peerDependencies: null }, { optionalDependencies: { a: 'x'.repeat(2049) } }]) {
    await assert.rejects(readPackageTarball(await makeTarball({ name: 'bad', version: '1.0.0', ...bad })), { code: 'TUF_TARBALL' }, JSON.stringify(bad).slice(0, 60));
  }
  const many = Object.fromEntries(Array.from({ length: 4097 }, (_, i) => [`d${i}`, '1.0.0']));
  await assert.rejects(readPackageTarball(await makeTarball({ name: 'bad', version: '1.0.0', dependencies: many })), { code: 'TUF_TARBALL' });
});
