// Role bundles (ADR 0024) with real tufpm-npm and real Yarn against the loopback registry: a cold frozen
// install of a tree whose packages sit in 256 registry-signed hash bins takes the bins from the snapshot's
// bundles (one request per bundle instead of one per bin, counted at the registry), installs the same
// tree without them, and refuses a tampered bundle entry as it refuses the same bytes served alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Universe } from '@tufpm/registry';
import { NpmWorld, type Project } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';
import { refusedNpm, refusedYarn } from '../src/harness/attacks-graph.js';

interface RoleRequests { bins: number; bundles: number }

describe('role bundles: cold installs fetch hash bins in batches', () => {
  let world: NpmWorld;
  let universe: Universe;
  let npmProject: Project;
  let yarnProject: YarnProject;
  const lines: string[] = [];
  before(async () => {
    world = await NpmWorld.create({ bitLength: 8, log: (line) => lines.push(line) });
    universe = await world.universe(150, 'role-bundles');
    npmProject = await world.project({ dependencies: universe.rootDependencies });
    const npm = await npmProject.tufpmNpm(['install', '--ignore-scripts']);
    assert.equal(npm.code, 0, npm.stderr);
    yarnProject = await YarnProject.create(world, universe.rootDependencies);
    const yarn = await yarnProject.yarn(['install']);
    assert.equal(yarn.code, 0, yarn.stdout);
  });
  after(() => world.close());

  function roleRequests(from: number): RoleRequests {
    const seen = lines.slice(from);
    return {
      bins: seen.filter((l) => /^GET \/-\/tuf\/metadata\/\d+\.unclaimed-[0-9a-f]+\.json 200$/.test(l)).length,
      bundles: seen.filter((l) => /^GET \/-\/tuf\/metadata\/\d+\.bundle-\d+\.json 200$/.test(l)).length,
    };
  }

  async function coldNpmCi(): Promise<RoleRequests> {
    await npmProject.freshMachine();
    const from = lines.length;
    const res = await npmProject.tufpmNpm(['ci', '--ignore-scripts']);
    assert.equal(res.code, 0, res.stderr);
    return roleRequests(from);
  }

  async function coldYarnImmutable(): Promise<RoleRequests> {
    await yarnProject.freshMachine();
    const from = lines.length;
    const res = await yarnProject.yarn(['install', '--immutable']);
    assert.equal(res.code, 0, res.stdout);
    return roleRequests(from);
  }

  /** Moves every bundle file out of the served directory (a registry that writes none) and back. */
  async function withoutBundles<T>(fn: () => Promise<T>): Promise<T> {
    const files = (await readdir(world.metadataDir)).filter((f) => f.includes('.bundle-'));
    assert.ok(files.length >= 8, 'the registry wrote bundles with its snapshots');
    const aside = await world.tempDir('bundles-aside-');
    for (const f of files) await rename(join(world.metadataDir, f), join(aside, f));
    try {
      return await fn();
    } finally {
      for (const f of files) await rename(join(aside, f), join(world.metadataDir, f));
    }
  }

  test('a cold tufpm-npm ci and yarn install --immutable make a request per bundle, not one per bin', async (t) => {
    const npmWith = await coldNpmCi();
    const yarnWith = await coldYarnImmutable();
    const [npmWithout, yarnWithout] = await withoutBundles(async () => [await coldNpmCi(), await coldYarnImmutable()]);
    t.diagnostic(`role requests, cold: tufpm-npm ci ${JSON.stringify(npmWith)} with bundles, ${JSON.stringify(npmWithout)} without; yarn --immutable ${JSON.stringify(yarnWith)} with, ${JSON.stringify(yarnWithout)} without`);
    // the closure needs most of the 256 bins: every one a request without bundles
    assert.ok(npmWithout.bins > 60 && npmWithout.bundles === 0, JSON.stringify(npmWithout));
    assert.ok(yarnWithout.bins > 60 && yarnWithout.bundles === 0, JSON.stringify(yarnWithout));
    for (const [who, withB, withoutB] of [['tufpm-npm', npmWith, npmWithout], ['yarn', yarnWith, yarnWithout]] as const) {
      assert.ok(withB.bundles >= 1 && withB.bundles <= 8, `${who}: ${JSON.stringify(withB)}`);
      assert.ok(withB.bins + withB.bundles <= withoutB.bins / 4, `${who}: ${JSON.stringify(withB)} against ${JSON.stringify(withoutB)} without bundles`);
    }
  });

  test('rejects a tampered bundle entry on a cold install, with the code the role file alone would earn (tufpm-npm, Yarn)', async () => {
    const pins = JSON.parse((await npmProject.read('tufpm-lock.json'))!) as { packages: Record<string, { role: string }> };
    const victim = Object.values(pins.packages)[0]!.role;
    assert.match(victim, /^unclaimed-[0-9a-f]{2}$/);
    const snapshot = JSON.parse((await world.readMetadata('timestamp.json')).toString('utf8')) as { signed: { meta: Record<string, { version: number }> } };
    const v = snapshot.signed.meta['snapshot.json']!.version;
    const k = Math.floor(parseInt(victim.slice('unclaimed-'.length), 16) / 32);
    const file = `${v}.bundle-${k}.json`;
    const original = await world.readMetadata(file);
    const bundle = JSON.parse(original.toString('utf8')) as { roles: Record<string, string> };
    const role = Buffer.from(bundle.roles[victim]!, 'base64').toString('utf8');
    // one signed hex digit changed: the registry (or a CDN in front of it) serving a forged entry
    const tampered = role.replace(/"sha512":"([0-9a-f])/, (_m, d: string) => `"sha512":"${d === '0' ? '1' : '0'}`);
    assert.notEqual(tampered, role);
    bundle.roles[victim] = Buffer.from(tampered, 'utf8').toString('base64');
    await world.writeMetadata(file, JSON.stringify(bundle));
    try {
      await npmProject.freshMachine();
      await refusedNpm(npmProject, ['ci', '--ignore-scripts'], /TUF_THRESHOLD/);
      await yarnProject.freshMachine();
      await refusedYarn(yarnProject, ['install', '--immutable'], /TUF_THRESHOLD/);
      // the same bytes as the role's own file (no bundles): the same refusal
      await withoutBundles(async () => {
        const roleFile = (await readdir(world.metadataDir)).filter((f) => f.endsWith(`.${victim}.json`)).sort((a, b) => parseInt(b) - parseInt(a))[0]!;
        const good = await world.readMetadata(roleFile);
        await world.writeMetadata(roleFile, tampered);
        try {
          await npmProject.freshMachine();
          await refusedNpm(npmProject, ['ci', '--ignore-scripts'], /TUF_THRESHOLD/);
        } finally {
          await world.writeMetadata(roleFile, good);
        }
      });
    } finally {
      await world.writeMetadata(file, original);
    }
  });
});
