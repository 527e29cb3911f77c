// Overlay mode (ADR 0017) in the Merkle snapshot profile (ADR 0021/0022): the team's metadata-only repository
// signs a tree root in its timestamp instead of a snapshot, every epoch writes the proof files beside the
// roles (static files: HTTP via tufpm-overlay serve, or a file:// directory), and real tufpm-npm and Yarn
// install through it. The attacks: a forged proof and a proof for another root served by whoever hosts the
// files, and the approval role rolled back in a new tree signed with the online timestamp key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { auditOnce } from '@tufpm/auditor';
import { Metadata, encodeRoleName, generateEd25519KeyPair } from '@tufpm/models';
import { proofPath, verifyProof } from '@tufpm/merkle';
import { OVERLAY_APPROVAL_ROLE } from '@tufpm/verify';
import { isolatedEnv, run, type CliResult } from '../src/harness/npm-world.js';
import { refusedNpm, refusedYarn } from '../src/harness/attacks-graph.js';
import { forgeMerkleProof, forgeMerkleRoleRollback, servedTreeHead, type MerkleTarget } from '../src/harness/attacks-merkle.js';
import { OVERLAY_CLI, OverlayWorld } from '../src/harness/overlay-world.js';

function ok(res: CliResult, what: string): void {
  assert.equal(res.code, 0, `${what}\n${res.stdout}${res.stderr}`);
}

