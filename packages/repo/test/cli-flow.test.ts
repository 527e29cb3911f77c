import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, signerFromPem } from '@tufpm/models';
import { makeTarball, snapshotDir, tempDir } from './helpers.js';
import { serveRepository } from './serve.js';
import { newUpdater } from './client.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<Run> {
  const r = await cli(...args);
  assert.equal(r.code, 0, `tufpm-repo ${args.join(' ')} failed: ${r.stderr}`);
  return r;
}

async function json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  return JSON.parse((await ok(...args, '--json')).stdout) as T;
}

async function keyidOf(pemFile: string): Promise<string> {
  return signerFromPem(await readFile(pemFile, 'utf8')).key.keyid;
}

/** Reads `<v>.<role>.json` (or timestamp.json) and returns its metadata. */
async function md(dir: string, file: string): Promise<Metadata> {
  return Metadata.fromBytes(await readFile(join(dir, file)));
}

test('CLI flow: init, claim with 2-of-2 maintainers, publish, snapshot, timestamp, rotate targets and root, revoke; a real client finds the targets', async () => {
  const t = await tempDir();
  const server = { close: async () => {} };
  try {
    const M = join(t.path, 'registry', 'tuf', 'metadata');
    const K = join(t.path, 'keys');
    const repoArgs = ['--dir', M, '--keys', K];
    for (const m of ['m1', 'm2']) await ok('keygen', join(t.path, m));

    await ok('init', ...repoArgs, '--bit-length', '3');
    assert.equal((await readdir(M)).filter((f) => /^1\.unclaimed-[0-7]\.json$/.test(f)).length, 8);

    const claim = await json<{ keyids: string[]; threshold: number }>('add-package', 'pkg-a', ...repoArgs,
      '--key', join(t.path, 'm1.pub.pem'), '--key', join(t.path, 'm2.pub.json'), '--threshold', '2',
      '--sign-key', join(t.path, 'm1.pem'), '--sign-key', join(t.path, 'm2.pem'));
    assert.equal(claim.threshold, 2);
    assert.equal(claim.keyids.length, 2);
    assert.match((await ok('claim', ...repoArgs)).stdout, /^pkg-a v1: 2 of /);

    // Tarballs, laid out at their target paths as the registry serves them.
    const tgzA = await makeTarball({ name: 'pkg-a', version: '1.0.0' }, { 'index.js': 'a' });
    const tgzB = await makeTarball({ name: '@scope/pkg-b', version: '2.0.0' }, { 'index.js': 'b' });
    const files = { a: join(t.path, 'in', 'a.tgz'), b: join(t.path, 'in', 'b.tgz') };
    await mkdir(join(t.path, 'in'));
    await writeFile(files.a, tgzA);
    await writeFile(files.b, tgzB);
    const served = join(t.path, 'registry');
    for (const [path, bytes] of [['pkg-a/-/pkg-a-1.0.0.tgz', tgzA], ['@scope/pkg-b/-/pkg-b-2.0.0.tgz', tgzB]] as const) {
      await mkdir(dirname(join(served, path)), { recursive: true });
      await writeFile(join(served, path), bytes);
    }

    const pubA = await json<Array<{ role: string; targetPath: string }>>('publish', files.a, '--package', 'pkg-a', ...repoArgs,
      '--key', join(t.path, 'm1.pem'), '--key', join(t.path, 'm2.pem'));
    assert.deepEqual(pubA.map((r) => [r.role, r.targetPath]), [['pkg-a', 'pkg-a/-/pkg-a-1.0.0.tgz']]);
    const pubB = await json<Array<{ role: string }>>('publish', files.b, ...repoArgs);
    assert.match(pubB[0]!.role, /^unclaimed-[0-7]$/);
    const cover = await json<{ claimed: boolean; targets: Array<{ path: string; role: string }>; releaseList: { path: string; role: string } }>('unclaimed', '@scope/pkg-b', ...repoArgs);
    assert.equal(cover.claimed, false);
    // The version's bin, and the bin its signed release list hashes into (ADR 0013).
    assert.deepEqual(cover.targets.filter((x) => x.path.endsWith('.tgz')).map((x) => x.role), [pubB[0]!.role]);
    assert.equal(cover.releaseList.path, '@scope/pkg-b/-/tufpm-releases.json');

    const roleA = await md(M, '2.pkg-a.json');
    const targetsV = (await md(M, '2.targets.json')) as Metadata<import('@tufpm/models').Targets>;
    assert.equal(targetsV.signed.verifyDelegate('pkg-a', roleA).distinctKeys, 2);
    assert.ok(roleA.signed.type === 'targets' && (roleA.signed as import('@tufpm/models').Targets).targets.has('pkg-a/-/pkg-a-1.0.0.tgz'));

    const ts0 = (await md(M, 'timestamp.json')).signed.version;
    const snap = await json<{ snapshot: number; timestamp: number }>('snapshot', ...repoArgs);
    assert.equal(snap.timestamp, ts0 + 1);
    assert.ok((await readdir(M)).includes(`${snap.snapshot}.snapshot.json`));
    const ts = await json<{ timestamp: number }>('timestamp', ...repoArgs);
    assert.equal(ts.timestamp, ts0 + 2);

    // Rotate the targets key: root v2 (signed by the root key) lists the new targets key, targets is re-signed by it.
    const oldTargets = await keyidOf(join(K, 'offline', 'targets.pem'));
    const rotT = await json<{ newKeyid: string; versions: Record<string, number>; retiredKeyFile: string }>('rotate-key', 'targets', oldTargets.slice(0, 12), ...repoArgs);
    assert.equal(rotT.versions['root'], 2);
    const root2 = (await md(M, '2.root.json')) as Metadata<import('@tufpm/models').Root>;
    assert.deepEqual(root2.signed.getRole('targets').keyids, [rotT.newKeyid]);
    root2.signed.verifyDelegate('targets', await md(M, `${rotT.versions['targets']}.targets.json`));
    assert.ok(rotT.retiredKeyFile.includes(`${join(K, 'retired')}`));

    // Rotate the root key: root v3 must be signed by the old root key AND the new one.
    const oldRoot = await keyidOf(join(K, 'offline', 'root.pem'));
    const rotR = await json<{ newKeyid: string }>('rotate-key', 'root', join(K, 'offline', 'root.pem'), ...repoArgs);
    const root3 = (await md(M, '3.root.json')) as Metadata<import('@tufpm/models').Root>;
    assert.deepEqual([...root3.signatures.keys()].sort(), [oldRoot, rotR.newKeyid].sort());
    root2.signed.verifyDelegate('root', root3); // TUF 5.3.4: old threshold
    root3.signed.verifyDelegate('root', root3); // and new threshold
    assert.deepEqual(root3.signed.getRole('root').keyids, [rotR.newKeyid]);

    // Revoke a compromised maintainer key of pkg-a, lowering its threshold to 1.
    const m2 = await keyidOf(join(t.path, 'm2.pem'));
    const rev = await json<{ keyids: string[]; threshold: number }>('revoke', 'pkg-a', m2, '--threshold', '1', ...repoArgs);
    assert.deepEqual(rev.keyids, [await keyidOf(join(t.path, 'm1.pem'))]);
    assert.equal(rev.threshold, 1);

    const status = await json<{ healthy: boolean; roles: Array<{ name: string; verified: boolean; crossSigned?: boolean }> }>('status', ...repoArgs);
    assert.equal(status.healthy, true);
    assert.equal(status.roles.find((r) => r.name === 'root')?.crossSigned, true);

    // A real client, trusting only root v1, follows the rotations and finds both targets.
    const s = await serveRepository(M, served);
    server.close = s.close;
    const updater = await newUpdater(join(t.path, 'client'), join(M, '1.root.json'), s.url);
    await updater.refresh();
    const infoA = await updater.getTargetInfo('pkg-a/-/pkg-a-1.0.0.tgz');
    assert.equal(infoA?.length, tgzA.length);
    assert.deepEqual(Buffer.from(await updater.fetchTarget(infoA!)), Buffer.from(tgzA));
    const infoB = await updater.getTargetInfo('@scope/pkg-b/-/pkg-b-2.0.0.tgz');
    assert.equal(infoB?.hashes['sha512'], (await json<Array<{ sha512: string }>>('publish', files.b, ...repoArgs))[0]!.sha512);
    assert.equal(await updater.getTargetInfo('pkg-a/-/pkg-a-9.9.9.tgz'), undefined);
  } finally {
    await server.close();
    await t.cleanup();
  }
});

