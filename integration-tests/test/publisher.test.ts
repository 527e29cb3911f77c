// The publisher side of maintainer keys, end to end: releases signed with the maintainer library/CLI
// flow, accepted by the registry's maintainer hook, and what @tufpm/verify's InstallVerifier (the engine
// of the Yarn plugin and tufpm-npm) makes of them: maintainer-signed under the team policy, staged
// releases invisible, a registry compromise refused, a downgrade to registry signing refused.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEd25519KeyPair, type Signer, type Key, type Targets } from '@tufpm/models';
import {
  NpmRepository, approveClaim, createClaimRequest, createMaintainerPublishHook, createMaintainerRoutes, fetchStaged, initRepository,
  prepareRelease, publishRelease, readPackageTarball, signRole, type PublishReleaseResult,
} from '@tufpm/repo';
import { addToken, buildPackageTarball, startRegistry } from '@tufpm/registry';
import { InstallVerifier, type VerifierOptions } from '@tufpm/verify';

interface M { signer: Signer; key: Key }
const maintainer = (): M => generateEd25519KeyPair();

interface World {
  url: string; dir: string; R: string; M: string; K: string; token: string; project: string;
  repo(): Promise<NpmRepository>;
  claim(name: string, keys: M[], threshold: number): Promise<void>;
  release(name: string, version: string, signers: M[]): Promise<PublishReleaseResult>;
  plain(name: string, version: string): Promise<PublishReleaseResult>;
  verifier(opts?: Partial<VerifierOptions>): Promise<InstallVerifier>;
}

async function world(t: TestContext): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-publisher-'));
  const R = join(dir, 'registry');
  const M = join(R, 'tuf', 'metadata');
  const K = join(dir, 'keys');
  await initRepository({ dir: M, keysDir: K, bitLength: 3 });
  const routes = createMaintainerRoutes({ registryDir: R, keysDir: K });
  const reg = await startRegistry({ dir: R, hooks: [createMaintainerPublishHook({ keysDir: K })], intercept: (req, res) => routes(req, res) });
  const token = await addToken(R, { user: 'alice' });
  const project = join(dir, 'project');
  await mkdir(project);
  await copyFile(join(M, '1.root.json'), join(project, 'tufpm-root.json'));
  t.after(async () => {
    await reg.close();
    await rm(dir, { recursive: true, force: true });
  });
  const url = `${reg.url}/`;
  let caches = 0;
  const w: World = {
    url, dir, R, M, K, token, project,
    repo: () => NpmRepository.open({ dir: M, keysDir: K }),
    async claim(name, keys, threshold) {
      const repo = await w.repo();
      const existing = repo.coverage(name).targets.map((x) => repo.repo.targetsRole(x.role).signed.targets.get(x.path)!);
      const req = createClaimRequest({ name, keys: keys.map((k) => k.key), threshold, existing, now: new Date() });
      signRole(req.role, keys.map((k) => k.signer));
      await approveClaim(repo, req);
    },
    async release(name, version, signers) {
      const tarball = buildPackageTarball({ name, version });
      const { pkg, role } = await prepareRelease((await w.repo()).repo.targetsRole(name), tarball, { now: new Date() });
      signRole(role, signers.map((s) => s.signer));
      return publishRelease({ registryUrl: url, token, tarball, pkg, role });
    },
    async plain(name, version) {
      const tarball = buildPackageTarball({ name, version });
      return publishRelease({ registryUrl: url, token, tarball, pkg: await readPackageTarball(tarball) });
    },
    verifier: (opts = {}) => InstallVerifier.open({ projectDir: project, registryUrl: url, stateDir: join(dir, `cache-${caches++}`), ...opts }),
  };
  return w;
}

