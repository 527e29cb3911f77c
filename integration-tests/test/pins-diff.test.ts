import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata } from '@tufpm/models';
import { NpmWorld, Project, run, type CliResult } from '../src/harness/npm-world.js';

// `tufpm-diff` (ADR 0016) on a real git repository whose tufpm-lock.json was written by real tufpm-npm
// installs against the loopback registry: a pull request that upgrades one package, downgrades another,
// moves a package from its registry bin to its maintainers' new role, while the registry turned a 1-of-1
// package role into 2-of-2, rotated its root and re-signed hash bins. The summary names each change and
// leaves the re-signed bins out.

const TUFPM_DIFF = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'cli', 'bin', 'tufpm-diff.js');

function git(cwd: string, args: string[]): Promise<string> {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };
  return new Promise((ok, fail) => execFile('git', args, { cwd, env }, (error, stdout, stderr) => (error ? fail(new Error(`git ${args.join(' ')}: ${stderr}`)) : ok(stdout))));
}

const diff = (cwd: string, args: string[]): Promise<CliResult> => run(process.execPath, [TUFPM_DIFF, ...args], cwd, process.env);

interface DiffJson {
  ok: boolean;
  changed: boolean;
  base: { label: string; commit?: string; present: boolean; lockfileVersion?: number };
  head: { label: string; present: boolean };
  added: Array<{ name: string; to: string }>;
  removed: Array<{ name: string; from: string }>;
  upgraded: Array<{ name: string; from: string; to: string; fromSigner: string; toSigner: string }>;
  downgraded: Array<{ name: string; from: string; to: string }>;
  signers: Array<{ name: string; from: string; to: string }>;
  roleKeys: Array<{ role: string; packages: string[]; from: { keyids: string[]; threshold: number }; to: { keyids: string[]; threshold: number }; addedKeyids: string[] }>;
  state: Array<{ role: string; versionMoved: string; keysChanged: boolean; from: { version: number; sha256?: string }; to: { version: number; sha256?: string } }>;
  hidden: { binResigns: number; roleResigns: number };
  warnings: Array<{ code: string; message: string }>;
  lockfiles: Array<{ file: string; added: Array<{ name: string; to: string; pinned: boolean }>; removed: Array<{ name: string; from: string }>; upgraded: Array<{ name: string; from: string; to: string; pinned: boolean }>; downgraded: Array<{ name: string; from: string; to: string; pinned: boolean }> }>;
}

const sri = (bytes: Uint8Array): string => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;

