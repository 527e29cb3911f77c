import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createMaintainerPublishHook, initRepository, NpmRepository } from '@tufpm/repo';
import { addToken, buildPackageTarball, startRegistry, type PublishHook } from '../src/index.js';
import { tempDir } from './helpers.js';

function publishBody(name: string, version: string, tarball: Uint8Array): string {
  const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
  return JSON.stringify({
    _id: name, name, 'dist-tags': { latest: version },
    versions: { [version]: { name, version, _id: `${name}@${version}`, dist: { integrity } } },
    _attachments: { [`${name}-${version}.tgz`]: { content_type: 'application/octet-stream', data: Buffer.from(tarball).toString('base64'), length: tarball.length } },
  });
}

async function put(url: string, body: string, token: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
  return { status: res.status, json: await res.json() };
}

/** A registry directory with an initialised TUF repository (online keys only on the registry host). */
async function signingWorld(): Promise<{ R: string; M: string; K: string; token: string; cleanup: () => Promise<void> }> {
  const t = await tempDir('tufpm-order-');
  const R = join(t.path, 'registry');
  const M = join(R, 'tuf', 'metadata');
  const K = join(t.path, 'keys');
  await mkdir(R, { recursive: true });
  await initRepository({ dir: M, keysDir: K, bitLength: 2 });
  const token = await addToken(R, { user: 'alice' });
  return { R, M, K, token, cleanup: t.cleanup };
}

async function signedPaths(M: string, K: string, name: string): Promise<string[]> {
  const repo = await NpmRepository.open({ dir: M, keysDir: K });
  return repo.coverage(name).targets.map((t) => t.path).sort();
}

async function orphanCounts(M: string, K: string, R: string): Promise<{ healthy: boolean; counts: Record<string, number> | undefined }> {
  const s = await (await NpmRepository.open({ dir: M, keysDir: K })).status({ registryDir: R });
  return { healthy: s.healthy, counts: s.orphans?.counts };
}

