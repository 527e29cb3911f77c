import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, TargetFile, type Targets } from '@tufpm/models';
import { NpmRepository } from '../src/index.js';
import { RegistryResponseError } from '../src/maintainer/errors.js';
import { fetchStaged, publishRelease, type PublishReleaseResult } from '../src/maintainer/registry-client.js';
import { openClientSession } from '../src/maintainer/remote-role.js';
import { prepareRelease, signRole } from '../src/maintainer/role-build.js';
import { buildRefreshRole } from '../src/maintainer/role-refresh.js';
import { readPackageTarball } from '../src/tarball.js';
import { makeTarball, snapshotDir } from './helpers.js';
import { maintainer, registryModule, startWorld, type Maintainer, type World } from './maintainer-world.js';

async function currentRole(w: World, name: string): Promise<Metadata<Targets>> {
  const repo = await NpmRepository.open({ dir: w.M, keysDir: w.K });
  return repo.repo.targetsRole(name);
}

/** Signs a release of name@version on top of the role the registry serves now and publishes it. */
async function release(w: World, name: string, version: string, signers: Maintainer[], edit?: (role: Metadata<Targets>) => void, base?: Metadata<Targets>): Promise<PublishReleaseResult> {
  const tarball = await makeTarball({ name, version });
  const { pkg, role } = await prepareRelease(base ?? await currentRole(w, name), tarball, { now: new Date() });
  edit?.(role);
  signRole(role, signers.map((s) => s.signer));
  return publishRelease({ registryUrl: w.url, token: w.token, tarball, pkg, role });
}

async function plainPublish(w: World, name: string, version: string): Promise<PublishReleaseResult> {
  const tarball = await makeTarball({ name, version });
  return publishRelease({ registryUrl: w.url, token: w.token, tarball, pkg: await readPackageTarball(tarball) });
}

/** What an installer sees: the signing role of name@version through a fresh TUF client, or the error. */
async function installerView(w: World, name: string, version: string): Promise<{ rolePath: readonly string[]; roleVersion: number } | undefined> {
  const s = await openClientSession({ registryUrl: w.url, trustedRootPath: w.rootFile, cacheDir: join(w.dir, `client-${Math.random().toString(36).slice(2)}`) });
  const info = await s.getTargetInfo(`${name}/-/${name.split('/').pop()}-${version}.tgz`);
  return info === undefined ? undefined : { rolePath: info.rolePath, roleVersion: (info as unknown as { roleVersion: number }).roleVersion };
}

function refusedWith(code: string, pattern?: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof RegistryResponseError, String(err));
    assert.equal(err.remoteCode, code, err.message);
    assert.equal(err.status, 403);
    if (pattern !== undefined) assert.match(err.message, pattern);
    return true;
  };
}

test('claim adopts the registry-signed versions; then only the maintainers\' role signs the package', async () => {
  const w = await startWorld();
  try {
    const a = maintainer();
    assert.equal((await plainPublish(w, 'left-pad', '1.0.0')).outcome, 'published');
    assert.deepEqual((await installerView(w, 'left-pad', '1.0.0'))!.rolePath.slice(0, 2), ['targets', 'unclaimed']);
    await w.claim('left-pad', [a], 1);
    const view = await installerView(w, 'left-pad', '1.0.0');
    assert.deepEqual(view!.rolePath, ['targets', 'left-pad'], 'the adopted version is now signed by the maintainers');
    const repo = await NpmRepository.open({ dir: w.M, keysDir: w.K });
    assert.equal(repo.coverage('left-pad').claimed, true);
    const targets = repo.repo.targets.signed.delegations!.roles!.map((r) => r.name);
    assert.deepEqual(targets, ['left-pad', 'unclaimed'], 'claimed roles are listed before the unclaimed bins');
    assert.equal(repo.repo.targets.signed.delegations!.roles![0]!.terminating, true);
    assert.equal(repo.repo.verification('left-pad').verified, true);
  } finally {
    await w.close();
  }
});