describe('overlay mode in the Merkle snapshot profile', () => {
  let world: OverlayWorld;
  let target: MerkleTarget;

  const approveTree = async (dependencies: Record<string, string>): Promise<void> => {
    const seed = await world.npmProject(dependencies);
    ok(await seed.npm(['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund']), 'plain npm resolves the tree');
    ok(await world.overlay(['approve', '--lockfile', join(seed.dir, 'package-lock.json'), '--key', world.reviewers[0]!.file]), 'approve');
  };

  /** Every role of the signed tree has its proof file under the signed root, proving the version the directory serves. */
  const assertProofsOnDisk = async (): Promise<{ root: string; size: number }> => {
    const head = await servedTreeHead(world.paths.metadataDir);
    const repo = await world.openRepository();
    for (const role of ['targets', OVERLAY_APPROVAL_ROLE]) {
      const proof = verifyProof(await readFile(join(world.paths.metadataDir, proofPath(head.root, role))), role, Buffer.from(head.root, 'hex'));
      assert.ok(proof.present && proof.value.version === repo.repo.role(role).signed.version, `${role}: proof of its served version under ${head.root}`);
    }
    assert.equal(head.size, 2);
    return head;
  };

  before(async () => {
    world = await OverlayWorld.create({ snapshot: 'merkle' });
    target = { metadataDir: world.paths.metadataDir, materialize: true, timestampSigners: async () => (await world.openRepository()).signersFor('timestamp') };
    await world.upstream.publishUnsigned('right', '1.0.0');
    await world.upstream.publishUnsigned('left', '1.0.0', { right: '^1.0.0' });
    await world.upstream.publishUnsigned('solo', '1.0.0');
    await approveTree({ left: '^1.0.0' });
  });
  after(() => world.close());

  test('tufpm-overlay init --snapshot merkle: root declares the profile, no snapshot.json, the proofs written as static files and served immutable', async () => {
    const repoDir = await world.upstream.tempDir('cli-overlay-');
    const cli = await run(process.execPath, [OVERLAY_CLI, 'init', '--upstream', world.upstream.url, '--reviewer', world.reviewers[0]!.publicFile, '--snapshot', 'merkle', '--repo', repoDir], repoDir, isolatedEnv(repoDir));
    ok(cli, 'tufpm-overlay init --snapshot merkle');
    assert.match(cli.stdout, /merkle snapshot profile/);
    for (const dir of [join(repoDir, 'metadata'), world.paths.metadataDir]) {
      assert.equal(Metadata.root(await readFile(join(dir, '1.root.json'))).signed.unrecognized['x-tufpm-snapshot'], 'merkle');
    }
    assert.ok(!(await readdir(world.paths.metadataDir)).some((f) => f.endsWith('snapshot.json')), 'no snapshot file');
    const head = await assertProofsOnDisk();
    const served = await fetch(`${world.metadata.url}${proofPath(head.root, OVERLAY_APPROVAL_ROLE)}`);
    assert.equal(served.status, 200);
    assert.match(served.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${world.metadata.url}merkle/${head.root}/delta.json`)).status, 200);
    assert.equal((await fetch(`${world.metadata.url}merkle/.store/head.json`)).status, 404, 'the tree store is not served');
    const status = await world.overlay(['status']);
    ok(status, 'status');
    assert.match(status.stdout, /Merkle snapshot profile, epoch \d+/);
  });

  test('tufpm-npm (file:// and HTTP) and Yarn install an approved tree through the Merkle overlay, the tree pinned', async () => {
    const head = await servedTreeHead(world.paths.metadataDir);
    const npmProject = await world.npmProject({ left: '^1.0.0' });
    ok(await npmProject.tufpmNpm(['install']), 'tufpm-npm install over HTTP');
    assert.match((await npmProject.read('node_modules/right/package.json'))!, /"version": ?"1\.0\.0"/);
    assert.deepEqual((JSON.parse((await npmProject.read('tufpm-lock.json'))!) as { merkle: unknown }).merkle, head);
    // the same directory as a file:// metadata URL (offline CI): proofs read from merkle/<root>/
    await npmProject.write('.npmrc', `registry=${world.upstream.url}\ntufpm-metadata-url=${pathToFileURL(world.paths.metadataDir).href}/\n`);
    await npmProject.freshMachine();
    ok(await npmProject.tufpmNpm(['ci']), 'tufpm-npm ci from file:// on a fresh machine');
    const yarnProject = await world.yarnProject({ left: '^1.0.0' });
    ok(await yarnProject.yarn(['install']), 'yarn install');
    const lock = JSON.parse((await yarnProject.read('tufpm-lock.json'))!) as { merkle: unknown; packages: Record<string, { role: string }> };
    assert.deepEqual(lock.merkle, head);
    assert.equal(lock.packages['right@1.0.0']?.role, OVERLAY_APPROVAL_ROLE);
  });

  test('approve, revoke, timestamp and snapshot keep the tree and its proof files; a revoked version is refused', async () => {
    await approveTree({ solo: '1.0.0' });
    const approved = await assertProofsOnDisk();
    const project = await world.npmProject({ solo: '1.0.0' });
    ok(await project.tufpmNpm(['install']), 'installs while approved');
    ok(await world.overlay(['revoke', 'solo@1.0.0', '--key', world.reviewers[0]!.file]), 'revoke');
    const revoked = await assertProofsOnDisk();
    assert.notEqual(revoked.root, approved.root, 'the revocation is a new tree');
    await refusedNpm(project, ['ci'], /TUF_NOT_APPROVED/, /package: +solo@1\.0\.0/);
    ok(await world.overlay(['timestamp']), 'timestamp');
    ok(await world.overlay(['snapshot']), 'snapshot');
    assert.deepEqual(await assertProofsOnDisk(), revoked, 'renewals sign the same tree');
    const fresh = await world.npmProject({ left: '^1.0.0' });
    ok(await fresh.tufpmNpm(['install']), 'the approved tree installs after the renewals');
  });

  test('rejects a tree root the project\'s auditors have not cosigned; installs once tufpm-auditor cosigned the overlay\'s tree', async () => {
    const auditor = generateEd25519KeyPair();
    const project = await world.npmProject({ left: '^1.0.0' });
    await project.write('tufpm-auditors.json', JSON.stringify({ threshold: 1, keys: { [auditor.key.keyid]: auditor.key.toJSON() } }));
    await refusedNpm(project, ['install'], /TUF_MERKLE_UNAUDITED/);
    // the auditor follows the team's static metadata, replays every delta.json, cosigns into metadata/
    const audit = await auditOnce({
      metadataUrl: world.metadata.url, stateDir: await world.upstream.tempDir('auditor-'), outDir: world.paths.metadataDir,
      trustedRoot: new Uint8Array(await readFile(world.rootFile)), signer: auditor.signer,
    });
    assert.equal(audit.root, (await servedTreeHead(world.paths.metadataDir)).root);
    ok(await project.tufpmNpm(['install']), 'installs once the auditor cosigned');
  });

  /** Forges a proof file, runs `attack`, puts the file back. */
  const withForgedProof = async (kind: 'other-root' | 'raised', attack: () => Promise<void>): Promise<void> => {
    const { file, original } = await forgeMerkleProof(world.paths.metadataDir, OVERLAY_APPROVAL_ROLE, kind);
    try {
      await attack();
    } finally {
      if (original === undefined) await rm(file);
      else await writeFile(file, original);
    }
  };

  test('rejects a forged proof of the approval role (the host raised its version), tufpm-npm and Yarn, the project unchanged', async () => {
    const npmProject = await world.npmProject({ left: '^1.0.0' });
    const yarnProject = await world.yarnProject({ left: '^1.0.0' });
    await withForgedProof('raised', async () => {
      await refusedNpm(npmProject, ['install'], /TUF_MERKLE_PROOF/);
      await refusedYarn(yarnProject, ['install'], /TUF_MERKLE_PROOF/);
    });
  });

  test('rejects a proof for a different root (the approval role\'s genuine proof under an older tree), tufpm-npm and Yarn, the project unchanged', async () => {
    const npmProject = await world.npmProject({ left: '^1.0.0' });
    const yarnProject = await world.yarnProject({ left: '^1.0.0' });
    await withForgedProof('other-root', async () => {
      await refusedNpm(npmProject, ['install'], /TUF_MERKLE_PROOF/);
      await refusedYarn(yarnProject, ['install'], /TUF_MERKLE_PROOF/);
    });
  });

  test('rejects the approval role rolled back in a new tree signed with the online timestamp key (pinned role version)', async () => {
    // last in this world: the forged epoch stays in the overlay's tree
    const npmProject = await world.npmProject({ left: '^1.0.0' });
    ok(await npmProject.tufpmNpm(['install']), 'tufpm-npm install before the attack');
    const yarnProject = await world.yarnProject({ left: '^1.0.0' });
    ok(await yarnProject.yarn(['install']), 'yarn install before the attack');
    const forged = await forgeMerkleRoleRollback(target, OVERLAY_APPROVAL_ROLE);
    assert.equal(forged.to, forged.from - 1);
    assert.ok((await readdir(join(world.paths.metadataDir, 'merkle', forged.root))).includes(`${encodeRoleName(OVERLAY_APPROVAL_ROLE)}.proof.json`), 'the forged tree\'s proofs are served like the genuine ones');
    await refusedNpm(npmProject, ['install'], /TUF_PIN_ROLLBACK/, /attack: +rollback of the delegated role/);
    await npmProject.freshMachine();
    await refusedNpm(npmProject, ['ci'], /TUF_PIN_ROLLBACK/);
    await refusedYarn(yarnProject, ['install'], /TUF_PIN_ROLLBACK/);
  });
});