test('rejects a package.json nesting 20,000 arrays before anything is signed: no orphan target, the version stays publishable', async () => {
  const w = await signingWorld();
  const reg = await startRegistry({ dir: w.R, hooks: [createMaintainerPublishHook({ keysDir: w.K })] });
  try {
    const deep = `{"name":"deep","version":"1.0.0","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const bad = buildPackageTarball({ name: 'deep', version: '1.0.0', files: { 'package.json': deep } });
    const res = await put(`${reg.url}/deep`, publishBody('deep', '1.0.0', bad), w.token);
    // before the fix: 500 after the hook had signed deep/-/deep-1.0.0.tgz
    assert.equal(res.status, 400, JSON.stringify(res.json));
    assert.equal(res.json.code, 'REGISTRY_BAD_TARBALL');
    assert.deepEqual(await signedPaths(w.M, w.K, 'deep'), []);
    assert.equal(existsSync(join(w.R, 'packages', 'deep')), false);
    assert.deepEqual(await orphanCounts(w.M, w.K, w.R), { healthy: true, counts: { signedWithoutFile: 0, filesWithoutTarget: 0, links: 0, interruptedPublishes: 0 } });
    const good = buildPackageTarball({ name: 'deep', version: '1.0.0' });
    assert.equal((await put(`${reg.url}/deep`, publishBody('deep', '1.0.0', good), w.token)).status, 201);
    assert.deepEqual(await signedPaths(w.M, w.K, 'deep'), ['deep/-/deep-1.0.0.tgz', 'deep/-/tufpm-releases.json']);
  } finally {
    await reg.close();
    await w.cleanup();
  }
});

test('a failure after the files are stored and before the metadata is persisted undoes the files and signs nothing', async () => {
  const w = await signingWorld();
  const signer = createMaintainerPublishHook({ keysDir: w.K });
  let failStore = false;
  // The real signer; its store step fails after the registry wrote the files (a disk error at that moment).
  const hook: PublishHook = {
    beforeAccept: (ev, store) => signer.beforeAccept(ev, async () => {
      await store();
      if (failStore) throw new Error('EIO: simulated write failure after the store');
    }),
  };
  const reg = await startRegistry({ dir: w.R, hooks: [hook] });
  try {
    assert.equal((await put(`${reg.url}/undo`, publishBody('undo', '1.0.0', buildPackageTarball({ name: 'undo', version: '1.0.0' })), w.token)).status, 201);
    const packumentBefore = await readFile(join(w.R, 'packuments', 'undo.json'));
    const timestampBefore = await readFile(join(w.M, 'timestamp.json'));
    failStore = true;
    const v2 = buildPackageTarball({ name: 'undo', version: '2.0.0' });
    assert.equal((await put(`${reg.url}/undo`, publishBody('undo', '2.0.0', v2), w.token)).status, 500);
    assert.deepEqual(await readFile(join(w.R, 'packuments', 'undo.json')), packumentBefore, 'packument restored');
    assert.equal(existsSync(join(w.R, 'packages', 'undo', '-', 'undo-2.0.0.tgz')), false, 'tarball removed');
    assert.deepEqual(await readFile(join(w.M, 'timestamp.json')), timestampBefore, 'no metadata written');
    assert.deepEqual(await signedPaths(w.M, w.K, 'undo'), ['undo/-/tufpm-releases.json', 'undo/-/undo-1.0.0.tgz']);
    assert.equal((await orphanCounts(w.M, w.K, w.R)).healthy, true);
    failStore = false;
    assert.equal((await put(`${reg.url}/undo`, publishBody('undo', '2.0.0', v2), w.token)).status, 201);
    assert.deepEqual(await signedPaths(w.M, w.K, 'undo'), ['undo/-/tufpm-releases.json', 'undo/-/undo-1.0.0.tgz', 'undo/-/undo-2.0.0.tgz']);
  } finally {
    await reg.close();
    await w.cleanup();
  }
});

test('a publish stopped after its files were stored (a killed registry) is signed at the next start (its retry is then a published version: 409)', async () => {
  const w = await signingWorld();
  // The first registry runs in a child process whose hook stores the files and then waits; the child is
  // killed with SIGKILL at that moment, as a crash between the store and the signature would leave it.
  const script = `
    import { startRegistry } from '@tufpm/registry';
    const reg = await startRegistry({ dir: process.argv[1], hooks: [{ beforeAccept: async (_ev, store) => { await store(); console.log('stored'); await new Promise(() => setInterval(() => {}, 1000)); } }] });
    console.log(reg.url);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, w.R], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const it = lines[Symbol.asyncIterator]();
  const url = String((await it.next()).value);
  const tgz = buildPackageTarball({ name: 'resumed', version: '1.0.0' });
  const pending = put(`${url}/resumed`, publishBody('resumed', '1.0.0', tgz), w.token).catch((err: unknown) => err);
  assert.equal((await it.next()).value, 'stored');
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.ok((await pending) instanceof Error, 'the publisher got no answer');
  assert.deepEqual(await readdir(join(w.R, 'publishing')), ['resumed.json'], 'the journal of the publish in flight');
  assert.deepEqual(await signedPaths(w.M, w.K, 'resumed'), []);
  assert.equal((await orphanCounts(w.M, w.K, w.R)).counts?.interruptedPublishes, 1);

  const second = await startRegistry({ dir: w.R, hooks: [createMaintainerPublishHook({ keysDir: w.K })] });
  try {
    assert.deepEqual(await signedPaths(w.M, w.K, 'resumed'), ['resumed/-/resumed-1.0.0.tgz', 'resumed/-/tufpm-releases.json']);
    assert.deepEqual(await readdir(join(w.R, 'publishing')), []);
    assert.equal((await orphanCounts(w.M, w.K, w.R)).healthy, true);
    // the publisher retries (it never got an answer): the version is published now, with the first bytes
    assert.equal((await put(`${second.url}/resumed`, publishBody('resumed', '1.0.0', tgz), w.token)).status, 409);
    const other = buildPackageTarball({ name: 'resumed', version: '1.0.0', files: { 'index.js': 'other' } });
    assert.equal((await put(`${second.url}/resumed`, publishBody('resumed', '1.0.0', other), w.token)).status, 409);
  } finally {
    await second.close();
    await w.cleanup();
  }
});

test('tufpm-repo status sees orphans: a signed target without its file, a tarball no role signs, a link', async () => {
  const w = await signingWorld();
  const reg = await startRegistry({ dir: w.R, hooks: [createMaintainerPublishHook({ keysDir: w.K })] });
  try {
    assert.equal((await put(`${reg.url}/orph`, publishBody('orph', '1.0.0', buildPackageTarball({ name: 'orph', version: '1.0.0' })), w.token)).status, 201);
    assert.equal((await orphanCounts(w.M, w.K, w.R)).healthy, true);
    await rm(join(w.R, 'packages', 'orph', '-', 'orph-1.0.0.tgz'));
    await writeFile(join(w.R, 'packages', 'orph', '-', 'orph-9.0.0.tgz'), buildPackageTarball({ name: 'orph', version: '9.0.0' }));
    await symlink('/etc/passwd', join(w.R, 'packages', 'orph', '-', 'orph-8.0.0.tgz'));
    const s = await (await NpmRepository.open({ dir: w.M, keysDir: w.K })).status({ registryDir: w.R });
    assert.equal(s.healthy, false);
    assert.deepEqual(s.orphans?.signedWithoutFile, ['orph/-/orph-1.0.0.tgz']);
    assert.deepEqual(s.orphans?.filesWithoutTarget, ['orph/-/orph-9.0.0.tgz']);
    assert.deepEqual(s.orphans?.links, ['orph/-/orph-8.0.0.tgz']);
  } finally {
    await reg.close();
    await w.cleanup();
  }
});