test('accepts a maintainer-signed release and re-signs snapshot and timestamp; installers see the new version', async () => {
  const w = await startWorld();
  try {
    const a = maintainer();
    await w.claim('left-pad', [a], 1);
    const ts = async (): Promise<number> => Metadata.timestamp(await readFile(join(w.M, 'timestamp.json'))).signed.version;
    const before = await ts();
    const r = await release(w, 'left-pad', '1.1.0', [a]);
    assert.equal(r.outcome, 'published');
    assert.equal(await ts(), before + 1);
    assert.deepEqual(await installerView(w, 'left-pad', '1.1.0'), { rolePath: ['targets', 'left-pad'], roleVersion: 2 });
    const { readStoredPackument } = await registryModule();
    assert.ok((await readStoredPackument(w.R, 'left-pad'))!.versions['1.1.0'] !== undefined);
    // The registry's directory holds no maintainer key (and the repository keys live outside it).
    const all = [...(await snapshotDir(w.R)).keys()];
    assert.ok(all.every((f) => !f.endsWith('.pem') && !f.endsWith('.key')), all.join(', '));
  } finally {
    await w.close();
  }
});

test('refuses a plain npm publish of a claimed package and says how to sign; nothing is written', async () => {
  const w = await startWorld();
  try {
    await w.claim('left-pad', [maintainer()], 1);
    const before = await snapshotDir(w.R);
    await assert.rejects(plainPublish(w, 'left-pad', '2.0.0'), refusedWith('TUF_MAINTAINER_SIGNATURE_REQUIRED', /tufpm sign <tarball>[\s\S]*tufpm publish/));
    assert.deepEqual(await snapshotDir(w.R), before);
  } finally {
    await w.close();
  }
});

test('rejects a release signed by a key that is not a maintainer key of the package (wrong maintainer key)', async () => {
  const w = await startWorld();
  try {
    const [a, mallory] = [maintainer(), maintainer()];
    await w.claim('left-pad', [a], 1);
    await w.claim('other-pkg', [mallory], 1);
    const before = await snapshotDir(w.R);
    await assert.rejects(release(w, 'left-pad', '1.1.0', [mallory]), refusedWith('TUF_ROLE_REFUSED', /not a maintainer key of left-pad/));
    // A valid signature next to a foreign one is refused too: the publisher used a wrong key.
    await assert.rejects(release(w, 'left-pad', '1.1.0', [a, mallory]), refusedWith('TUF_ROLE_REFUSED'));
    assert.deepEqual(await snapshotDir(w.R), before);
  } finally {
    await w.close();
  }
});

test('rejects a role altered after signing', async () => {
  const w = await startWorld();
  try {
    const a = maintainer();
    await w.claim('left-pad', [a], 1);
    const tarball = await makeTarball({ name: 'left-pad', version: '1.1.0' });
    const { pkg, role } = await prepareRelease(await currentRole(w, 'left-pad'), tarball, { now: new Date() });
    signRole(role, [a.signer]);
    role.signed.expires = new Date(role.signed.expires.getTime() + 86_400_000);
    await assert.rejects(publishRelease({ registryUrl: w.url, token: w.token, tarball, pkg, role }), refusedWith('TUF_ROLE_REFUSED', /does not verify/));
  } finally {
    await w.close();
  }
});

test('rejects a stale role version (a role signed for an older state)', async () => {
  const w = await startWorld();
  try {
    const a = maintainer();
    await w.claim('left-pad', [a], 1);
    const v1 = await currentRole(w, 'left-pad');
    assert.equal((await release(w, 'left-pad', '1.1.0', [a])).outcome, 'published');
    // Built on v1 again: version 2, but the registry is at 2 already.
    await assert.rejects(release(w, 'left-pad', '1.2.0', [a], undefined, v1), refusedWith('TUF_ROLE_VERSION', /current role is version 2/));
    // Skipping a version is refused as well.
    await assert.rejects(release(w, 'left-pad', '1.2.0', [a], (r) => { r.signed.version += 1; }), refusedWith('TUF_ROLE_VERSION'));
    assert.equal((await release(w, 'left-pad', '1.2.0', [a])).outcome, 'published');
  } finally {
    await w.close();
  }
});