test('tufpm releases install as maintainer-signed under a strict team policy; a staged release is invisible until co-signed', async (t) => {
  const w = await world(t);
  const [a, b] = [maintainer(), maintainer()];
  assert.equal((await w.plain('left-pad', '1.0.0')).outcome, 'published');
  assert.equal((await w.plain('free', '1.0.0')).outcome, 'published');
  await w.claim('left-pad', [a, b], 2);
  assert.equal((await w.release('left-pad', '1.1.0', [a])).outcome, 'staged');
  await assert.rejects((await w.verifier()).resolve('left-pad', '1.1.0'), { code: 'TUF_PACKAGE_NOT_SIGNED' });
  const strict = await w.verifier({ requireMaintainerSigned: true, minimumThreshold: 2 });
  await assert.rejects(strict.resolve('free', '1.0.0'), { code: 'TUF_NOT_MAINTAINER_SIGNED' });
  const adopted = await strict.resolve('left-pad', '1.0.0');
  assert.deepEqual([adopted.maintainerSigned, adopted.role, adopted.threshold], [true, 'left-pad', 2]);
  // b co-signs the staged role content (the registry merges the signatures).
  const staged = await fetchStaged(w.url, w.token, 'left-pad');
  assert.ok(staged !== undefined);
  assert.equal(staged.roleVersion, 2);
  signRole(staged.role, [b.signer]);
  const pkg = await readPackageTarball(staged.tarball);
  assert.equal((await publishRelease({ registryUrl: w.url, token: w.token, tarball: staged.tarball, pkg, role: staged.role })).outcome, 'published');
  const fresh = await w.verifier({ requireMaintainerSigned: ['left-pad'], minimumThreshold: 2 });
  const signed = await fresh.resolve('left-pad', '1.1.0');
  assert.deepEqual([signed.maintainerSigned, signed.roleVersion], [true, 2]);
  await assert.rejects((await w.verifier({ requireMaintainerSigned: ['left-pad'], minimumThreshold: 3 })).resolve('left-pad', '1.1.0'), { code: 'TUF_NOT_MAINTAINER_SIGNED' });
});

test('registry compromise: a new version of a claimed package signed with every online key is refused by installers', async (t) => {
  const w = await world(t);
  const a = maintainer();
  await w.claim('left-pad', [a], 1);
  assert.equal((await w.release('left-pad', '1.0.0', [a])).outcome, 'published');
  await rm(join(w.K, 'offline'), { recursive: true }); // the attacker has the registry host, not the offline keys
  const repo = await w.repo();
  const evil = await readPackageTarball(buildPackageTarball({ name: 'left-pad', version: '1.0.1', files: { 'index.js': 'steal()' } }));
  await repo.transaction(async (r) => {
    const online = (await repo.signersFor('unclaimed-0'))[0]!;
    r.edit<Targets>('left-pad').targets.set(evil.targetPath, evil.target);
    r.role('left-pad').sign(online, true);
    await repo.resignSnapshotAndTimestamp();
  }, { allowUnderThreshold: ['left-pad'] });
  await assert.rejects((await w.verifier()).resolve('left-pad', '1.0.1'), { code: 'TUF_THRESHOLD' });
});

test('downgrade: a package pinned as maintainer-signed and now re-delegated to the registry bins is refused', async (t) => {
  const w = await world(t);
  const a = maintainer();
  await w.claim('left-pad', [a], 1);
  assert.equal((await w.release('left-pad', '1.0.0', [a])).outcome, 'published');
  const first = await w.verifier();
  assert.equal((await first.resolve('left-pad', '1.0.0')).maintainerSigned, true);
  await first.commit();
  // An attacker holding the offline targets key too drops the claim and re-signs the version into its bin.
  const repo = await w.repo();
  await repo.transaction(async (r) => {
    const t1 = r.targetsRole('left-pad').signed.targets.get('left-pad/-/left-pad-1.0.0.tgz')!;
    r.removeDelegation('targets', 'left-pad');
    const bin = repo.unclaimedBins().getRoleForTarget(t1.path);
    r.addTarget(bin, t1);
    await repo.signRole(bin);
    await repo.signRole('targets');
    await repo.resignSnapshotAndTimestamp();
  });
  await assert.rejects((await w.verifier()).resolve('left-pad', '1.0.0'), { code: 'TUF_SIGNER_DOWNGRADE' });
});
