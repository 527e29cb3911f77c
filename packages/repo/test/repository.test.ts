import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DelegatedRole, TargetFile, generateEd25519KeyPair } from '@tufpm/models';
import { Repository, loadRepository, persistRepository, readPackageTarball, checkPackageName, tarballTargetPath } from '../src/index.js';
import { HIDDEN_PACKAGE_JSON_PATHS, makeTarball, rawTarball, snapshotDir, tempDir, twoManifestTarball } from './helpers.js';

const later = (days: number): Date => new Date(Math.floor(Date.now() / 1000 + days * 86400) * 1000);

function newRepo(consistentSnapshot = true): { repo: Repository; keys: Record<string, ReturnType<typeof generateEd25519KeyPair>> } {
  const keys = { root: generateEd25519KeyPair(), targets: generateEd25519KeyPair(), snapshot: generateEd25519KeyPair(), timestamp: generateEd25519KeyPair(), dev: generateEd25519KeyPair() };
  const repo = Repository.create({ expires: { root: later(365), targets: later(365), snapshot: later(7), timestamp: later(1) }, consistentSnapshot });
  for (const r of ['root', 'targets', 'snapshot', 'timestamp'] as const) repo.addKey(r, keys[r].key);
  return { repo, keys };
}

function signAll(repo: Repository, keys: ReturnType<typeof newRepo>['keys'], delegated: string[]): void {
  for (const d of delegated) repo.sign(d, [keys.dev.signer]);
  repo.sign('targets', [keys.targets.signer]);
  repo.updateSnapshot({ lengthAndHashes: true });
  repo.sign('snapshot', [keys.snapshot.signer]);
  repo.updateTimestamp();
  repo.sign('timestamp', [keys.timestamp.signer]);
  repo.sign('root', [keys.root.signer]);
}

test('persist and load round-trip delegations in order, path_hash_prefixes included; versions bump once per cycle', async () => {
  const t = await tempDir();
  try {
    const { repo, keys } = newRepo();
    // Integer-like role names must keep their delegation order (a plain object would reorder them).
    repo.delegate('targets', new DelegatedRole({ name: '10', terminating: false, paths: ['a/*'] }), [keys.dev.key], { expires: later(30) });
    repo.delegate('targets', new DelegatedRole({ name: '2', terminating: true, pathHashPrefixes: ['0', '8'] }), [keys.dev.key], { expires: later(30) });
    repo.delegate('targets', new DelegatedRole({ name: '@s/x', terminating: true, paths: ['@s/x/-/*'] }), [keys.dev.key], { expires: later(30), before: '10' });
    repo.addTarget('10', TargetFile.fromData('a/b', new Uint8Array([1])));
    signAll(repo, keys, ['10', '2', '@s/x']);
    await persistRepository(repo, t.path);
    const files = await readdir(t.path);
    for (const f of ['1.root.json', '1.targets.json', '1.10.json', '1.2.json', '1.@s%2Fx.json', '1.snapshot.json', 'timestamp.json']) assert.ok(files.includes(f), f);

    const loaded = await loadRepository(t.path);
    assert.deepEqual(loaded.targets.signed.delegations!.roles!.map((r) => r.name), ['@s/x', '10', '2']);
    assert.deepEqual(loaded.targets.signed.delegations!.roles![2]!.pathHashPrefixes, ['0', '8']);
    assert.ok(loaded.targetsRole('10').signed.targets.has('a/b'));
    // Two edits, one new version.
    loaded.addTarget('10', TargetFile.fromData('a/c', new Uint8Array([2])));
    loaded.addTarget('10', TargetFile.fromData('a/d', new Uint8Array([3])));
    assert.equal(loaded.targetsRole('10').signed.version, 2);
    loaded.sign('10', [keys.dev.signer]);
    loaded.updateSnapshot();
    loaded.sign('snapshot', [keys.snapshot.signer]);
    loaded.updateTimestamp();
    loaded.sign('timestamp', [keys.timestamp.signer]);
    const written = await persistRepository(loaded, t.path);
    assert.deepEqual(written.map((w) => w.file), ['2.10.json', '2.snapshot.json', 'timestamp.json']);
  } finally {
    await t.cleanup();
  }
});