test('rejects a role with a target outside the package\'s path', async () => {
  const w = await startWorld();
  try {
    const a = maintainer();
    await w.claim('left-pad', [a], 1);
    const victim = await makeTarball({ name: 'victim', version: '9.9.9' });
    for (const path of ['victim/-/victim-9.9.9.tgz', 'left-pad/-/sub/left-pad-1.1.0.tgz', '@left-pad/x/-/x-1.0.0.tgz']) {
      await assert.rejects(release(w, 'left-pad', '1.1.0', [a], (r) => { r.signed.targets.set(path, TargetFile.fromData(path, victim, ['sha512', 'sha256'])); }),
        refusedWith('TUF_ROLE_PATH'), path);
    }
  } finally {
    await w.close();
  }
});

test('rejects a role whose new target is not the uploaded tarball byte for byte, or that changes a published version', async () => {
  const w = await startWorld();
  try {
    const a = maintainer();
    assert.equal((await plainPublish(w, 'left-pad', '1.0.0')).outcome, 'published');
    await w.claim('left-pad', [a], 1);
    const other = await makeTarball({ name: 'left-pad', version: '1.1.0' }, { 'evil.js': 'x' });
    await assert.rejects(release(w, 'left-pad', '1.1.0', [a], (r) => {
      r.signed.targets.set('left-pad/-/left-pad-1.1.0.tgz', TargetFile.fromData('left-pad/-/left-pad-1.1.0.tgz', other, ['sha512', 'sha256']));
    }), refusedWith('TUF_ROLE_TARGET', /does not match the uploaded tarball/));
    await assert.rejects(release(w, 'left-pad', '1.1.0', [a], (r) => {
      r.signed.targets.set('left-pad/-/left-pad-1.0.0.tgz', TargetFile.fromData('left-pad/-/left-pad-1.0.0.tgz', other, ['sha512', 'sha256']));
    }), refusedWith('TUF_ROLE_TARGET', /changes/));
    await assert.rejects(release(w, 'left-pad', '1.1.0', [a], (r) => { r.signed.targets.delete('left-pad/-/left-pad-1.0.0.tgz'); }), refusedWith('TUF_ROLE_TARGET', /drops/));
  } finally {
    await w.close();
  }
});

test('a below-threshold role is staged, never served to installers, and co-signing completes it', async () => {
  const w = await startWorld();
  try {
    const [a, b] = [maintainer(), maintainer()];
    await w.claim('left-pad', [a, b], 2);
    const metaBefore = await readdir(w.M);
    const tarball = await makeTarball({ name: 'left-pad', version: '1.1.0' });
    const { pkg, role } = await prepareRelease(await currentRole(w, 'left-pad'), tarball, { now: new Date() });
    signRole(role, [a.signer]);
    const r = await publishRelease({ registryUrl: w.url, token: w.token, tarball, pkg, role });
    assert.equal(r.outcome, 'staged');
    assert.match(r.message, /1 of 2 maintainer signatures/);
    // Not served: no new metadata file, no packument entry, no tarball, and installers find nothing.
    assert.deepEqual(await readdir(w.M), metaBefore);
    assert.equal((await fetch(`${w.url}left-pad`)).status, 404);
    assert.equal((await fetch(`${w.url}left-pad/-/left-pad-1.1.0.tgz`)).status, 404);
    assert.equal(await installerView(w, 'left-pad', '1.1.0'), undefined);
    assert.equal((await fetch(`${w.url}-/tufpm/staged/left-pad`)).status, 401, 'staged releases need a publish token');
    // The co-signer fetches the staged role and tarball with the token, checks and signs.
    const staged = await fetchStaged(w.url, w.token, 'left-pad');
    assert.ok(staged !== undefined);
    assert.deepEqual(Buffer.from(staged.tarball), Buffer.from(tarball));
    assert.equal(staged.role.signatures.size, 1);
    // Co-signing only with b's signature works too: the registry merges it with the staged one.
    const cosigned = Metadata.fromJSON(staged.role.toJSON(), 'targets');
    cosigned.signatures.clear();
    signRole(cosigned, [b.signer]);
    const done = await publishRelease({ registryUrl: w.url, token: w.token, tarball: staged.tarball, pkg, role: cosigned });
    assert.equal(done.outcome, 'published');
    assert.deepEqual(await installerView(w, 'left-pad', '1.1.0'), { rolePath: ['targets', 'left-pad'], roleVersion: 2 });
    assert.equal(await fetchStaged(w.url, w.token, 'left-pad'), undefined, 'the staged copy is gone');
    const served = await currentRole(w, 'left-pad');
    assert.equal(served.signatures.size, 2);
  } finally {
    await w.close();
  }
});

