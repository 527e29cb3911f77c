// verdaccio-tufpm end to end (issue 18, ADR 0018): a real Verdaccio 6.8 on loopback with the plugin, real
// `npm publish` / `yarn npm publish`, and tufpm-npm and Yarn (tufpm plugin) installs verifying from it.
// Every refused publish must leave Verdaccio's storage and the TUF metadata byte-for-byte as they were.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateEd25519KeyPair } from '@tufpm/models';
import { buildPackageTarball } from '@tufpm/registry';
import { claimRequestToJSON, createClaimRequest, fetchStaged, prepareRelease, publishRelease, readPackageTarball, signRole } from '@tufpm/repo';
import { InstallVerifier } from '@tufpm/verify';
import { OVERLAY_CLI } from '../src/harness/overlay-world.js';
import { run } from '../src/harness/npm-world.js';
import { VerdaccioWorld } from '../src/harness/verdaccio.js';

/**
 * Verdaccio's three ways to remove a version, as npm (or anyone with an account) sends them: an
 * attachment-less `PUT /<name>/-rev/<rev>` leaving the version out, `DELETE` of its tarball, `DELETE` of
 * the package. Returns each answer's status; each must be refused with VERDACCIO_SIGNED_RELEASE_REMOVAL.
 */
async function removalAttempts(url: string, token: string, name: string, version: string): Promise<number[]> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const current = (await (await fetch(`${url}${name}?write=true`, { headers })).json()) as { _rev?: string; versions: Record<string, unknown>; 'dist-tags': Record<string, string> };
  const rev = current._rev ?? '1-0';
  const { [version]: _removed, ...kept } = current.versions;
  const statuses: number[] = [];
  const attempts: Array<[string, RequestInit]> = [
    [`${name}/-rev/${rev}`, { method: 'PUT', headers, body: JSON.stringify({ ...current, versions: kept, _attachments: {} }) }],
    [`${name}/-rev/${rev}`, { method: 'PUT', headers, body: JSON.stringify({ name, _attachments: {} }) }],
    [`${name}/-/${name}-${version}.tgz/-rev/${rev}`, { method: 'DELETE', headers }],
    [`${name}/-rev/${rev}`, { method: 'DELETE', headers }],
  ];
  for (const [path, init] of attempts) {
    const res = await fetch(`${url}${path}`, init);
    const body = (await res.json()) as { code?: string };
    assert.equal(body.code, 'VERDACCIO_SIGNED_RELEASE_REMOVAL', `${init.method} /${path}`);
    statuses.push(res.status);
  }
  return statuses;
}