describe('tufpm-diff on a git repository with real pin changes', () => {
  let world: NpmWorld;
  let project: Project;
  let repoDir: string;
  let baseCommit: string;
  const [keyOwner, coOwner, newOwner] = [NpmWorld.maintainer(), NpmWorld.maintainer(), NpmWorld.maintainer()];

  before(async () => {
    world = await NpmWorld.create();
    tarballs.set('left@1.0.0', (await world.publish('left', '1.0.0')).tarball);
    tarballs.set('lefft@1.0.0', (await world.publish('lefft', '1.0.0')).tarball);
    for (const [name, version] of [['left', '1.0.1'], ['up', '1.0.0'], ['up', '1.1.0'], ['down', '1.9.0'], ['down', '2.0.0'], ['turncoat', '1.0.0'], ['steady', '1.0.0']] as const) await world.publish(name, version);
    await world.claim('keyed', [keyOwner], 1);
    await world.publish('keyed', '1.0.0', {}, [keyOwner.signer]);
    // the project lives in a subdirectory of its repository (a monorepo): tufpm-diff reads `<commit>:./tufpm-lock.json`
    repoDir = await world.tempDir('repo-');
    const dir = join(repoDir, 'app');
    await mkdir(dir);
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', private: true }, null, 2)}\n`);
    await copyFile(join(world.metadataDir, '1.root.json'), join(dir, 'tufpm-root.json'));
    await writeFile(join(dir, '.npmrc'), `registry=${world.url}\n`);
    await writeFile(join(repoDir, '.gitignore'), 'node_modules/\n');
    project = new Project(world, dir, await world.tempDir('machine-'));
    const installed = await project.tufpmNpm(['install', 'up@1.0.0', 'down@2.0.0', 'turncoat@1.0.0', 'keyed@1.0.0', 'steady@1.0.0']);
    assert.equal(installed.code, 0, installed.stderr);
    await git(repoDir, ['init', '-q', '-b', 'main']);
    await git(repoDir, ['add', '-A']);
    await git(repoDir, ['commit', '-q', '-m', 'base']);
    baseCommit = (await git(repoDir, ['rev-parse', 'HEAD'])).trim();

    // The registry meanwhile: turncoat claimed by its maintainer who signs 1.1.0, keyed's role goes from
    // 1-of-1 to 2-of-2, the root rotates, and new packages land in (and re-sign) every hash bin.
    await world.claim('turncoat', [newOwner], 1);
    await world.publish('turncoat', '1.1.0', {}, [newOwner.signer]);
    await world.repo.transaction(async (repo) => {
      repo.setDelegatedKeys('targets', 'keyed', [keyOwner.key, coOwner.key], 2);
      repo.edit('keyed');
      repo.sign('keyed', [keyOwner.signer, coOwner.signer]);
      await world.repo.signRole('targets');
      await world.repo.resignSnapshotAndTimestamp();
    });
    const rootKey = Metadata.root(await world.readMetadata('1.root.json')).signed.roles.get('root')!.keyids[0]!;
    await world.repo.rotateKey('root', rootKey);
    for (let i = 0; i < 8; i++) await world.publish(`filler-${i}`, '1.0.0');

    // The pull request: one install, committed on a branch.
    await git(repoDir, ['checkout', '-q', '-b', 'feature']);
    const changed = await project.tufpmNpm(['install', 'up@1.1.0', 'down@1.9.0', 'turncoat@1.1.0']);
    assert.equal(changed.code, 0, changed.stderr);
    await git(repoDir, ['commit', '-q', '-am', 'upgrade']);
  });
  after(() => world.close());
  const tarballs = new Map<string, Uint8Array>();

  test('summarises a pull request: upgrade, downgrade, signer change, 1-of-1 -> 2-of-2 keys, moved root and floors; re-signed bins hidden', async () => {
    const res = await diff(project.dir, ['main', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const d = JSON.parse(res.stdout) as DiffJson;
    assert.equal(d.ok, true);
    assert.equal(d.changed, true);
    assert.equal(d.base.commit, baseCommit, 'the merge base of main and the branch');
    assert.equal(d.head.label, 'working tree');
    assert.deepEqual(d.upgraded.map((c) => `${c.name} ${c.from}->${c.to} ${c.fromSigner}->${c.toSigner}`).sort(), [
      'turncoat 1.0.0->1.1.0 registry->maintainer',
      'up 1.0.0->1.1.0 registry->registry',
    ]);
    assert.deepEqual(d.downgraded.map((c) => `${c.name} ${c.from}->${c.to}`), ['down 2.0.0->1.9.0']);
    assert.deepEqual(d.added, []);
    assert.deepEqual(d.removed, []);
    assert.deepEqual(d.signers, [{ name: 'turncoat', from: 'registry', to: 'maintainer' }]);
    assert.equal(d.roleKeys.length, 1, JSON.stringify(d.roleKeys));
    assert.equal(d.roleKeys[0]!.role, 'keyed');
    assert.deepEqual(d.roleKeys[0]!.packages, ['keyed']);
    assert.deepEqual(d.roleKeys[0]!.from, { keyids: [keyOwner.key.keyid], threshold: 1 });
    assert.deepEqual(d.roleKeys[0]!.to, { keyids: [keyOwner.key.keyid, coOwner.key.keyid].sort(), threshold: 2 });
    const moved = Object.fromEntries(d.state.map((s) => [s.role, s]));
    assert.deepEqual([moved.root!.from.version, moved.root!.to.version], [1, 2]);
    assert.equal(moved.root!.keysChanged, true);
    assert.equal(moved.root!.to.sha256, (await import('node:crypto')).createHash('sha256').update(await world.readMetadata('2.root.json')).digest('hex'), 'the root file sha256');
    for (const role of ['timestamp', 'snapshot', 'targets']) assert.equal(moved[role]?.versionMoved, 'up', role);
    assert.ok(d.hidden.binResigns >= 1, `steady@1.0.0's bin was re-signed: ${JSON.stringify(d.hidden)}`);
    assert.ok(d.hidden.roleResigns >= 1, 'keyed@1.0.0: its role was re-signed with the new keys');
    assert.deepEqual(d.warnings.map((w) => w.code), ['DOWNGRADE']);
    assert.doesNotMatch(res.stdout, /steady/, 'a package whose bin was only re-signed is not named');

    const text = await diff(project.dir, ['main']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^tufpm-lock\.json: main \([0-9a-f]{7}\) -> working tree\n/);
    assert.match(text.stdout, /WARNING DOWNGRADE: down goes down from 2\.0\.0 to 1\.9\.0/);
    assert.match(text.stdout, /keyed: 1-of-1 \[[0-9a-f]{8}\] -> 2-of-2 \[[0-9a-f]{8}, [0-9a-f]{8}\]/);
    assert.match(text.stdout, /turncoat: registry-signed -> maintainer-signed/);
    assert.match(text.stdout, /not shown: \d+ pin\(s\) whose hash bin was re-signed/);
    const md = await diff(project.dir, ['main', '--markdown']);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^### tufpm: pin changes in `tufpm-lock\.json`/);
    assert.match(md.stdout, /\| \*\*downgraded\*\* \| `down` \| 2\.0\.0 \| 1\.9\.0 \| registry-signed \|/);
    assert.match(md.stdout, /\| `keyed` \| `keyed` \| 1-of-1 \[[0-9a-f]{8}\] \| 2-of-2 \[[0-9a-f]{8}, [0-9a-f]{8}\] \|/);
  });

  test('tufpm diff shows a downgrade and a new package made only in package-lock.json (not pinned); tufpm-npm ci refuses them (TUF_PINS_STALE) until tufpm-npm install records them', async () => {
    // The red team's pull request (redteam3 diff-hide): left 1.0.1 -> 1.0.0 (a vulnerable release) and a
    // registry-signed typosquat `lefft`, written into package.json and package-lock.json only.
    const dir = await world.tempDir('lock-only-');
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { left: '^1.0.0' } }, null, 2)}\n`);
    await copyFile(join(world.metadataDir, '1.root.json'), join(dir, 'tufpm-root.json'));
    await writeFile(join(dir, '.npmrc'), `registry=${world.url}\n`);
    await writeFile(join(dir, '.gitignore'), 'node_modules/\n');
    const p = new Project(world, dir, await world.tempDir('machine-'));
    const installed = await p.tufpmNpm(['install']);
    assert.equal(installed.code, 0, installed.stderr);
    await git(dir, ['init', '-q', '-b', 'main']);
    await git(dir, ['add', '-A']);
    await git(dir, ['commit', '-q', '-m', 'base']);
    const lock = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
    assert.equal(lock.packages['node_modules/left']!['version'], '1.0.1');
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    lock.packages['node_modules/left'] = { ...lock.packages['node_modules/left'], version: '1.0.0', resolved: `${world.url}left/-/left-1.0.0.tgz`, integrity: sri(tarballs.get('left@1.0.0')!) };
    lock.packages['node_modules/lefft'] = { version: '1.0.0', resolved: `${world.url}lefft/-/lefft-1.0.0.tgz`, integrity: sri(tarballs.get('lefft@1.0.0')!) };
    pkg.dependencies['lefft'] = '1.0.0';
    (lock.packages['']!['dependencies'] as Record<string, string>)['lefft'] = '1.0.0';
    await writeFile(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
    await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
    await git(dir, ['checkout', '-q', '-b', 'pr']);
    await git(dir, ['commit', '-q', '-am', 'pr']);

    const res = await diff(dir, ['main', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const d = JSON.parse(res.stdout) as DiffJson;
    assert.equal(d.changed, true, 'not "no pin changes to review"');
    assert.deepEqual(d.downgraded, [], 'the pins did not move');
    assert.deepEqual(d.lockfiles.map((l) => l.file), ['package-lock.json']);
    assert.deepEqual(d.lockfiles[0]!.downgraded, [{ name: 'left', from: '1.0.1', to: '1.0.0', pinned: false }]);
    assert.deepEqual(d.lockfiles[0]!.added, [{ name: 'lefft', to: '1.0.0', pinned: false }]);
    assert.deepEqual(d.warnings.map((w) => w.code).sort(), ['DOWNGRADE', 'LOCKFILE_NOT_PINNED']);
    const text = await diff(dir, ['main']);
    assert.equal(text.code, 0, text.stderr);
    assert.doesNotMatch(text.stdout, /no pin changes to review/);
    assert.match(text.stdout, /WARNING LOCKFILE_NOT_PINNED: package-lock\.json installs 2 package version\(s\) tufpm-lock\.json does not pin: lefft@1\.0\.0, left@1\.0\.0/);
    assert.match(text.stdout, /package-lock\.json: 1 added, 0 removed, 0 upgraded, 1 downgraded\n/);
    assert.match(text.stdout, /\n {2}\+ lefft@1\.0\.0 {2}NOT PINNED: run tufpm-npm install \/ yarn install to record\n/);
    assert.match(text.stdout, /\n {2}v left 1\.0\.1 -> 1\.0\.0 {2}DOWNGRADE {2}NOT PINNED/);
    const md = await diff(dir, ['main', '--markdown']);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /\| \*\*downgraded\*\* \| `left` \| 1\.0\.1 \| 1\.0\.0 \| \*\*not pinned\*\*: run tufpm-npm install \/ yarn install to record \|/);
    assert.match(md.stdout, /\| added \| `lefft` \| \| 1\.0\.0 \| \*\*not pinned\*\*/);

    // CI's frozen install refuses what the pins do not list, before anything lands.
    await p.freshMachine();
    const before = await p.state();
    const ci = await p.tufpmNpm(['ci']);
    assert.equal(ci.code, 1, ci.stderr);
    assert.match(ci.stderr, /TUF_PINS_STALE/);
    assert.match(ci.stderr, /lefft@1\.0\.0, left@1\.0\.0/);
    assert.match(ci.stderr, /run `tufpm-npm install`, review the change with `tufpm diff`/);
    assert.deepEqual(await p.state(), before, 'nothing installed, no file changed');

    // The legitimate way: a verified install records them; the diff then shows the pins moving with them.
    const recorded = await p.tufpmNpm(['install']);
    assert.equal(recorded.code, 0, recorded.stderr);
    const after = JSON.parse((await diff(dir, ['main', '--json'])).stdout) as DiffJson;
    assert.deepEqual(after.downgraded.map((c) => `${c.name} ${c.from}->${c.to}`), ['left 1.0.1->1.0.0']);
    assert.deepEqual(after.lockfiles[0]!.downgraded, [{ name: 'left', from: '1.0.1', to: '1.0.0', pinned: true }]);
    assert.ok(!after.warnings.some((w) => w.code === 'LOCKFILE_NOT_PINNED'), JSON.stringify(after.warnings));
    const ciOk = await p.tufpmNpm(['ci']);
    assert.equal(ciOk.code, 0, ciOk.stderr);
  });

  test('compares HEAD with the working tree by default, a branch head with --head, and two files with --files', async () => {
    const clean = await diff(project.dir, ['--json']);
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal((JSON.parse(clean.stdout) as DiffJson).changed, false, 'HEAD and the working tree hold the same pins');
    const byRef = await diff(project.dir, ['main', '--head', 'feature', '--json']);
    assert.equal(byRef.code, 0, byRef.stderr);
    assert.deepEqual((JSON.parse(byRef.stdout) as DiffJson).downgraded.map((c) => c.name), ['down']);
    const old = join(repoDir, 'old-pins.json');
    await writeFile(old, await git(project.dir, ['show', 'main:./tufpm-lock.json']));
    const files = await diff(repoDir, ['--files', 'old-pins.json', 'app/tufpm-lock.json', '--json']);
    assert.equal(files.code, 0, files.stderr);
    const f = JSON.parse(files.stdout) as DiffJson;
    assert.deepEqual(f.signers, [{ name: 'turncoat', from: 'registry', to: 'maintainer' }]);
    assert.equal(f.base.label, 'old-pins.json');
  });

  test('warns when a pull request deletes tufpm-lock.json, and stops with a coded error on an unknown ref or a malformed file', async () => {
    await git(repoDir, ['rm', '-q', 'app/tufpm-lock.json']);
    try {
      const res = await diff(project.dir, ['--json']);
      assert.equal(res.code, 0, res.stderr);
      const d = JSON.parse(res.stdout) as DiffJson;
      assert.equal(d.head.present, false);
      assert.deepEqual(d.warnings.map((w) => w.code), ['LOCKFILE_DELETED']);
    } finally {
      await git(repoDir, ['checkout', '-q', 'HEAD', '--', 'app/tufpm-lock.json']);
    }
    const unknown = await diff(project.dir, ['no-such-branch']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /TUF_DIFF_GIT: unknown git revision "no-such-branch"/);
    const option = await diff(project.dir, ['--upload-pack=x']);
    assert.equal(option.code, 2, 'an unknown option is a usage error, never handed to git');
    await writeFile(join(repoDir, 'broken.json'), '{"lockfileVersion": 2, "unsafe": true}');
    const broken = await diff(repoDir, ['--files', 'old-pins.json', 'broken.json']);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /TUF_LOCKFILE/);
  });
});
