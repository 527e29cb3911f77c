// Installs in the Merkle snapshot profile (issue 21, ADR 0021/0022) with real Yarn and real tufpm-npm against
// the loopback registry: a tree installs, the tree is pinned, the project's auditors are required, one role
// rolled back in a new tree is refused. Then the classic attack tests of yarn-attacks / npm-attacks run again,
// unchanged, in a Merkle-profile world (the harness's NpmWorld reads TUFPM_TEST_SNAPSHOT).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { auditOnce } from '@tufpm/auditor';
import { generateEd25519KeyPair, Metadata } from '@tufpm/models';
import { NpmWorld, isolatedEnv, run } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';
import { refusedNpm, refusedYarn } from '../src/harness/attacks-graph.js';
import { forgeMerkleRoleRollback } from '../src/harness/attacks-merkle.js';

const VERIFY_CLI = join(dirname(createRequire(import.meta.url).resolve('@tufpm/cli')), 'main.js');

function treeHead(bytes: Uint8Array): { root: string; size: number } {
  return Metadata.timestamp(bytes).signed.unrecognized['x-tufpm-merkle'] as { root: string; size: number };
}

describe('the Merkle snapshot profile: Yarn and tufpm-npm install from the loopback registry', () => {
  let world: NpmWorld;
  before(async () => {
    world = await NpmWorld.create({ snapshot: 'merkle' });
    await world.publish('right', '1.0.0');
    await world.publish('left', '1.0.0', { right: '^1.0.0' });
  });
  after(() => world.close());

  test('tufpm-npm and Yarn install a tree: no snapshot.json, the tree root and size pinned in tufpm-lock.json', async () => {
    const head = treeHead(await world.readMetadata('timestamp.json'));
    assert.ok(!(await world.metadataFiles()).some((f) => f.endsWith('snapshot.json')), 'no snapshot file in this profile');
    const npmProject = await world.project({ dependencies: { left: '^1.0.0' } });
    const npm = await npmProject.tufpmNpm(['install']);
    assert.equal(npm.code, 0, npm.stderr);
    assert.match((await npmProject.read('node_modules/right/package.json'))!, /"version": ?"1\.0\.0"/);
    const npmLock = JSON.parse((await npmProject.read('tufpm-lock.json'))!) as { merkle: unknown; snapshot: { version: number } };
    assert.deepEqual(npmLock.merkle, head);
    const yarnProject = await YarnProject.create(world, { left: '^1.0.0' });
    const yarn = await yarnProject.yarn(['install']);
    assert.equal(yarn.code, 0, yarn.stdout);
    const yarnLock = JSON.parse((await yarnProject.read('tufpm-lock.json'))!) as { merkle: unknown };
    assert.deepEqual(yarnLock.merkle, head);
    // a fresh machine installs from the pins (frozen), the pinned roles' proofs prefetched
    await yarnProject.freshMachine();
    const again = await yarnProject.yarn(['install', '--immutable']);
    assert.equal(again.code, 0, again.stdout);
  });

  test('rejects a tree root the project\'s auditors have not cosigned, installs once tufpm-auditor has', async () => {
    await world.publish('audited', '1.0.0');
    const auditor = generateEd25519KeyPair();
    const policy = JSON.stringify({ threshold: 1, keys: { [auditor.key.keyid]: auditor.key.toJSON() } });
    const npmProject = await world.project({ dependencies: { audited: '^1.0.0' } });
    await npmProject.write('tufpm-auditors.json', policy);
    await refusedNpm(npmProject, ['install'], /TUF_MERKLE_UNAUDITED/, /attack: +split view/);
    const yarnProject = await YarnProject.create(world, { audited: '^1.0.0' });
    await writeFile(join(yarnProject.dir, 'tufpm-auditors.json'), policy);
    await refusedYarn(yarnProject, ['install'], /TUF_MERKLE_UNAUDITED/);
    // the auditor replays the registry's deltas from the empty tree and cosigns into the served metadata dir
    const audit = await auditOnce({
      metadataUrl: `${world.url}-/tuf/metadata/`, stateDir: await world.tempDir('auditor-'), outDir: world.metadataDir,
      trustedRoot: new Uint8Array(await world.readMetadata('1.root.json')), signer: auditor.signer,
    });
    assert.equal(audit.root, treeHead(await world.readMetadata('timestamp.json')).root);
    const npm = await npmProject.tufpmNpm(['install']);
    assert.equal(npm.code, 0, npm.stderr);
    const yarn = await yarnProject.yarn(['install']);
    assert.equal(yarn.code, 0, yarn.stdout);
  });

  test('rejects a pull request that deletes tufpm-auditors.json (or swaps in its own auditor key) while tufpm-lock.json records auditors as required', async () => {
    await world.publish('guarded', '1.0.0');
    const auditor = generateEd25519KeyPair();
    const policy = JSON.stringify({ threshold: 1, keys: { [auditor.key.keyid]: auditor.key.toJSON() } });
    await auditOnce({
      metadataUrl: `${world.url}-/tuf/metadata/`, stateDir: await world.tempDir('auditor-'), outDir: world.metadataDir,
      trustedRoot: new Uint8Array(await world.readMetadata('1.root.json')), signer: auditor.signer,
    });
    const npmProject = await world.project({ dependencies: { guarded: '^1.0.0' } });
    await npmProject.write('tufpm-auditors.json', policy);
    const yarnProject = await YarnProject.create(world, { guarded: '^1.0.0' });
    await writeFile(join(yarnProject.dir, 'tufpm-auditors.json'), policy);
    assert.equal((await npmProject.tufpmNpm(['install'])).code, 0);
    const yarn = await yarnProject.yarn(['install']);
    assert.equal(yarn.code, 0, yarn.stdout);
    for (const project of [npmProject, yarnProject]) {
      const lock = JSON.parse((await project.read('tufpm-lock.json'))!) as { merkle: { auditors: unknown } };
      assert.deepEqual(lock.merkle.auditors, { keyids: [auditor.key.keyid], threshold: 1 }, 'the requirement is recorded with the pins');
    }
    // the pull request deletes the auditors file and leaves the pins alone
    await rm(join(npmProject.dir, 'tufpm-auditors.json'));
    await rm(join(yarnProject.dir, 'tufpm-auditors.json'));
    await refusedNpm(npmProject, ['install'], /TUF_AUDITORS_REMOVED/, /attack: +auditor requirement removed or weakened/);
    await npmProject.freshMachine();
    await refusedNpm(npmProject, ['ci'], /TUF_AUDITORS_REMOVED/);
    const gate = await run(process.execPath, [VERIFY_CLI, '--json'], npmProject.dir, isolatedEnv(npmProject.machine));
    assert.equal(gate.code, 1, gate.stdout);
    assert.match(gate.stdout, /TUF_AUDITORS_REMOVED/, 'the CI gate refuses it too');
    await refusedYarn(yarnProject, ['install'], /TUF_AUDITORS_REMOVED/);
    // or it swaps in an auditor key of its own at the same threshold: the attacker's auditor alone would do
    const own = generateEd25519KeyPair();
    await npmProject.write('tufpm-auditors.json', JSON.stringify({ threshold: 1, keys: { [own.key.keyid]: own.key.toJSON() } }));
    await refusedNpm(npmProject, ['install'], /TUF_AUDITORS_REMOVED/, /lists 1 key\(s\) the pins never recorded/);
    // the team's file back: the install goes on
    await npmProject.write('tufpm-auditors.json', policy);
    assert.equal((await npmProject.tufpmNpm(['install'])).code, 0);
  });

  test('rejects rollback of one role in a new tree (the pinned role version, checked when the proofs arrive)', async () => {
    // last in this world: the forged epoch stays in the registry's tree
    await world.publish('rolled', '1.0.0');
    const { role } = await world.publish('rolled', '1.0.1');
    const npmProject = await world.project({ dependencies: { rolled: '1.0.1' } });
    assert.equal((await npmProject.tufpmNpm(['install'])).code, 0);
    const yarnProject = await YarnProject.create(world, { rolled: '1.0.1' });
    assert.equal((await yarnProject.yarn(['install'])).code, 0);
    // the registry's online timestamp key signs a new tree that lists the role one version back
    const forged = await forgeMerkleRoleRollback(world, role);
    assert.equal(forged.to, forged.from - 1);
    // nothing needs downloading (node_modules is in place): the proofs of the pinned roles still refuse it
    const res = await refusedNpm(npmProject, ['install'], /TUF_PIN_ROLLBACK/, /attack: +rollback of the delegated role/);
    assert.match(res.stderr, new RegExp(`role: +${role}`));
    await npmProject.freshMachine();
    await refusedNpm(npmProject, ['ci'], /TUF_PIN_ROLLBACK/, /attack: +rollback of the delegated role/);
    await refusedYarn(yarnProject, ['install'], /TUF_PIN_ROLLBACK/);
    await yarnProject.freshMachine();
    await refusedYarn(yarnProject, ['install', '--immutable'], /TUF_PIN_ROLLBACK/);
  });
});