for (const attack of ['forged package role', 'version slipped into the unclaimed bin'] as const) {
  test(`registry compromise (${attack}): an attacker holding every online key cannot ship a new version of a claimed package`, async () => {
    const w = await startWorld();
    try {
      const a = maintainer();
      await w.claim('left-pad', [a], 1);
      // The attacker owns the registry host: the online keys and the metadata directory, not the
      // offline targets key (kept by the operator) nor any maintainer key.
      await rm(join(w.K, 'offline'), { recursive: true });
      const repo = await NpmRepository.open({ dir: w.M, keysDir: w.K });
      const evil = await makeTarball({ name: 'left-pad', version: '6.6.6' }, { 'index.js': 'steal()' });
      const pkg = await readPackageTarball(evil);
      // The repository tooling itself refuses to sign a claimed package with the online key.
      await assert.rejects(repo.publishTarball(evil, { onlineOnly: true }), { code: 'TUF_PACKAGE_CLAIMED' });
      // So the attacker forges metadata by hand, under freshly signed snapshot and timestamp.
      await repo.transaction(async (r) => {
        const online = (await repo.signersFor('unclaimed-0'))[0]!;
        if (attack === 'forged package role') {
          r.edit<Targets>('left-pad').targets.set(pkg.targetPath, pkg.target);
          r.role('left-pad').sign(online, true);
        } else {
          const bin = repo.unclaimedBins().getRoleForTarget(pkg.targetPath);
          r.addTarget(bin, pkg.target);
          await repo.signRole(bin);
        }
        await repo.resignSnapshotAndTimestamp();
      }, { allowUnderThreshold: ['left-pad'] });
      const s = await openClientSession({ registryUrl: w.url, trustedRootPath: w.rootFile, cacheDir: join(w.dir, 'victim') });
      if (attack === 'forged package role') {
        await assert.rejects(s.getTargetInfo(pkg.targetPath), { code: 'TUF_THRESHOLD' });
      } else {
        // The claim is listed first and terminating: the search never reaches the bin.
        assert.equal(await s.getTargetInfo(pkg.targetPath), undefined);
      }
    } finally {
      await w.close();
    }
  });
}

test('revoking a maintainer key refuses releases signed only by the revoked key', async () => {
  const w = await startWorld();
  try {
    const [a, b] = [maintainer(), maintainer()];
    await w.claim('left-pad', [a, b], 1);
    await w.repo.reloadIfChanged();
    await w.repo.revokeKey('left-pad', a.key.keyid);
    await assert.rejects(release(w, 'left-pad', '1.1.0', [a]), refusedWith('TUF_ROLE_REFUSED', /not a maintainer key/));
    assert.equal((await release(w, 'left-pad', '1.1.0', [b])).outcome, 'published');
    assert.deepEqual(await installerView(w, 'left-pad', '1.1.0'), { rolePath: ['targets', 'left-pad'], roleVersion: 2 });
  } finally {
    await w.close();
  }
});

