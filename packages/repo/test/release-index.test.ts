import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Metadata, Targets, generateEd25519KeyPair, releaseIndexPath } from '@tufpm/models';
import { initRepository, type NpmRepository } from '../src/index.js';
import { checkRelease, delegationFor } from '../src/maintainer/release-check.js';
import { prepareRelease, signRole } from '../src/maintainer/role-build.js';
import { defaultLatest, nextReleaseIndex, readReleaseIndex, releaseIndexRole } from '../src/release-index.js';
import { makeTarball, tempDir } from './helpers.js';

async function setup(): Promise<{ repo: NpmRepository; cleanup: () => Promise<void> }> {
  const t = await tempDir();
  const repo = await initRepository({ dir: join(t.path, 'metadata'), keysDir: join(t.path, 'keys'), bitLength: 3 });
  return { repo, cleanup: t.cleanup };
}

// The parsed tags have no prototype (a tag may be called `__proto__`); compare plain copies.
const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x)) as unknown;
const listOf = (repo: NpmRepository, name: string): unknown => plain(readReleaseIndex(repo.repo.targetsRole(releaseIndexRole(repo, name)).signed, name));

test('latest is the highest release, or the highest prerelease when there is no release (the registry rule)', () => {
  assert.equal(defaultLatest(['1.0.0', '1.10.0', '1.9.0', '2.0.0-beta.1']), '1.10.0');
  assert.equal(defaultLatest(['2.0.0-beta.1', '2.0.0-alpha.1']), '2.0.0-beta.1');
  assert.equal(defaultLatest([]), undefined);
  assert.deepEqual(nextReleaseIndex({ versions: ['1.0.0'], distTags: { latest: '1.0.0', next: '1.0.0' } }, ['2.0.0']), { versions: ['1.0.0', '2.0.0'], distTags: { latest: '2.0.0', next: '1.0.0' } });
  assert.deepEqual(nextReleaseIndex(undefined, ['1.0.0'], { beta: '1.0.0' }), { versions: ['1.0.0'], distTags: { beta: '1.0.0' } });
});

test('a registry-signed publish signs the release list into the bin its path hashes to, with the given dist-tags', async () => {
  const { repo, cleanup } = await setup();
  try {
    await repo.publishTarball(await makeTarball({ name: 'pkg', version: '1.0.0' }));
    await repo.publishTarball(await makeTarball({ name: 'pkg', version: '1.1.0' }));
    assert.deepEqual(listOf(repo, 'pkg'), { versions: ['1.0.0', '1.1.0'], distTags: { latest: '1.1.0' } });
    assert.equal(releaseIndexRole(repo, 'pkg'), repo.unclaimedBins().getRoleForTarget(releaseIndexPath('pkg')));
    // npm publish --tag next: the registry passes the packument's tags after the publish.
    await repo.publishTarball(await makeTarball({ name: 'pkg', version: '2.0.0-rc.1' }), { distTags: { latest: '1.1.0', next: '2.0.0-rc.1' } });
    assert.deepEqual(listOf(repo, 'pkg'), { versions: ['1.0.0', '1.1.0', '2.0.0-rc.1'], distTags: { latest: '1.1.0', next: '2.0.0-rc.1' } });
    await assert.rejects(repo.publishTarball(await makeTarball({ name: 'pkg', version: '3.0.0' }), { distTags: { latest: '9.9.9' } }), RangeError);
  } finally {
    await cleanup();
  }
});

test('a claim moves the release list into the maintainers role; a maintainer release must re-sign it', async () => {
  const { repo, cleanup } = await setup();
  try {
    await repo.publishTarball(await makeTarball({ name: 'owned', version: '1.0.0' }));
    const m = generateEd25519KeyPair();
    const res = await repo.addPackage('owned', [m.key], 1, { signers: [m.signer] });
    assert.deepEqual(res.movedTargets, ['owned/-/owned-1.0.0.tgz']);
    assert.equal(releaseIndexRole(repo, 'owned'), 'owned');
    assert.deepEqual(listOf(repo, 'owned'), { versions: ['1.0.0'], distTags: { latest: '1.0.0' } });

    const current = repo.repo.targetsRole('owned');
    const tarball = await makeTarball({ name: 'owned', version: '1.1.0' });
    const { pkg, role } = await prepareRelease(current, tarball, { now: new Date(), tag: 'next' });
    signRole(role, [m.signer]);
    assert.deepEqual(plain(readReleaseIndex(role.signed, 'owned')), { versions: ['1.0.0', '1.1.0'], distTags: { latest: '1.0.0', next: '1.1.0' } });
    const delegation = delegationFor(repo.repo.targets.signed, 'owned')!;
    const upload = { path: pkg.targetPath, length: pkg.target.length, hashes: { sha512: pkg.target.hashes['sha512']!, sha256: pkg.target.hashes['sha256']! } };
    const input = { name: 'owned', delegation, current, candidate: role, now: new Date(), tarball: upload };
    assert.equal(checkRelease({ ...input, distTags: { latest: '1.0.0', next: '1.1.0' } }).complete, true);
    // The registry would serve other tags than the maintainers signed (publish --tag differs): refused.
    assert.throws(() => checkRelease({ ...input, distTags: { latest: '1.1.0' } }), { code: 'TUF_ROLE_TARGET' });
    // A role that drops the release list (an old tufpm, or an edited role) is refused.
    const stripped = new Metadata(Targets.fromJSON(role.signed.toJSON()));
    stripped.signed.targets.delete(releaseIndexPath('owned'));
    signRole(stripped, [m.signer]);
    assert.throws(() => checkRelease({ ...input, candidate: stripped }), { code: 'TUF_ROLE_TARGET' });
  } finally {
    await cleanup();
  }
});
