import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateEd25519KeyPair } from '@tufpm/models';
import { NpmRepository, createPublishHook, createPublishSigner, initRepository } from '../src/index.js';
import { HIDDEN_PACKAGE_JSON_PATHS, makeTarball, snapshotDir, tempDir, twoManifestTarball } from './helpers.js';
import { newUpdater } from './client.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

interface RegistryModule {
  startRegistry(opts: { dir: string; hooks?: unknown }): Promise<{ url: string; close(): Promise<void> }>;
  addPackageVersion(dir: string, tarball: Uint8Array, opts?: { hooks?: unknown }): Promise<unknown>;
}

/** @tufpm/registry depends on repo, so tests load it at run time (no build-time cycle). */
async function registry(): Promise<RegistryModule> {
  const specifier = '@tufpm/registry';
  return (await import(specifier)) as RegistryModule;
}

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

test('import fills a registry directory that a real client verifies through the loopback registry', async () => {
  const t = await tempDir();
  const { startRegistry } = await registry();
  let reg: { url: string; close(): Promise<void> } | undefined;
  try {
    const R = join(t.path, 'registry');
    const K = join(t.path, 'keys');
    const input = join(t.path, 'in', 'nested');
    await mkdir(input, { recursive: true });
    const tarballs: Record<string, Uint8Array> = {
      'alpha/-/alpha-1.0.0.tgz': await makeTarball({ name: 'alpha', version: '1.0.0' }),
      'alpha/-/alpha-1.1.0.tgz': await makeTarball({ name: 'alpha', version: '1.1.0' }),
      '@s/beta/-/beta-0.1.0.tgz': await makeTarball({ name: '@s/beta', version: '0.1.0' }),
    };
    for (const [path, bytes] of Object.entries(tarballs)) await writeFile(join(input, path.replace(/\//g, '_')), bytes);
    assert.equal((await cli('init', '--registry', R, '--keys', K, '--bit-length', '2')).code, 0);
    const r = await cli('import', join(t.path, 'in'), '--registry', R, '--keys', K, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).added, 3);
    assert.match(r.stderr, /\[3\/3\]/);
    assert.ok((await readdir(join(R, 'packuments'))).includes('alpha.json'));
    // Re-running changes no metadata.
    const before = await snapshotDir(join(R, 'tuf', 'metadata'));
    assert.equal((await cli('import', join(t.path, 'in'), '--registry', R, '--keys', K)).code, 0);
    assert.deepEqual(await snapshotDir(join(R, 'tuf', 'metadata')), before);

    reg = await startRegistry({ dir: R, hooks: createPublishHook({ keysDir: K }) });
    const updater = await newUpdater(join(t.path, 'client'), join(R, 'tuf', 'metadata', '1.root.json'), reg.url);
    for (const [path, bytes] of Object.entries(tarballs)) {
      const info = await updater.getTargetInfo(path);
      assert.ok(info !== undefined, `${path} is signed`);
      assert.deepEqual(Buffer.from(await updater.fetchTarget(info)), Buffer.from(bytes));
    }
  } finally {
    await reg?.close();
    await t.cleanup();
  }
});

test('the publish hook signs unclaimed packages and refuses claimed ones before the registry writes anything', async () => {
  const t = await tempDir();
  const { addPackageVersion } = await registry();
  try {
    const R = join(t.path, 'registry');
    const K = join(t.path, 'keys');
    const M = join(R, 'tuf', 'metadata');
    const repo = await initRepository({ dir: M, keysDir: K, bitLength: 2 });
    const maintainer = generateEd25519KeyPair();
    await repo.addPackage('claimed-pkg', [maintainer.key], 1, { signers: [maintainer.signer] });
    // The registry host holds only the online keys.
    await rename(join(K, 'offline'), join(t.path, 'offline-keys-in-a-safe'));
    const hooks = createPublishHook({ keysDir: K });
    await addPackageVersion(R, await makeTarball({ name: 'free-pkg', version: '1.0.0' }), { hooks });
    const reopened = await NpmRepository.open({ dir: M, keysDir: K });
    assert.equal(reopened.coverage('free-pkg').targets.length, 2, 'the version and its signed release list');
    assert.equal(reopened.coverage('free-pkg').releaseList?.path, 'free-pkg/-/tufpm-releases.json');

    const before = await snapshotDir(R);
    await assert.rejects(addPackageVersion(R, await makeTarball({ name: 'claimed-pkg', version: '1.0.0' }), { hooks }),
      (err: Error & { code?: string }) => err.code === 'TUF_PACKAGE_CLAIMED' && /maintainers must sign/.test(err.message));
    assert.deepEqual(await snapshotDir(R), before);

    // The bare signer checks the manifest the registry parsed against the tarball's own package.json.
    const sign = createPublishSigner({ dir: M, keysDir: K });
    await assert.rejects(sign(await makeTarball({ name: 'free-pkg', version: '2.0.0' }), { name: 'other', version: '2.0.0' }), { code: 'TUF_PACKAGE_MISMATCH' });
    await sign(await makeTarball({ name: 'free-pkg', version: '2.0.0' }), { name: 'free-pkg', version: '2.0.0' });
    const ts = JSON.parse(await readFile(join(M, 'timestamp.json'), 'utf8')) as { signed: { version: number } };
    assert.equal(ts.signed.version, 4);
  } finally {
    await t.cleanup();
  }
});

test('rejects a tarball with a second package.json hidden as package/./package.json, package//package.json or package\\package.json at tufpm-repo import, storing nothing', async () => {
  const t = await tempDir();
  try {
    const R = join(t.path, 'registry');
    const K = join(t.path, 'keys');
    assert.equal((await cli('init', '--registry', R, '--keys', K, '--bit-length', '2')).code, 0);
    const before = await snapshotDir(R);
    for (const [i, hidden] of HIDDEN_PACKAGE_JSON_PATHS.entries()) {
      const input = join(t.path, `in-${i}`);
      await mkdir(input, { recursive: true });
      await writeFile(join(input, 'twin-1.0.0.tgz'), twoManifestTarball('twin', '1.0.0', hidden));
      const r = await cli('import', input, '--registry', R, '--keys', K);
      assert.equal(r.code, 1, `${hidden}: ${r.stderr}`);
      assert.match(r.stderr, /^TUF_TARBALL_ENTRY: /m, hidden);
      assert.deepEqual(await snapshotDir(R), before, hidden);
    }
  } finally {
    await t.cleanup();
  }
});