test('an unclaimed package is still published with plain npm publish and signed into its bin', async () => {
  const w = await startWorld();
  try {
    assert.equal((await plainPublish(w, '@scope/free', '1.0.0')).outcome, 'published');
    const view = await installerView(w, '@scope/free', '1.0.0');
    assert.equal(view!.rolePath[1], 'unclaimed');
    // A signed role for a package nobody claimed is refused (there is no delegation to check it against).
    const tarball = await makeTarball({ name: '@scope/free', version: '1.1.0' });
    const pkg = await readPackageTarball(tarball);
    const role = new Metadata(new (await import('@tufpm/models')).Targets({ version: 2 }));
    await assert.rejects(publishRelease({ registryUrl: w.url, token: w.token, tarball, pkg, role }), refusedWith('TUF_ROLE_REFUSED', /not been claimed/));
  } finally {
    await w.close();
  }
});

test('maintainers renew their role\'s expiry without a release, at threshold only, adding no target', async () => {
  const w = await startWorld();
  try {
    const [a, b] = [maintainer(), maintainer()];
    await w.claim('left-pad', [a, b], 2);
    const put = async (role: Metadata<Targets>): Promise<{ status: number; code?: string }> => {
      const res = await fetch(`${w.url}-/tufpm/roles/left-pad`, { method: 'PUT', headers: { authorization: `Bearer ${w.token}` }, body: JSON.stringify(role.toJSON()) });
      const body = (await res.json()) as { code?: string };
      return { status: res.status, ...(body.code === undefined ? {} : { code: body.code }) };
    };
    const current = await currentRole(w, 'left-pad');
    const role = buildRefreshRole(current, { now: new Date(), expiresInSeconds: 2 * 365 * 86_400 });
    signRole(role, [a.signer]);
    assert.deepEqual(await put(role), { status: 400, code: 'TUF_ROLE_REFUSED' }, 'below threshold');
    const sneaky = Metadata.fromJSON(role.toJSON(), 'targets');
    const extra = await makeTarball({ name: 'left-pad', version: '9.0.0' });
    sneaky.signed.targets.set('left-pad/-/left-pad-9.0.0.tgz', TargetFile.fromData('left-pad/-/left-pad-9.0.0.tgz', extra, ['sha512', 'sha256']));
    sneaky.signatures.clear();
    signRole(sneaky, [a.signer, b.signer]);
    assert.deepEqual(await put(sneaky), { status: 400, code: 'TUF_ROLE_REFUSED' }, 'a refresh cannot add a version');
    assert.equal((await fetch(`${w.url}-/tufpm/roles/left-pad`, { method: 'PUT', body: JSON.stringify(role.toJSON()) })).status, 401);
    signRole(role, [b.signer]);
    assert.deepEqual(await put(role), { status: 201 });
    const served = await currentRole(w, 'left-pad');
    assert.equal(served.signed.version, 2);
    assert.ok(served.signed.expires.getTime() > current.signed.expires.getTime());
  } finally {
    await w.close();
  }
});

test('a retried publish whose metadata step already succeeded is accepted again without a new role version', async () => {
  const w = await startWorld();
  try {
    const a = maintainer();
    await w.claim('left-pad', [a], 1);
    const { createMaintainerPublishHook } = await import('../src/maintainer/publish-hook.js');
    const { createHash } = await import('node:crypto');
    const hook = createMaintainerPublishHook({ keysDir: w.K });
    const tarball = await makeTarball({ name: 'left-pad', version: '1.1.0' });
    const { pkg, role } = await prepareRelease(await currentRole(w, 'left-pad'), tarball, { now: new Date() });
    signRole(role, [a.signer]);
    const ev = {
      dir: w.R, name: 'left-pad', version: '1.1.0', tarball, tarballPath: pkg.targetPath, length: tarball.length,
      hashes: { sha256: createHash('sha256').update(tarball).digest('hex'), sha512: createHash('sha512').update(tarball).digest('hex') },
      distTags: { latest: '1.1.0' }, document: { _tufpm: { role: role.toJSON() } },
    };
    await hook.beforeAccept(ev);
    const ts = (await readFile(join(w.M, 'timestamp.json'))).toString();
    await hook.beforeAccept(ev);
    assert.equal((await readFile(join(w.M, 'timestamp.json'))).toString(), ts, 'nothing re-signed');
    assert.equal((await currentRole(w, 'left-pad')).signed.version, 2);
    // A different tarball under the same (already signed) role is still refused.
    const other = await makeTarball({ name: 'left-pad', version: '1.1.0' }, { 'x.js': '1' });
    await assert.rejects(hook.beforeAccept({ ...ev, tarball: other, length: other.length, hashes: { sha256: createHash('sha256').update(other).digest('hex'), sha512: createHash('sha512').update(other).digest('hex') } }), { code: 'TUF_ROLE_VERSION' });
  } finally {
    await w.close();
  }
});