test('CLI refuses bad input with a clear code and writes nothing', async () => {
  const t = await tempDir();
  try {
    const M = join(t.path, 'metadata');
    const K = join(t.path, 'keys');
    const repoArgs = ['--dir', M, '--keys', K];
    for (const m of ['m1', 'm2', 'intruder']) await ok('keygen', join(t.path, m));
    await ok('init', ...repoArgs, '--bit-length', '2');
    await ok('add-package', 'pkg-a', ...repoArgs, '--key', join(t.path, 'm1.pub.pem'), '--sign-key', join(t.path, 'm1.pem'));
    const tgzA = join(t.path, 'a.tgz');
    const tgzB = join(t.path, 'b.tgz');
    await writeFile(tgzA, await makeTarball({ name: 'pkg-a', version: '1.0.0' }));
    await writeFile(tgzB, await makeTarball({ name: 'pkg-b', version: '1.0.0' }));
    const before = await snapshotDir(M);
    const keysBefore = await snapshotDir(K);

    const expectFail = async (code: string, ...args: string[]): Promise<void> => {
      const r = await cli(...args);
      assert.equal(r.code, 1, `expected failure of ${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`^${code}: `), r.stderr);
      assert.deepEqual(await snapshotDir(M), before, `${args[0]} wrote metadata although it failed`);
    };
    // missing key files
    await expectFail('TUF_KEY_MISSING', 'add-package', 'pkg-c', ...repoArgs, '--key', join(t.path, 'nope.pub.pem'));
    await expectFail('TUF_KEY_MISSING', 'publish', tgzA, ...repoArgs);
    await rename(join(K, 'online', 'unclaimed.pem'), join(t.path, 'unclaimed.pem'));
    await expectFail('TUF_KEY_MISSING', 'publish', tgzB, ...repoArgs);
    await rename(join(t.path, 'unclaimed.pem'), join(K, 'online', 'unclaimed.pem'));
    // keys that do not belong to the role
    await expectFail('TUF_KEY_MISMATCH', 'publish', tgzA, ...repoArgs, '--key', join(t.path, 'intruder.pem'));
    await expectFail('TUF_KEY_MISMATCH', 'add-package', 'pkg-c', ...repoArgs, '--key', join(t.path, 'm1.pub.pem'), '--sign-key', join(t.path, 'intruder.pem'));
    await writeFile(join(K, 'online', 'timestamp.stray.pem'), await readFile(join(t.path, 'intruder.pem')));
    await expectFail('TUF_KEY_MISMATCH', 'timestamp', ...repoArgs);
    await rename(join(K, 'online', 'timestamp.stray.pem'), join(t.path, 'stray.pem'));
    await expectFail('TUF_KEY_MISMATCH', 'rotate-key', 'targets', join(t.path, 'intruder.pem'), ...repoArgs);
    // a tarball whose package.json names another package
    await expectFail('TUF_PACKAGE_MISMATCH', 'publish', tgzB, '--package', 'pkg-a', ...repoArgs, '--key', join(t.path, 'm1.pem'));
    // unknown packages
    await expectFail('TUF_UNKNOWN_PACKAGE', 'revoke', 'no-such-pkg', 'abcdef0123456789', ...repoArgs);
    await expectFail('TUF_UNKNOWN_PACKAGE', 'publish', tgzB, ...repoArgs, '--key', join(t.path, 'm1.pem'));
    await expectFail('TUF_UNKNOWN_PACKAGE', 'rotate-key', 'no-such-pkg', 'abcdef0123456789', ...repoArgs, '--new-key', join(t.path, 'm2.pub.pem'));
    // claiming twice, threshold above the key count, garbage instead of a tarball
    await expectFail('TUF_PACKAGE_CLAIMED', 'add-package', 'pkg-a', ...repoArgs, '--key', join(t.path, 'm2.pub.pem'), '--sign-key', join(t.path, 'm2.pem'));
    await expectFail('TUF_INVALID_INPUT', 'add-package', 'pkg-c', ...repoArgs, '--key', join(t.path, 'm2.pub.pem'), '--threshold', '2');
    await expectFail('TUF_TARBALL', 'publish', join(t.path, 'm1.pub.json'), ...repoArgs);
    assert.deepEqual(await snapshotDir(K), keysBefore);

    // usage errors exit 2
    assert.equal((await cli()).code, 2);
    assert.equal((await cli('publish', ...repoArgs)).code, 2);
    assert.equal((await cli('status', '--dir', M)).code, 2);
    assert.equal((await cli('status', ...repoArgs, '--bogus')).code, 2);
    // the repository still works
    await ok('publish', tgzB, ...repoArgs);
  } finally {
    await t.cleanup();
  }
});