const dist = fileURLToPath(new URL('.', import.meta.url));

/** Runs tests of another attack file in a child `node --test`, in the Merkle profile; returns pass/fail counts. */
function rerun(file: string, names: string[]): Promise<{ pass: number; fail: number; output: string }> {
  const pattern = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--test', '--test-reporter=spec', `--test-name-pattern=^(${pattern})$`, join(dist, file)], {
      // NODE_TEST_CONTEXT would make the child report to this runner instead of running the file
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), TUFPM_TEST_SNAPSHOT: 'merkle' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', () => {
      const count = (what: string) => Number(new RegExp(`ℹ ${what} (\\d+)`).exec(output)?.[1] ?? NaN);
      resolve({ pass: count('pass'), fail: count('fail'), output });
    });
  });
}

// The key attack tests, unchanged, against a Merkle-profile registry: tampered tarball, snapshot/timestamp
// rollback on a fresh machine, mix-and-match, freeze. (Their role rollback, "targets from before a claim",
// forges a classic snapshot.json; its Merkle counterpart is "rejects rollback of one role in a new tree" above.)
const NPM_ATTACKS = [
  'a ci refused during reify (tampered tarball) puts the previous node_modules back',
  'rejects a snapshot rollback on a fresh machine with pins (ci)',
  'rejects mix-and-match: a role file of another version than the snapshot lists',
  'rejects an expired timestamp (freeze attack)',
];
const YARN_ATTACKS = [
  'rejects a tampered tarball before Yarn unpacks it',
  'rejects a snapshot rollback on a fresh machine with pins (yarn install --immutable)',
  'rejects mix-and-match: a role file of another version than the snapshot lists',
  'rejects an expired timestamp (freeze attack)',
];

test('the classic attack tests of npm-attacks pass in the Merkle profile', async () => {
  const r = await rerun('npm-attacks.test.js', NPM_ATTACKS);
  assert.deepEqual([r.pass, r.fail], [NPM_ATTACKS.length, 0], r.output);
});

test('the classic attack tests of yarn-attacks pass in the Merkle profile', async () => {
  const r = await rerun('yarn-attacks.test.js', YARN_ATTACKS);
  assert.deepEqual([r.pass, r.fail], [YARN_ATTACKS.length, 0], r.output);
});