test('maintainer routes: only a publish token of the package sees its staged release or submits its claim', async () => {
  const w = await startWorld();
  try {
    const [a, b] = [maintainer(), maintainer()];
    await w.claim('left-pad', [a, b], 2);
    assert.equal((await release(w, 'left-pad', '1.1.0', [a])).outcome, 'staged');
    const { addToken } = await registryModule();
    const other = await addToken(w.R, { user: 'eve', packages: ['other-pkg'] });
    const get = (token?: string): Promise<Response> => fetch(`${w.url}-/tufpm/staged/left-pad`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get()).status, 401);
    assert.equal((await get('not-a-token')).status, 403);
    assert.equal((await get(other)).status, 403, 'a token for another package');
    assert.equal((await get(w.token)).status, 200);
    const { createClaimRequest, claimRequestToJSON } = await import('../src/maintainer/claims.js');
    const req = createClaimRequest({ name: 'fresh-pkg', keys: [a.key, b.key], threshold: 2, existing: [], now: new Date() });
    signRole(req.role, [a.signer]);
    const put = (name: string, token: string, body: unknown): Promise<Response> =>
      fetch(`${w.url}-/tufpm/claims/${encodeURIComponent(name)}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    assert.equal((await put('fresh-pkg', other, claimRequestToJSON(req))).status, 403);
    const below = await put('fresh-pkg', w.token, claimRequestToJSON(req));
    assert.equal(below.status, 400);
    assert.match(((await below.json()) as { error: string }).error, /1 of 2 signatures/);
    assert.equal((await put('left-pad', w.token, claimRequestToJSON(req))).status, 400, 'the URL and the request must name the same package');
    signRole(req.role, [b.signer]);
    assert.equal((await put('fresh-pkg', w.token, claimRequestToJSON(req))).status, 201);
    assert.equal((await fetch(`${w.url}-/tuf/metadata/..%2Fclaims%2Ffresh-pkg.json`)).status, 404, 'claims are not served');
  } finally {
    await w.close();
  }
});

test('rejects a role whose signed dependency declarations (custom.npm) are not the tarball\'s own', async () => {
  const w = await startWorld();
  try {
    const a = maintainer();
    await w.claim('left-pad', [a], 1);
    const tarball = await makeTarball({ name: 'left-pad', version: '1.1.0', dependencies: { 'is-odd': '^1.0.0' } });
    const { pkg, role } = await prepareRelease(await currentRole(w, 'left-pad'), tarball, { now: new Date() });
    assert.deepEqual(role.signed.targets.get(pkg.targetPath)!.custom, { npm: { dependencies: { 'is-odd': '^1.0.0' }, manifestFields: 1 } });
    const sneaky = Metadata.fromJSON(role.toJSON(), 'targets');
    sneaky.signed.targets.get(pkg.targetPath)!.custom = { npm: { dependencies: { 'is-odd': '^1.0.0', 'evil-pkg': '*' } } };
    signRole(sneaky, [a.signer]);
    await assert.rejects(publishRelease({ registryUrl: w.url, token: w.token, tarball, pkg, role: sneaky }), refusedWith('TUF_ROLE_TARGET', /custom/));
    signRole(role, [a.signer]);
    assert.equal((await publishRelease({ registryUrl: w.url, token: w.token, tarball, pkg, role })).outcome, 'published');
  } finally {
    await w.close();
  }
});