describe('verdaccio-tufpm', () => {
  let world: VerdaccioWorld;
  before(async () => {
    world = await VerdaccioWorld.create();
  });
  after(() => world.close());

  const verifier = async (): Promise<InstallVerifier> => {
    const project = await world.project({});
    return InstallVerifier.open({ projectDir: project.dir, registryUrl: world.url, stateDir: join(project.machine, 'state') });
  };

  test('npm publish and yarn npm publish through Verdaccio are signed into their bins; Yarn and tufpm-npm install them verified', async () => {
    const before = await world.served();
    const npmPub = await world.npmPublish('fresh-npm', '1.0.0');
    assert.equal(npmPub.code, 0, npmPub.stderr);
    const yarnPub = await world.yarnPublish('fresh-yarn', '1.0.0');
    assert.equal(yarnPub.code, 0, yarnPub.stdout + yarnPub.stderr);
    const after = await world.served();
    assert.equal(after.snapshot, before.snapshot + 2, 'one new snapshot per accepted publish');

    const v = await verifier();
    const signed = await v.resolve('fresh-npm', '1.0.0');
    assert.equal(signed.maintainerSigned, false);
    assert.match(signed.role, /^unclaimed-[0-9a-f]$/);

    const npmProject = await world.project({ 'fresh-npm': '^1.0.0', 'fresh-yarn': '^1.0.0' });
    const npmInstall = await npmProject.tufpmNpm(['install']);
    assert.equal(npmInstall.code, 0, npmInstall.stderr);
    assert.deepEqual((await readdir(join(npmProject.dir, 'node_modules'))).filter((n) => !n.startsWith('.')).sort(), ['fresh-npm', 'fresh-yarn']);
    const lock = JSON.parse((await npmProject.state()).tufpmLock as string) as { packages: Record<string, { role: string }> };
    assert.ok(lock.packages['fresh-yarn@1.0.0'] !== undefined, 'the Yarn-published release is pinned');

    const yarnProject = await world.project({ 'fresh-npm': '^1.0.0', 'fresh-yarn': '^1.0.0' });
    const yarnInstall = await yarnProject.yarn(['install']);
    assert.equal(yarnInstall.code, 0, yarnInstall.stdout + yarnInstall.stderr);
    const load = await yarnProject.yarn(['node', '-e', 'console.log(require("fresh-npm"), require("fresh-yarn"))']);
    assert.match(load.stdout, /fresh-npm@1\.0\.0 fresh-yarn@1\.0\.0/);
  });

  test('rejects a registry-signed release of a claimed package: a plain npm publish is refused and Verdaccio stores nothing', async () => {
    const owner = generateEd25519KeyPair();
    await world.repo.addPackage('claimed-pkg', [owner.key], 1, { signers: [owner.signer] });
    const untouched = await world.snapshot();
    const res = await world.npmPublish('claimed-pkg', '1.0.0');
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /TUF_MAINTAINER_SIGNATURE_REQUIRED|claimed by its maintainers/);
    assert.match(res.stderr, /tufpm sign/, 'the publisher is told how to sign');
    assert.deepEqual(await world.snapshot(), untouched, 'Verdaccio storage and TUF metadata untouched');
    assert.equal((await fetch(`${world.url}claimed-pkg`)).status, 404);
  });

  test('co-signing through Verdaccio: below threshold the release is staged and nothing is stored; at threshold it is stored and installs as maintainer-signed', async () => {
    const [a, b] = [generateEd25519KeyPair(), generateEd25519KeyPair()];
    await world.repo.addPackage('team-pkg', [a.key, b.key], 2, { signers: [a.signer, b.signer] });
    const tarball = buildPackageTarball({ name: 'team-pkg', version: '1.0.0' });
    const current = (await world.repo.reloadIfChanged(), world.repo.repo.targetsRole('team-pkg'));
    const { pkg, role } = await prepareRelease(current, tarball, { now: new Date() });
    signRole(role, [a.signer]);
    const untouched = await world.snapshot();
    const staged = await publishRelease({ registryUrl: world.url, token: world.token, tarball, pkg, role });
    assert.equal(staged.outcome, 'staged');
    assert.deepEqual(await world.snapshot(), untouched, 'a staged release is neither stored by Verdaccio nor served');
    await assert.rejects((await verifier()).resolve('team-pkg', '1.0.0'), { code: 'TUF_PACKAGE_NOT_SIGNED' });

    // the co-signer fetches the staged role through Verdaccio (authenticated) and adds a signature
    assert.equal((await fetch(`${world.url}-/tufpm/staged/team-pkg`)).status, 401, 'staged releases need a publisher of the package');
    const remote = await fetchStaged(world.url, world.token, 'team-pkg');
    assert.ok(remote !== undefined);
    signRole(remote.role, [b.signer]);
    const done = await publishRelease({ registryUrl: world.url, token: world.token, tarball: remote.tarball, pkg: await readPackageTarball(remote.tarball), role: remote.role });
    assert.equal(done.outcome, 'published');
    const v = await (await verifier()).resolve('team-pkg', '1.0.0');
    assert.deepEqual([v.maintainerSigned, v.threshold], [true, 2]);
    const packument = (await (await fetch(`${world.url}team-pkg`)).json()) as Record<string, unknown>;
    assert.equal(packument['_tufpm'], undefined, 'the maintainers\' role is not stored in the packument');
  });

  test('rejects a publish of a claimed package through a respelled route (trailing slash, encoded scope): nothing stored', async () => {
    const owner = generateEd25519KeyPair();
    await world.repo.addPackage('claimed-route', [owner.key], 1, { signers: [owner.signer] });
    await world.repo.addPackage('@acme/claimed', [owner.key], 1, { signers: [owner.signer] });
    const untouched = await world.snapshot();
    const body = (name: string, version: string): string => {
      const tgz = Buffer.from(buildPackageTarball({ name, version, files: { 'index.js': 'module.exports = "not the maintainers\' code";\n' } }));
      const file = `${name.replace(/^@[^/]+\//, '')}-${version}.tgz`;
      return JSON.stringify({
        _id: name, name, 'dist-tags': { latest: version },
        versions: { [version]: { name, version, _id: `${name}@${version}`, dist: { integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}`, tarball: `${world.url}${name}/-/${file}` } } },
        _attachments: { [file]: { content_type: 'application/octet-stream', data: tgz.toString('base64'), length: tgz.length } },
      });
    };
    let patch = 0;
    for (const [path, name] of [['claimed-route/', 'claimed-route'], ['claimed-route/-rev/1-abc/', 'claimed-route'], ['@acme%2fclaimed/', '@acme/claimed'], ['@acme/claimed/', '@acme/claimed'], ['%40acme%2Fclaimed/', '@acme/claimed'], ['%40acme%2Fclaimed', '@acme/claimed']]) {
      const res = await fetch(`${world.url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${world.token}` }, body: body(name!, `1.0.${patch++}`) });
      assert.ok(res.status >= 400, `PUT /${path} refused (got ${res.status})`);
    }
    assert.deepEqual(await world.snapshot(), untouched, 'Verdaccio storage and TUF metadata untouched');
  });

  test('rejects a tampered tarball in Verdaccio\'s storage at install (tufpm-npm and Yarn), project untouched', async () => {
    assert.equal((await world.npmPublish('victim', '1.0.0')).code, 0);
    const evil = buildPackageTarball({ name: 'victim', version: '1.0.0', files: { 'index.js': 'module.exports = "pwned";\n' } });
    await writeFile(join(world.storageDir, 'victim', 'victim-1.0.0.tgz'), evil);
    const npmProject = await world.project({ victim: '1.0.0' });
    const beforeNpm = await npmProject.state();
    const npm = await npmProject.tufpmNpm(['install']);
    assert.notEqual(npm.code, 0, 'tufpm-npm refused');
    assert.match(npm.stderr, /TUF_[A-Z_]+/);
    assert.deepEqual(await npmProject.state(), beforeNpm);
    const yarnProject = await world.project({ victim: '1.0.0' });
    const beforeYarn = await yarnProject.state();
    const yarn = await yarnProject.yarn(['install']);
    assert.notEqual(yarn.code, 0, 'Yarn refused');
    assert.match(yarn.stdout + yarn.stderr, /TUF_[A-Z_]+/);
    assert.deepEqual(await yarnProject.state(), beforeYarn);
  });

  test('rejects a tarball uploaded alone (Verdaccio\'s legacy upload route) outside the publish rules: nothing stored', async () => {
    assert.equal((await world.npmPublish('lonely', '1.0.0')).code, 0);
    const untouched = await world.snapshot();
    for (const path of ['lonely/-/lonely-1.0.1.tgz/-rev/1-abc', 'lonely/-/lonely-1.0.0.tgz/whatever']) {
      const res = await fetch(`${world.url}${path}`, {
        method: 'PUT', headers: { authorization: `Bearer ${world.token}`, 'content-type': 'application/octet-stream' },
        body: buildPackageTarball({ name: 'lonely', version: '1.0.1' }),
      });
      assert.equal(res.status, 405, path);
      assert.equal(((await res.json()) as { code: string }).code, 'REGISTRY_METHOD_NOT_ALLOWED');
    }
    assert.deepEqual(await world.snapshot(), untouched);
  });

  test('rejects a local publish while the operator\'s proxied-packages.json is broken (never read as "nothing proxied"): 500 TUF_PROXIED_PACKAGES_FILE, nothing stored', async () => {
    const file = join(world.tufDir, 'tuf', 'proxied-packages.json');
    const untouched = await world.snapshot();
    for (const broken of ['{"packages": ["approved-up"', '{"packages": "approved-up"}', '{"packages": [1]}']) {
      await writeFile(file, broken);
      const res = await world.npmPublish('while-broken', '1.0.0');
      assert.notEqual(res.code, 0, broken);
      assert.match(res.stderr, /\b500\b/, `${broken}: the operator's fault, not the publisher's`);
      assert.match(res.stderr, /proxied-packages\.json/, broken);
      assert.deepEqual(await world.snapshot(), untouched, `${broken}: Verdaccio storage and TUF metadata untouched`);
    }
    await rm(file);
    assert.equal((await world.npmPublish('while-broken', '1.0.0')).code, 0, 'publishes work again once the operator removed or fixed the file');
  });

  test('rejects self-service claim requests where anyone can register (many accounts would fill the claim queue so nobody could claim): TUF_REQUESTS_CLOSED, nothing stored', async () => {
    assert.equal((await world.npmPublish('wanted-name', '1.0.0')).code, 0);
    const m = generateEd25519KeyPair();
    const claim = (name: string): string => {
      const req = createClaimRequest({ name, keys: [m.key], threshold: 1, existing: [], now: new Date() });
      signRole(req.role, [m.signer]);
      return JSON.stringify(claimRequestToJSON(req));
    };
    // htpasswd registration is open in this config (max_users: 10, as Verdaccio's default is unbounded)
    const tokens = [world.token];
    for (const user of ['mallory-1', 'mallory-2']) {
      const res = await fetch(`${world.url}-/user/org.couchdb.user:${user}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: user, password: 'a-long-enough-password' }) });
      assert.equal(res.status, 201, 'anyone can create an account');
      tokens.push(((await res.json()) as { token: string }).token);
    }
    for (const token of tokens) {
      for (const name of ['wanted-name', 'never-published-name']) {
        const res = await fetch(`${world.url}-/tufpm/claims/${name}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: claim(name) });
        assert.equal(res.status, 403, name);
        const body = (await res.json()) as { code: string; error: string };
        assert.equal(body.code, 'TUF_REQUESTS_CLOSED');
        assert.match(body.error, /tufpm-repo approve-claim/, 'the maintainers are told where the request goes instead');
      }
    }
    await assert.rejects(readdir(join(world.tufDir, 'tuf', 'claims')), { code: 'ENOENT' }, 'no request stored');
  });

  test('two concurrent publishes of different packages both land, each in its own snapshot', async () => {
    const before = await world.served();
    const [x, y] = await Promise.all([world.npmPublish('concurrent-x', '1.0.0'), world.npmPublish('concurrent-y', '1.0.0')]);
    assert.equal(x.code, 0, x.stderr);
    assert.equal(y.code, 0, y.stderr);
    const after = await world.served();
    assert.equal(after.snapshot, before.snapshot + 2, 'serialized: two snapshots, no lost update');
    const v = await verifier();
    await v.resolve('concurrent-x', '1.0.0');
    await v.resolve('concurrent-y', '1.0.0');
  });

  test('rejects removing a signed version through Verdaccio (npm unpublish, an attachment-less PUT /-rev/, DELETE of its tarball or of the package): refused, nothing changed, installs still verify; npm deprecate keeps working', async () => {
    assert.equal((await world.npmPublish('retired', '1.0.0')).code, 0);
    assert.equal((await world.npmPublish('retired', '1.0.1')).code, 0);
    const dep = await world.npm(['deprecate', 'retired@1.0.0', 'use 1.0.1'], world.base);
    assert.equal(dep.code, 0, dep.stderr);
    const deprecated = (await (await fetch(`${world.url}retired`)).json()) as { versions: Record<string, { deprecated?: string }> };
    assert.equal(deprecated.versions['1.0.0']?.deprecated, 'use 1.0.1', 'deprecate keeps every version, so it passes');
    const untouched = await world.snapshot();
    // before the fix Verdaccio removed 1.0.0 while its release list still signed it: every install of
    // retired then failed TUF_RELEASE_HIDDEN
    const un = await world.npm(['unpublish', 'retired@1.0.0', '--force'], world.base);
    assert.notEqual(un.code, 0, 'npm unpublish of a signed version is refused');
    assert.match(un.stderr, /signed in the registry's TUF metadata/);
    for (const status of await removalAttempts(world.url, world.token, 'retired', '1.0.0')) assert.equal(status, 403);
    assert.deepEqual(await world.snapshot(), untouched, 'Verdaccio storage and TUF metadata untouched');
    const project = await world.project({ retired: '1.0.1' });
    const install = await project.tufpmNpm(['install']);
    assert.equal(install.code, 0, install.stderr);
  });

  test('rejects removing a maintainer-signed release of a claimed package by any registry account (a new Verdaccio account unpublishing it): refused, nothing changed, installs still verify', async () => {
    const owner = generateEd25519KeyPair();
    await world.repo.addPackage('kept-claim', [owner.key], 1, { signers: [owner.signer] });
    const tarball = buildPackageTarball({ name: 'kept-claim', version: '1.0.0' });
    await world.repo.reloadIfChanged();
    const { pkg, role } = await prepareRelease(world.repo.repo.targetsRole('kept-claim'), tarball, { now: new Date() });
    signRole(role, [owner.signer]);
    assert.equal((await publishRelease({ registryUrl: world.url, token: world.token, tarball, pkg, role })).outcome, 'published');
    const res = await fetch(`${world.url}-/user/org.couchdb.user:mallory`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'mallory', password: 'a-long-enough-password' }) });
    assert.equal(res.status, 201, 'anyone can create an account, and publish: $authenticated lets it unpublish');
    const mallory = ((await res.json()) as { token: string }).token;
    const untouched = await world.snapshot();
    for (const status of await removalAttempts(world.url, mallory, 'kept-claim', '1.0.0')) assert.equal(status, 403);
    assert.deepEqual(await world.snapshot(), untouched, 'Verdaccio storage and TUF metadata untouched');
    const project = await world.project({ 'kept-claim': '1.0.0' });
    const install = await project.tufpmNpm(['install']);
    assert.equal(install.code, 0, install.stderr);
  });
});

describe('verdaccio-tufpm operations', () => {
  let world: VerdaccioWorld;
  before(async () => {
    // a 4 s timestamp and an 8 s snapshot: without renewal every install would fail after 4 s
    world = await VerdaccioWorld.create({ expiries: { timestamp: 4, snapshot: 8 } });
  });
  after(() => world.close());

  test('the timestamp and snapshot renew themselves while Verdaccio runs: an install long after the last signing still verifies', async () => {
    assert.equal((await world.npmPublish('kept-fresh', '1.0.0')).code, 0);
    const first = await world.served();
    await new Promise((r) => setTimeout(r, 9_000)); // past both expiries of the last signed state
    const later = await world.served();
    assert.ok(later.timestamp > first.timestamp, `timestamp re-signed (v${first.timestamp} -> v${later.timestamp})`);
    assert.ok(later.snapshot > first.snapshot, 'snapshot re-signed before its expiry');
    const project = await world.project({ 'kept-fresh': '1.0.0' });
    const install = await project.tufpmNpm(['install']);
    assert.equal(install.code, 0, install.stderr);
  });

  test('health and metrics: role versions and expiries, the last publish, publishes by outcome and refusal code', async () => {
    const owner = generateEd25519KeyPair();
    await world.repo.addPackage('watched-claim', [owner.key], 1, { signers: [owner.signer] });
    assert.equal((await world.npmPublish('watched', '1.0.0')).code, 0);
    assert.notEqual((await world.npmPublish('watched-claim', '1.0.0')).code, 0);
    const servedBefore = (await world.served()).timestamp;
    const health = await fetch(`${world.url}-/tufpm/health`);
    assert.equal(health.status, 200);
    const h = (await health.json()) as { status: string; roles: Record<string, { version: number; expires: string }>; earliestExpiry: { seconds: number }; lastPublish: { name: string; outcome: string; code: string } };
    assert.equal(h.status, 'ok');
    // the renewer re-signs a 4 s timestamp every half second or so: the health answer lies between two reads
    const servedAfter = (await world.served()).timestamp;
    assert.ok(h.roles['timestamp']!.version >= servedBefore && h.roles['timestamp']!.version <= servedAfter, `health v${h.roles['timestamp']!.version}, served v${servedBefore}..v${servedAfter}`);
    assert.ok(h.earliestExpiry.seconds >= 0 && h.earliestExpiry.seconds <= 8);
    assert.deepEqual([h.lastPublish.name, h.lastPublish.outcome, h.lastPublish.code], ['watched-claim', 'refused', 'TUF_MAINTAINER_SIGNATURE_REQUIRED']);
    const metrics = await (await fetch(`${world.url}-/tufpm/metrics`)).text();
    assert.match(metrics, /^tufpm_publishes_total\{outcome="accepted",code=""\} [1-9]/m);
    assert.match(metrics, /^tufpm_publishes_total\{outcome="refused",code="TUF_MAINTAINER_SIGNATURE_REQUIRED"\} 1$/m);
    assert.match(metrics, /^tufpm_earliest_expiry_seconds -?\d+$/m);
    assert.match(metrics, /^tufpm_expiry_renewals_total [1-9]/m);
    assert.match(metrics, /^tufpm_publish_seconds_count [1-9]/m);
  });
});

describe('verdaccio-tufpm with an uplink', () => {
  let upstream: VerdaccioWorld;
  let world: VerdaccioWorld;
  before(async () => {
    upstream = await VerdaccioWorld.create({ plugin: false });
    world = await VerdaccioWorld.create({ uplink: upstream.url });
  });
  after(async () => {
    await world.close();
    await upstream.close();
  });

  test('rejects a proxied package by default: what Verdaccio serves from its uplink carries no signature of the registry', async () => {
    assert.equal((await upstream.npmPublish('from-upstream', '1.0.0')).code, 0);
    assert.equal((await world.npmPublish('local-pkg', '1.0.0')).code, 0);
    const packument = await fetch(`${world.url}from-upstream`);
    assert.equal(packument.status, 200, 'Verdaccio proxies the package');
    const project = await world.project({ 'from-upstream': '1.0.0', 'local-pkg': '1.0.0' });
    const before = await project.state();
    const npm = await project.tufpmNpm(['install']);
    assert.notEqual(npm.code, 0);
    assert.match(npm.stderr, /TUF_PACKAGE_NOT_SIGNED/);
    assert.match(npm.stderr, /from-upstream/);
    assert.deepEqual(await project.state(), before, 'project untouched');
    const yarn = await (await world.project({ 'from-upstream': '1.0.0' })).yarn(['install']);
    assert.notEqual(yarn.code, 0);
    assert.match(yarn.stdout, /TUF_PACKAGE_NOT_SIGNED/);
    const local = await world.project({ 'local-pkg': '1.0.0' });
    const ok = await local.tufpmNpm(['install']);
    assert.equal(ok.code, 0, `the registry's own publishes still install\n${ok.stderr}`);
  });

  test('a proxied package approved from a lockfile (tufpm-overlay approve --registry) installs verified with tufpm-npm and Yarn; versions nobody approved are not offered', async () => {
    assert.equal((await upstream.npmPublish('approved-up', '1.0.0')).code, 0);
    assert.equal((await upstream.npmPublish('approved-up', '1.1.0')).code, 0);
    // The team's lockfile, written by the real npm through this Verdaccio (resolved: its own tarball URLs).
    const reviewed = await world.tempDir('reviewed-');
    await writeFile(join(reviewed, 'package.json'), JSON.stringify({ name: 'reviewed', version: '1.0.0', private: true, dependencies: { 'approved-up': '1.0.0' } }));
    const locked = await world.npm(['install', '--package-lock-only'], reviewed);
    assert.equal(locked.code, 0, locked.stderr);
    const approve = (...extra: string[]): ReturnType<typeof run> => run(process.execPath, [
      OVERLAY_CLI, 'approve', '--lockfile', join(reviewed, 'package-lock.json'), '--registry', world.tufDir, '--keys', world.keysDir,
      '--upstream', world.url, '--npm-cache', join(reviewed, 'no-cache'), ...extra,
    ], reviewed, { ...process.env });
    const check = await approve('--dry-run');
    assert.equal(check.code, 1, 'the pull-request check fails while a package is unapproved');
    assert.match(check.stdout, /\+ approved-up@1\.0\.0/);
    assert.match(check.stderr, /TUF_NOT_APPROVED/);
    const before = await world.served();
    const signed = await approve();
    assert.equal(signed.code, 0, signed.stdout + signed.stderr);
    assert.match(signed.stdout, /signed 1 release/);
    assert.equal((await world.served()).snapshot, before.snapshot + 1, 'one new snapshot for the approval');
    assert.equal((await approve('--dry-run')).code, 0, 'the check passes once approved');
    // rejects a local publish of a new version of an approved proxied package (red team: anyone with publish
    // rights got approved-up@1.0.1 signed by the online key beside the reviewed 1.0.0, and installed)
    const local = await world.npmPublish('approved-up', '1.0.1');
    assert.notEqual(local.code, 0, 'a local publish of a proxied name is refused');
    assert.match(local.stdout + local.stderr, /proxied from an uplink/);

    // The packument Verdaccio serves offers only the approved version, tagged as signed.
    const packument = (await (await fetch(`${world.url}approved-up`)).json()) as { versions: Record<string, unknown>; 'dist-tags': Record<string, string> };
    assert.deepEqual(Object.keys(packument.versions), ['1.0.0']);
    assert.deepEqual(packument['dist-tags'], { latest: '1.0.0' });

    const npmProject = await world.project({ 'approved-up': '^1.0.0' });
    const npm = await npmProject.tufpmNpm(['install']);
    assert.equal(npm.code, 0, npm.stderr);
    assert.match(await readFile(join(npmProject.dir, 'node_modules', 'approved-up', 'index.js'), 'utf8'), /approved-up@1\.0\.0/);
    const yarnProject = await world.project({ 'approved-up': '^1.0.0' });
    const yarn = await yarnProject.yarn(['install']);
    assert.equal(yarn.code, 0, yarn.stdout + yarn.stderr);
    assert.match((await yarnProject.yarn(['node', '-e', 'console.log(require("approved-up"))'])).stdout, /approved-up@1\.0\.0/);

    // A version nobody approved is not installed, and the project is left as it was.
    const newer = await world.project({ 'approved-up': '1.1.0' });
    const untouched = await newer.state();
    const refusedNpm = await newer.tufpmNpm(['install']);
    assert.notEqual(refusedNpm.code, 0);
    assert.match(refusedNpm.stderr, /approved-up/);
    assert.deepEqual(await newer.state(), untouched, 'project untouched');
  });
});
