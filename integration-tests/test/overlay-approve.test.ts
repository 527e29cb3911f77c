import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateEd25519KeyPair, releaseIndexPath } from '@tufpm/models';
import { approveLockfile, cosignStaged, loadPublished, readStaged, renewOnline, revokeApproval } from '@tufpm/overlay';
import { buildPackageTarball, tarballFile } from '@tufpm/registry';
import { captureDir } from '../src/harness/attacks-metadata.js';
import { OverlayWorld } from '../src/harness/overlay-world.js';

// The reviewers' side of overlay mode (tufpm-overlay's library, the upstream a loopback registry serving
// no TUF metadata): what an approval refuses to sign. No installer runs here.

const sri = (bytes: Uint8Array): string => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;

describe('overlay approvals refuse what the reviewers did not check', () => {
  let world: OverlayWorld;
  let dir: string;

  /** A package-lock.json naming `pkgs` as resolved from the upstream, with the given integrity. */
  async function lockfile(name: string, pkgs: Array<{ name: string; version: string; integrity: string }>): Promise<string> {
    const packages: Record<string, unknown> = { '': { name: 'app' } };
    for (const p of pkgs) packages[`node_modules/${p.name}`] = { version: p.version, resolved: `${world.upstream.url}${p.name}/-/${p.name}-${p.version}.tgz`, integrity: p.integrity };
    const file = join(dir, name);
    await writeFile(file, JSON.stringify({ name: 'app', lockfileVersion: 3, packages }));
    return file;
  }

  async function upstreamTarball(name: string, version: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(tarballFile(world.upstream.registryDir, `${name}/-/${name}-${version}.tgz`)));
  }

  before(async () => {
    world = await OverlayWorld.create({ reviewers: 2, threshold: 2 });
    dir = await world.upstream.tempDir('locks-');
    for (const name of ['alpha', 'beta', 'gamma']) await world.upstream.publishUnsigned(name, '1.0.0');
  });
  after(() => world.close());

  test('rejects approving a tarball whose bytes differ from the lockfile\'s integrity, signing nothing', async () => {
    const other = buildPackageTarball({ name: 'alpha', version: '1.0.0', files: { 'index.js': 'other\n' } });
    const file = await lockfile('tampered.json', [{ name: 'alpha', version: '1.0.0', integrity: sri(other) }]);
    const before = await captureDir(world.paths.metadataDir);
    await assert.rejects(approveLockfile({ paths: world.paths, lockfile: file, signers: [world.reviewers[0]!.signer] }), { code: 'TUF_APPROVAL_INTEGRITY' });
    assert.deepEqual(await captureDir(world.paths.metadataDir), before, 'metadata untouched');
    assert.equal(await readStaged(world.paths), undefined, 'nothing staged');
  });

  test('a dry run signs nothing and lists what is new', async () => {
    const file = await lockfile('dry.json', [{ name: 'alpha', version: '1.0.0', integrity: sri(await upstreamTarball('alpha', '1.0.0')) }]);
    const before = await captureDir(world.paths.metadataDir);
    const plan = await approveLockfile({ paths: world.paths, lockfile: file, signers: [], dryRun: true });
    assert.deepEqual(plan.new, ['alpha@1.0.0']);
    assert.equal(plan.outcome, 'dry-run');
    assert.deepEqual(await captureDir(world.paths.metadataDir), before);
  });

  test('rejects co-signing a staged approval whose tarball the upstream now serves differently', async () => {
    const file = await lockfile('beta.json', [{ name: 'beta', version: '1.0.0', integrity: sri(await upstreamTarball('beta', '1.0.0')) }]);
    const staged = await approveLockfile({ paths: world.paths, lockfile: file, signers: [world.reviewers[0]!.signer] });
    assert.equal(staged.outcome, 'staged');
    const saved = await upstreamTarball('beta', '1.0.0');
    await world.upstream.replaceTarball('beta', '1.0.0', buildPackageTarball({ name: 'beta', version: '1.0.0', files: { 'index.js': 'evil\n' } }));
    try {
      await assert.rejects(cosignStaged({ paths: world.paths, signers: [world.reviewers[1]!.signer] }), { code: 'TUF_APPROVAL_INTEGRITY' });
    } finally {
      await world.upstream.replaceTarball('beta', '1.0.0', saved);
    }
    assert.equal((await readStaged(world.paths))!.role.signatures.size, 1, 'still one signature');
  });

  test('rejects co-signing a staged approval whose release list was edited after the first signature', async () => {
    const staged = (await readStaged(world.paths))!;
    const list = staged.role.signed.targets.get(releaseIndexPath('beta'))!;
    (list.custom as { releases: { versions: string[] } }).releases.versions.push('9.9.9');
    const doc = JSON.parse(await readFile(world.paths.stagedFile, 'utf8')) as Record<string, unknown>;
    doc['role'] = staged.role.toJSON();
    const original = await readFile(world.paths.stagedFile);
    await writeFile(world.paths.stagedFile, JSON.stringify(doc));
    try {
      await assert.rejects(cosignStaged({ paths: world.paths, signers: [world.reviewers[1]!.signer] }), { code: 'TUF_APPROVAL_INTEGRITY' });
    } finally {
      await writeFile(world.paths.stagedFile, original);
    }
  });

  test('rejects a co-signature by a key that is not a reviewer\'s', async () => {
    const intruder = generateEd25519KeyPair();
    await assert.rejects(cosignStaged({ paths: world.paths, signers: [intruder.signer] }), { code: 'TUF_NOT_APPROVED' });
  });

  test('a second reviewer publishes; revoking the only approved version removes its release list', async () => {
    const cosigned = await cosignStaged({ paths: world.paths, signers: [world.reviewers[1]!.signer] });
    assert.equal(cosigned.submit.outcome, 'published');
    let published = await loadPublished(world.paths);
    assert.ok(published.role.signed.targets.has(releaseIndexPath('beta')));
    const revoked = await revokeApproval({ paths: world.paths, name: 'beta', version: '1.0.0', signers: [world.reviewers[0]!.signer] });
    assert.equal(revoked.submit.outcome, 'staged', 'a revocation needs the threshold too');
    await cosignStaged({ paths: world.paths, signers: [world.reviewers[1]!.signer] });
    published = await loadPublished(world.paths);
    assert.equal(published.role.signed.targets.has('beta/-/beta-1.0.0.tgz'), false);
    assert.equal(published.role.signed.targets.has(releaseIndexPath('beta')), false);
    await assert.rejects(revokeApproval({ paths: world.paths, name: 'gamma', version: '1.0.0', signers: [world.reviewers[0]!.signer] }), { code: 'TUF_NOT_APPROVED' });
  });

  test('tufpm-overlay status and timestamp report and renew (the scheduled job)', async () => {
    const before = JSON.parse((await world.overlay(['status', '--json'])).stdout) as { approvalRole: { threshold: number; reviewers: string[] }; timestamp: { version: number; expires: string }; staged: unknown };
    assert.equal(before.approvalRole.threshold, 2);
    assert.equal(before.approvalRole.reviewers.length, 2);
    assert.equal(before.staged, null);
    // a timestamp signed a week ago (expired): the job's renewal must move the expiry, not re-sign the old one
    await renewOnline(await world.openRepository(new Date(Date.now() - 7 * 24 * 3600 * 1000)), 'timestamp');
    const renewed = await world.overlay(['timestamp', '--json']);
    assert.equal(renewed.code, 0, renewed.stderr);
    const after = JSON.parse((await world.overlay(['status', '--json'])).stdout) as typeof before;
    assert.equal(after.timestamp.version, before.timestamp.version + 2);
    assert.ok(Date.parse(after.timestamp.expires) > Date.now() + 23 * 3600 * 1000, `a new expiry (${after.timestamp.expires}), not the old one re-signed`);
    const usage = await world.overlay(['approve']);
    assert.equal(usage.code, 2, 'wrong usage exits 2');
  });
});

