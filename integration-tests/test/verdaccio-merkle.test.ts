// verdaccio-tufpm in the Merkle snapshot profile (ADR 0018, ADR 0021/0022): a real Verdaccio 6.8 whose
// repository was created with `snapshot: merkle`; each accepted publish commits one tree epoch, the plugin
// serves the proofs under /-/tuf/metadata/merkle/<root>/, and real tufpm-npm and Yarn install through it.
// The attacks: a forged proof and a proof for another root in the registry's directory, and a bin role
// rolled back in a new tree signed with the online timestamp key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { Metadata, encodeRoleName, releaseIndexPath } from '@tufpm/models';
import { parseDelta, verifyProof } from '@tufpm/merkle';
import { createTufpmMiddleware } from 'verdaccio-tufpm';
import { forgeMerkleProof, forgeMerkleRoleRollback, servedTreeHead } from '../src/harness/attacks-merkle.js';
import { VerdaccioWorld, type VerdaccioProject } from '../src/harness/verdaccio.js';

async function refused(project: VerdaccioProject, tool: 'npm' | 'yarn', args: string[], code: RegExp): Promise<void> {
  const before = await project.state();
  const res = tool === 'npm' ? await project.tufpmNpm(args) : await project.yarn(args);
  assert.equal(res.code, 1, `${tool} ${args.join(' ')}: exit code 1 expected\n${res.stdout}${res.stderr}`);
  assert.match(tool === 'npm' ? res.stderr : res.stdout, code);
  assert.deepEqual(await project.state(), before, 'the project is unchanged');
}

