import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { generateUniverse, tarballFile, type Universe } from '@tufpm/registry';
import { readPackageTarball } from '@tufpm/repo';
import { NpmWorld } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';

// Real Yarn 4.18 (@yarnpkg/cli-dist) with the tufpm plugin bundle against the loopback registry: a clean
// install of a realistic tree, reinstalls from the cache and the mirror, a fresh CI machine, the commands.

interface SideLock {
  root: { version: number };
  timestamp: { version: number };
  snapshot: { version: number };
  packages: Record<string, { yarnChecksum?: string; sha512: string; role: string; roleVersion: number }>;
}

async function sideLock(project: YarnProject): Promise<SideLock> {
  const text = await project.read('tufpm-lock.json');
  assert.ok(text, 'tufpm-lock.json written');
  return JSON.parse(text) as SideLock;
}

/** `"name@npm:1.0.0": ... checksum: 10c0/...` entries of yarn.lock, as name@version -> checksum. */
function lockChecksums(yarnLock: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  for (const line of yarnLock.split('\n')) {
    const resolution = /^ {2}resolution: "(.+)@npm:(.+)"$/.exec(line);
    if (resolution) current = `${resolution[1]}@${resolution[2]}`;
    const checksum = /^ {2}checksum: (\S+)$/.exec(line);
    if (checksum && current) out.set(current, checksum[1]!);
  }
  return out;
}