test('persist refuses under-signed roles, stale snapshots and unknown signing keys before writing anything', async () => {
  const t = await tempDir();
  try {
    const { repo, keys } = newRepo();
    signAll(repo, keys, []);
    await persistRepository(repo, t.path);
    const before = await snapshotDir(t.path);
    repo.addTarget('targets', TargetFile.fromData('f', new Uint8Array([1])));
    assert.throws(() => repo.sign('targets', [keys.dev.signer]), { code: 'TUF_KEY_MISMATCH' });
    await assert.rejects(persistRepository(repo, t.path), { code: 'TUF_THRESHOLD' });
    repo.sign('targets', [keys.targets.signer]);
    await assert.rejects(persistRepository(repo, t.path), { code: 'TUF_REPOSITORY' }); // snapshot not updated
    assert.deepEqual(await snapshotDir(t.path), before);
    repo.discardChanges();
    assert.equal(repo.targets.signed.version, 1);
    assert.equal(repo.targets.signed.targets.size, 0);
  } finally {
    await t.cleanup();
  }
});

test('without consistent snapshots roles are written unversioned (root always versioned)', async () => {
  const t = await tempDir();
  try {
    const { repo, keys } = newRepo(false);
    signAll(repo, keys, []);
    await persistRepository(repo, t.path);
    assert.deepEqual((await readdir(t.path)).sort(), ['1.root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    assert.equal((await loadRepository(t.path)).snapshot.signed.version, 1);
  } finally {
    await t.cleanup();
  }
});

test('tarball reading refuses a second package.json and names that could escape a path', async () => {
  // A tarball with package/package.json twice: the registry could read one while npm extracts the other.
  const dup = await makeTarball({ name: 'a', version: '1.0.0' }, {}, 'package');
  const pkg = await readPackageTarball(dup);
  assert.equal(pkg.targetPath, 'a/-/a-1.0.0.tgz');
  const { create } = await import('tar');
  const t = await tempDir();
  try {
    const { mkdir, writeFile, readFile } = await import('node:fs/promises');
    await mkdir(join(t.path, 'package'));
    await writeFile(join(t.path, 'package', 'package.json'), JSON.stringify({ name: 'a', version: '1.0.0' }));
    await create({ gzip: true, file: join(t.path, 'dup.tgz'), cwd: t.path }, ['package/package.json', 'package/package.json']);
    // the same file twice (same bytes and mode) is one manifest for every reader: accepted (agent-base 7.1.4 ships such entries)
    assert.equal((await readPackageTarball(new Uint8Array(await readFile(join(t.path, 'dup.tgz'))))).targetPath, 'a/-/a-1.0.0.tgz');
    const pj = JSON.stringify({ name: 'a', version: '1.0.0' });
    const other = JSON.stringify({ name: 'a', version: '1.0.0', scripts: { install: 'evil' } });
    await assert.rejects(readPackageTarball(rawTarball([{ path: 'package/package.json', data: pj }, { path: 'package/package.json', data: other }])), { code: 'TUF_TARBALL_ENTRY', message: /other bytes or another mode/ });
  } finally {
    await t.cleanup();
  }
  await assert.rejects(readPackageTarball(new Uint8Array([1, 2, 3])), { code: 'TUF_TARBALL' });
  for (const bad of ['../x', 'a/b', '@s/../x', '', '@s/', '.hidden', 'a b']) assert.throws(() => checkPackageName(bad), { code: 'TUF_INVALID_INPUT' }, bad);
  assert.throws(() => tarballTargetPath('a', '1.0.0/../../x'), { code: 'TUF_INVALID_INPUT' });
  assert.equal(tarballTargetPath('@babel/core', '7.24.0'), '@babel/core/-/core-7.24.0.tgz');
});

for (const hidden of HIDDEN_PACKAGE_JSON_PATHS) {
  test(`rejects a tarball with a second package.json hidden as ${hidden} (repository tooling)`, async () => {
    await assert.rejects(readPackageTarball(twoManifestTarball('twin', '1.0.0', hidden)), { code: 'TUF_TARBALL_ENTRY' });
  });
}

test('rejects tarball entries outside the package directory or with a leading ./ (npm and Yarn extract them differently)', async () => {
  const pj = JSON.stringify({ name: 'a', version: '1.0.0' });
  await assert.rejects(readPackageTarball(rawTarball([{ path: 'package/package.json', data: pj }, { path: 'other/index.js', data: '1' }])), { code: 'TUF_TARBALL_ENTRY' });
  await assert.rejects(readPackageTarball(rawTarball([{ path: './package/package.json', data: pj }])), { code: 'TUF_TARBALL_ENTRY' });
  // Empty and `.` segments below package/ are collapsed as every installer does: a single manifest is fine.
  const pkg = await readPackageTarball(rawTarball([{ path: 'package/./package.json', data: pj }, { path: 'package//lib/./a.js', data: '1' }]));
  assert.equal(pkg.targetPath, 'a/-/a-1.0.0.tgz');
});