describe('overlay approvals build only on signed approvals', () => {
  test('rejects approving on top of an approval role someone edited in the repository (unsigned targets slipped in)', async () => {
    const world = await OverlayWorld.create();
    try {
      await world.upstream.publishUnsigned('solo', '1.0.0');
      const dir = await world.upstream.tempDir('locks-');
      const tarball = new Uint8Array(await readFile(tarballFile(world.upstream.registryDir, 'solo/-/solo-1.0.0.tgz')));
      const file = join(dir, 'package-lock.json');
      await writeFile(file, JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/solo': { version: '1.0.0', resolved: `${world.upstream.url}solo/-/solo-1.0.0.tgz`, integrity: sri(tarball) } } }));
      const approved = await approveLockfile({ paths: world.paths, lockfile: file, signers: [world.reviewers[0]!.signer] });
      assert.equal(approved.outcome, 'published');
      // a pull request to the team's repository adds a target to the served role file, keeping the signature
      const published = await loadPublished(world.paths);
      const roleFile = join(world.paths.metadataDir, `${published.role.signed.version}._approved.json`);
      const doc = JSON.parse(await readFile(roleFile, 'utf8')) as { signed: { targets: Record<string, unknown> } };
      doc.signed.targets['evil/-/evil-6.6.6.tgz'] = { length: 1, hashes: { sha512: 'a'.repeat(128), sha256: 'b'.repeat(64) } };
      await writeFile(roleFile, JSON.stringify(doc));
      await assert.rejects(revokeApproval({ paths: world.paths, name: 'solo', version: '1.0.0', signers: [world.reviewers[0]!.signer] }), { code: 'TUF_THRESHOLD' });
    } finally {
      await world.close();
    }
  });
});