describe('verdaccio-tufpm in the Merkle snapshot profile', () => {
  let world: VerdaccioWorld;
  before(async () => {
    world = await VerdaccioWorld.create({ snapshot: 'merkle' });
  });
  after(() => world.close());

  const binOf = (name: string, version: string): string => world.repo.unclaimedBins().getRoleForTarget(`${name}/-/${name}-${version}.tgz`);

  test('each npm publish commits one tree epoch; the plugin serves the proofs under the signed root; tufpm-npm and Yarn install, the tree pinned', async () => {
    const before = await world.served();
    assert.equal((await world.npmPublish('tree-a', '1.0.0')).code, 0);
    const yarnPub = await world.yarnPublish('tree-b', '1.0.0');
    assert.equal(yarnPub.code, 0, yarnPub.stdout + yarnPub.stderr);
    const after = await world.served();
    assert.equal(after.snapshot, before.snapshot + 2, 'one epoch per accepted publish');
    const ts = Metadata.timestamp(new Uint8Array(await (await fetch(`${world.url}-/tuf/metadata/timestamp.json`)).arrayBuffer()));
    const head = ts.signed.unrecognized['x-tufpm-merkle'] as { root: string; size: number };
    assert.deepEqual(head, await servedTreeHead(world.metadataDir));
    assert.equal((await fetch(`${world.url}-/tuf/metadata/${after.snapshot}.snapshot.json`)).status, 404, 'no snapshot file in this profile');
    const bin = binOf('tree-b', '1.0.0');
    const proof = await fetch(`${world.url}-/tuf/metadata/merkle/${head.root}/${encodeRoleName(bin)}.proof.json`);
    assert.equal(proof.status, 200);
    assert.match(proof.headers.get('cache-control') ?? '', /immutable/);
    const proven = verifyProof(new Uint8Array(await proof.arrayBuffer()), bin, Buffer.from(head.root, 'hex'));
    assert.ok(proven.present && proven.value.version >= 2, `${bin} proven at its published version`);
    const delta = parseDelta(new Uint8Array(await (await fetch(`${world.url}-/tuf/metadata/merkle/${head.root}/delta.json`)).arrayBuffer()));
    const signedBins = [...new Set([bin, world.repo.unclaimedBins().getRoleForTarget(releaseIndexPath('tree-b'))])].sort();
    assert.deepEqual(delta.leaves.map((l) => l.name), signedBins, 'the epoch of the last publish sets only the bins it signed (tarball, release list)');
    assert.equal((await fetch(`${world.url}-/tuf/metadata/merkle/${head.root}/..%2F.store%2Fhead.json`)).status, 404);
    assert.equal((await (await fetch(`${world.url}-/tufpm/health`)).json() as { status: string }).status, 'ok');

    const npmProject = await world.project({ 'tree-a': '^1.0.0', 'tree-b': '^1.0.0' });
    const npm = await npmProject.tufpmNpm(['install']);
    assert.equal(npm.code, 0, npm.stderr);
    assert.deepEqual((JSON.parse((await npmProject.state()).tufpmLock as string) as { merkle: unknown }).merkle, head);
    const yarnProject = await world.project({ 'tree-a': '^1.0.0', 'tree-b': '^1.0.0' });
    const yarn = await yarnProject.yarn(['install']);
    assert.equal(yarn.code, 0, yarn.stdout + yarn.stderr);
    assert.deepEqual((JSON.parse((await yarnProject.state()).tufpmLock as string) as { merkle: unknown }).merkle, head);
  });

  test('the filter serves the signed release list in this profile too: a dist-tag moved by another Verdaccio account (anyone can register) does not reach installs (red team s7 F3)', async () => {
    for (const v of ['1.0.0', '1.1.0']) assert.equal((await world.npmPublish('tagged', v)).code, 0);
    const reg = await fetch(`${world.url}-/user/org.couchdb.user:mallory`, {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'mallory', password: 'mallory-password-123' }),
    });
    assert.equal(reg.status, 201);
    const { token } = (await reg.json()) as { token: string };
    const moved = await fetch(`${world.url}-/package/tagged/dist-tags/latest`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify('1.0.0') });
    assert.ok(moved.status < 500, `dist-tag change: HTTP ${moved.status}`);
    const packument = (await (await fetch(`${world.url}tagged`)).json()) as { 'dist-tags': Record<string, string> };
    assert.deepEqual(packument['dist-tags'], { latest: '1.1.0' }, 'the signed dist-tags are served, not the moved one');
    const npm = await (await world.project({ tagged: 'latest' })).tufpmNpm(['install']);
    assert.equal(npm.code, 0, npm.stderr);
    const yarn = await (await world.project({ tagged: 'latest' })).yarn(['install']);
    assert.equal(yarn.code, 0, yarn.stdout + yarn.stderr);
  });

  test('rejects a config whose snapshot profile is not the repository\'s: the plugin does not start (VERDACCIO_TUFPM_CONFIG)', async () => {
    const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const auth = { allow_publish: () => undefined } as unknown as Parameters<typeof createTufpmMiddleware>[2];
    await assert.rejects(
      createTufpmMiddleware({ dir: world.tufDir, keys: world.keysDir, renew: false }, { config: {}, logger }, auth, {} as Parameters<typeof createTufpmMiddleware>[3]),
      (err: Error & { code?: string }) => err.code === 'VERDACCIO_TUFPM_CONFIG' && /merkle snapshot profile/.test(err.message),
    );
  });

  /** Forges the proof file of `role` under the served root (the registry's disk), runs `attack`, removes it. */
  const withForgedProof = async (role: string, kind: 'other-root' | 'raised', attack: () => Promise<void>): Promise<void> => {
    const { file, original } = await forgeMerkleProof(world.metadataDir, role, kind);
    try {
      await attack();
    } finally {
      if (original === undefined) await rm(file);
      else await writeFile(file, original);
    }
  };

  test('rejects a forged proof (a bin\'s version raised) and a proof for a different root (the bin\'s genuine proof under an older tree), tufpm-npm and Yarn, the project unchanged', async () => {
    assert.equal((await world.npmPublish('proven', '1.0.0')).code, 0);
    const bin = binOf('proven', '1.0.0');
    await withForgedProof(bin, 'raised', async () => {
      await refused(await world.project({ proven: '1.0.0' }), 'npm', ['install'], /TUF_MERKLE_PROOF/);
      await refused(await world.project({ proven: '1.0.0' }), 'yarn', ['install'], /TUF_MERKLE_PROOF/);
    });
    await withForgedProof(bin, 'other-root', async () => {
      await refused(await world.project({ proven: '1.0.0' }), 'npm', ['install'], /TUF_MERKLE_PROOF/);
      await refused(await world.project({ proven: '1.0.0' }), 'yarn', ['install'], /TUF_MERKLE_PROOF/);
    });
    const after = await world.project({ proven: '1.0.0' });
    assert.equal((await after.tufpmNpm(['install'])).code, 0, 'the genuine proof installs again');
  });

  test('rejects a bin rolled back in a new tree signed with the online timestamp key (pinned role version), tufpm-npm and Yarn', async () => {
    // last in this world: the forged epoch stays in the registry's tree
    assert.equal((await world.npmPublish('rolled', '1.0.0')).code, 0);
    assert.equal((await world.npmPublish('rolled', '1.0.1')).code, 0);
    const npmProject = await world.project({ rolled: '1.0.1' });
    const npm = await npmProject.tufpmNpm(['install']);
    assert.equal(npm.code, 0, npm.stderr);
    const yarnProject = await world.project({ rolled: '1.0.1' });
    const yarn = await yarnProject.yarn(['install']);
    assert.equal(yarn.code, 0, yarn.stdout);
    const forged = await forgeMerkleRoleRollback({ metadataDir: world.metadataDir, timestampSigners: () => world.repo.signersFor('timestamp') }, binOf('rolled', '1.0.1'));
    assert.equal(forged.to, forged.from - 1);
    await refused(npmProject, 'npm', ['install'], /TUF_PIN_ROLLBACK/);
    await refused(yarnProject, 'yarn', ['install'], /TUF_PIN_ROLLBACK/);
  });
});