describe('Yarn 4 with the tufpm plugin installs a verified tree', () => {
  let world: NpmWorld;
  let universe: Universe;

  before(async () => {
    world = await NpmWorld.create();
    universe = await generateUniverse({ dir: world.registryDir, packages: 60, seed: 'yarn-plugin', roots: 8 });
    const tarballs = await Promise.all(universe.targets.map(async (t) => readPackageTarball(await readFile(tarballFile(world.registryDir, t.tarballPath)))));
    await world.repo.publishPrepared(tarballs);
  });
  after(() => world.close());

  test('clean install of a realistic tree verifies, binds and pins every package', async () => {
    const project = await YarnProject.create(world, universe.rootDependencies);
    const res = await project.yarn(['install']);
    assert.equal(res.code, 0, res.stdout);
    assert.match(res.stdout, new RegExp(`TUF: ${universe.closure.length} of ${universe.closure.length} npm packages signed`));
    const lock = await sideLock(project);
    assert.deepEqual(Object.keys(lock.packages).sort(), [...universe.closure].sort());
    const checksums = lockChecksums((await project.read('yarn.lock'))!);
    for (const [key, pin] of Object.entries(lock.packages)) assert.equal(pin.yarnChecksum, checksums.get(key), `${key} bound to its yarn.lock checksum`);
    // The tree really works: every root package loads its whole dependency chain through PnP.
    const roots = Object.keys(universe.rootDependencies);
    const load = await project.yarn(['node', '-e', `for (const r of ${JSON.stringify(roots)}) require(r); console.log("loaded")`]);
    assert.equal(load.code, 0, load.stderr + load.stdout);
    assert.match(load.stdout, /loaded/);

    // Cache hits: no tarball is downloaded again, the bindings vouch for the archives.
    world.registry.resetCounts();
    const again = await project.yarn(['install']);
    assert.equal(again.code, 0, again.stdout);
    assert.equal(world.registry.counts().tarball, 0);

    // `yarn tuf verify` re-checks yarn.lock against the signed state and the pins.
    const verify = await project.yarn(['tuf', 'verify']);
    assert.equal(verify.code, 0, verify.stdout);
    assert.match(verify.stdout, new RegExp(`${universe.closure.length} of ${universe.closure.length} npm packages of yarn.lock verified`));
  });

  test('a fresh machine with --immutable installs against the pins, and so does a mirror-only checkout', async () => {
    const project = await YarnProject.create(world, universe.rootDependencies);
    assert.equal((await project.yarn(['install'])).code, 0);
    const pinned = await project.read('tufpm-lock.json');

    // The registry moves on (a new snapshot and timestamp), but --immutable never moves the pins.
    await world.publish('immutable-bystander', '1.0.0');
    await project.freshMachine();
    const check = await project.yarn(['tuf', 'verify']);
    assert.equal(check.code, 0, `yarn tuf verify on a fresh machine checks yarn.lock against the pins\n${check.stdout}`);
    world.registry.resetCounts();
    const ci = await project.yarn(['install', '--immutable']);
    assert.equal(ci.code, 0, ci.stdout);
    assert.equal(world.registry.counts().tarball, universe.closure.length, 'every tarball downloaded and verified');
    assert.equal(await project.read('tufpm-lock.json'), pinned, '--immutable checks against the pins and never moves them');

    // A second checkout on the same machine: Yarn copies every archive from the mirror (no download).
    const checkout = await YarnProject.create(world, universe.rootDependencies, { machine: project.machine });
    await checkout.write('yarn.lock', (await project.read('yarn.lock'))!);
    await checkout.write('tufpm-lock.json', pinned!);
    world.registry.resetCounts();
    const fromMirror = await checkout.yarn(['install', '--immutable']);
    assert.equal(fromMirror.code, 0, fromMirror.stdout);
    assert.equal(world.registry.counts().tarball, 0, 'served by the mirror, checked through the bindings');
  });

  test('a new project on a machine whose mirror is warm verifies each mirrored archive against a verified download', async () => {
    const first = await YarnProject.create(world, universe.rootDependencies);
    assert.equal((await first.yarn(['install'])).code, 0);
    // Same machine: its own bindings (kept outside any project) vouch for the archives it built.
    const second = await YarnProject.create(world, universe.rootDependencies, { machine: first.machine });
    const res = await second.yarn(['install']);
    assert.equal(res.code, 0, res.stdout);
    assert.doesNotMatch(res.stdout, /were rebuilt from verified tarballs/);
    assert.deepEqual(Object.keys((await sideLock(second)).packages).sort(), [...universe.closure].sort());
    // Without this machine's bindings (a mirror shared from elsewhere), every archive is rebuilt and compared.
    const tufState = join(first.machine, '.local', 'state', 'tufpm');
    const bindings = (await readdir(tufState, { recursive: true })).filter((f) => f.endsWith('yarn-bindings.json'));
    assert.equal(bindings.length, 1, 'the machine keeps one bindings file in its tufpm state directory');
    await rm(join(tufState, bindings[0]!));
    const third = await YarnProject.create(world, universe.rootDependencies, { machine: first.machine });
    const rebuilt = await third.yarn(['install']);
    assert.equal(rebuilt.code, 0, rebuilt.stdout);
    assert.match(rebuilt.stdout, new RegExp(`TUF: ${universe.closure.length} archive\\(s\\) without a pinned binding were rebuilt from verified tarballs`));
  });

  test('pins move forward when newer signed metadata verifies', async () => {
    const project = await YarnProject.create(world, universe.rootDependencies);
    assert.equal((await project.yarn(['install'])).code, 0);
    const before = await sideLock(project);
    await world.publish('late-arrival', '1.0.0');
    const res = await project.yarn(['install']);
    assert.equal(res.code, 0, res.stdout);
    const after = await sideLock(project);
    assert.ok(after.timestamp.version > before.timestamp.version, 'timestamp pin advanced');
    assert.ok(after.snapshot.version > before.snapshot.version, 'snapshot pin advanced');
    const hashes = (lock: SideLock): string[] => Object.entries(lock.packages).map(([k, p]) => `${k} ${p.sha512} ${p.yarnChecksum}`).sort();
    assert.deepEqual(hashes(after), hashes(before), 'the same tarballs and archives stay pinned');
    for (const [key, pin] of Object.entries(after.packages)) {
      assert.ok(pin.roleVersion >= before.packages[key]!.roleVersion, `${key}: role version pin never goes down`);
    }
  });

  test('yarn tuf status shows the trusted state, the pins and the expiry dates (--json)', async () => {
    const project = await YarnProject.create(world, universe.rootDependencies);
    const none = await project.yarn(['tuf', 'status']);
    assert.equal(none.code, 0, none.stdout);
    assert.match(none.stdout, /pins +none yet/);
    assert.match(none.stdout, /next +timestamp expires \d{4}-\d\d-\d\dT/);
    assert.equal((await project.yarn(['install'])).code, 0);
    const res = await project.yarn(['tuf', 'status', '--json']);
    assert.equal(res.code, 0, res.stdout);
    const status = JSON.parse(res.stdout.trim().split('\n').find((l) => l.includes('"timestamp"'))!) as {
      timestamp: { version: number; expires: string };
      pinned: { timestamp: number; packages: number };
      nextExpiry: { role: string; expires: string };
    };
    assert.deepEqual(status.nextExpiry, { role: 'timestamp', expires: status.timestamp.expires });
    const lock = await sideLock(project);
    assert.equal(status.pinned.timestamp, lock.timestamp.version);
    assert.equal(status.pinned.packages, universe.closure.length);
    assert.ok(Date.parse(status.timestamp.expires) > Date.now(), 'expiry is a date in the future');
  });

  test('the node-modules linker gets the same verification', async () => {
    const project = await YarnProject.create(world, universe.rootDependencies, { rc: { nodeLinker: 'node-modules' } });
    const res = await project.yarn(['install']);
    assert.equal(res.code, 0, res.stdout);
    const state = await project.state();
    for (const root of Object.keys(universe.rootDependencies)) assert.ok(state.nodeModules.includes(root.startsWith('@') ? root.split('/')[0]! : root), `${root} linked`);
    assert.equal(Object.keys((await sideLock(project)).packages).length, universe.closure.length);
  });
});
