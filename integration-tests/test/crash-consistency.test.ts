import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Metadata } from '@tufpm/models';
import { buildPackageTarball } from '@tufpm/registry';
import { NpmWorld, TUFPM_NPM_CLI, isolatedEnv, type Project } from '../src/harness/npm-world.js';
import { YARN_JS, YarnProject, yarnEnv } from '../src/harness/yarn.js';
import { crashLoop, crashRuns, type CrashCommand, type CrashLoopResult } from '../src/harness/crash-loop.js';
import { clientSeesConsistentState, wholeFiles } from '../src/harness/crash-checks.js';

// Crash consistency (docs/reliability.md, "Crash consistency"): kill -9 at random moments during the
// operator's tufpm-repo commands, during tufpm-npm ci and during a Yarn install. After every kill: each metadata file is a whole
// signed file (old or new, never a torn one), a TUF client reading the registry right then refreshes to a
// consistent signed state, and the next run of the same command succeeds. TUFPM_CRASH_RUNS (or
// TUFPM_STRESS=1: 50) sets the runs per command; npm test runs a few.

const require = createRequire(import.meta.url);
const REPO_CLI = join(dirname(require.resolve('@tufpm/repo')), 'cli', 'main.js');
const RUNS = crashRuns(3);
const figures: Record<string, CrashLoopResult> = {};

describe('kill -9 during tufpm-repo commands and tufpm-npm ci', () => {
  let world: NpmWorld;
  const repoCmd = (args: string[]): CrashCommand => ({
    file: process.execPath,
    args: [REPO_CLI, ...args, '--registry', world.registryDir, '--keys', world.keysDir],
    cwd: world.base,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: world.base },
  });
  const consistent = async (): Promise<void> => {
    await wholeFiles(world.metadataDir);
    await clientSeesConsistentState(world, 'left', '1.0.0');
  };

  before(async () => {
    world = await NpmWorld.create();
    await world.publish('right', '1.0.0');
    await world.publish('left', '1.0.0', { right: '^1.0.0' });
  });
  after(async () => {
    if (Object.keys(figures).length > 0) process.stdout.write(`crash-loop figures ${JSON.stringify(figures)}\n`);
    await world?.close();
  });

  for (const command of ['snapshot', 'timestamp'] as const) {
    test(`kill -9 during tufpm-repo ${command} leaves whole files and a consistent signed state; the next run succeeds`, async () => {
      figures[command] = await crashLoop({
        runs: RUNS,
        seed: command,
        command: async () => repoCmd([command]),
        afterKill: consistent,
        afterRerun: consistent,
      });
      assert.equal(figures[command]!.failedReruns, 0);
    });
  }

  test('kill -9 during tufpm-repo rotate-key timestamp leaves whole files and a consistent signed state; the next rotation succeeds', async () => {
    const currentKey = async (): Promise<string> => {
      const roots = (await readdir(world.metadataDir)).filter((f) => /^\d+\.root\.json$/.test(f)).sort((a, b) => parseInt(b, 10) - parseInt(a, 10));
      const root = Metadata.fromBytes(await readFile(join(world.metadataDir, roots[0]!)), 'root');
      return [...root.signed.roles.get('timestamp')!.keyids][0]!;
    };
    figures['rotate-key'] = await crashLoop({
      runs: RUNS,
      seed: 'rotate-key',
      command: async () => repoCmd(['rotate-key', 'timestamp', await currentKey()]),
      afterKill: consistent,
      afterRerun: consistent,
    });
  });

  test('kill -9 during tufpm-repo import leaves whole files and a consistent signed state; the next import succeeds', async () => {
    const tgzDir = join(world.base, 'import-batches');
    let batch = 0;
    figures.import = await crashLoop({
      runs: RUNS,
      seed: 'import',
      // each run (and its rerun) imports the same new batch: the rerun meets what the killed run stored
      before: async (i) => {
        if (i === batch) return;
        batch = i;
        await rm(tgzDir, { recursive: true, force: true });
        await mkdir(tgzDir, { recursive: true });
        for (let k = 0; k < 20; k++) {
          const name = `imp-${i + 1}-${k}`;
          await writeFile(join(tgzDir, `${name}.tgz`), buildPackageTarball({ name, version: '1.0.0' }));
        }
      },
      command: async () => repoCmd(['import', tgzDir, '--batch', '5']),
      afterKill: consistent,
      afterRerun: async (i) => {
        await consistent();
        await clientSeesConsistentState(world, `imp-${i + 1}-19`, '1.0.0');
      },
    });
  });

  test('kill -9 during tufpm-npm ci: the next ci succeeds and the project files and pins are the committed ones', async () => {
    const project: Project = await world.project({ dependencies: { left: '^1.0.0' } });
    const first = await project.tufpmNpm(['install']);
    assert.equal(first.code, 0, first.stderr);
    const committed = { lock: await project.read('package-lock.json'), pins: await project.read('tufpm-lock.json'), pkg: await project.read('package.json') };
    const ci: CrashCommand = { file: process.execPath, args: [TUFPM_NPM_CLI, 'ci'], cwd: project.dir, env: isolatedEnv(project.machine) };
    figures['tufpm-npm ci'] = await crashLoop({
      runs: RUNS,
      seed: 'ci',
      before: async () => {
        // a cold npm cache each time: ci has tarballs to fetch, extract and verify
        await rm(join(project.machine, '.npm'), { recursive: true, force: true });
      },
      command: async () => ci,
      afterKill: async () => {
        assert.equal(await project.read('package-lock.json'), committed.lock, 'package-lock.json untouched');
        assert.equal(await project.read('package.json'), committed.pkg);
        assert.equal(await project.read('tufpm-lock.json'), committed.pins, 'pins untouched by a frozen install');
      },
      afterRerun: async () => {
        assert.equal(await project.read('node_modules/left/package.json').then((t) => (JSON.parse(t!) as { version: string }).version), '1.0.0');
        const leftovers = (await readdir(project.dir)).filter((f) => f.startsWith('.tufpm-ci-backup-'));
        assert.deepEqual(leftovers, [], 'no node_modules backup of a killed ci is left in the project');
      },
    });
  });

  test('kill -9 mid-ci: the node_modules backup a killed ci left is removed by the next ci (a running one is kept)', async () => {
    const project: Project = await world.project({ dependencies: { left: '^1.0.0' } });
    assert.equal((await project.tufpmNpm(['install'])).code, 0);
    const dead = '.tufpm-ci-backup-999999999-0123456789ab'; // pid that does not run
    const older = '.tufpm-ci-backup-0123456789ab'; // the name an older tufpm-npm gave it
    const running = `.tufpm-ci-backup-${process.pid}-0123456789ab`; // this test process: alive
    for (const d of [dead, older, running]) await mkdir(join(project.dir, d, 'left'), { recursive: true });
    const res = await project.tufpmNpm(['ci']);
    assert.equal(res.code, 0, res.stderr);
    const left = (await readdir(project.dir)).filter((f) => f.startsWith('.tufpm-ci-backup-')).sort();
    assert.deepEqual(left, [running], 'stale backups removed, a running ci\'s backup kept');
  });

  test('kill -9 during a Yarn install: the next install succeeds and yarn.lock and the pins are the committed ones', async () => {
    const project = await YarnProject.create(world, { left: '^1.0.0' }, { rc: { nodeLinker: 'node-modules' } });
    const first = await project.yarn(['install']);
    assert.equal(first.code, 0, first.stdout);
    const committed = { lock: await project.read('yarn.lock'), pins: await project.read('tufpm-lock.json') };
    const install: CrashCommand = { file: process.execPath, args: [YARN_JS, 'install'], cwd: project.dir, env: yarnEnv(project.machine) };
    figures['yarn install'] = await crashLoop({
      runs: RUNS,
      seed: 'yarn',
      before: async () => {
        // a cold Yarn cache and no linked tree: the install fetches, verifies and links each time
        for (const f of ['node_modules', '.yarn']) await rm(join(project.dir, f), { recursive: true, force: true });
        await rm(project.cacheFolder, { recursive: true, force: true });
        await rm(project.mirrorFolder, { recursive: true, force: true });
      },
      command: async () => install,
      afterKill: async () => {
        assert.equal(await project.read('yarn.lock'), committed.lock, 'yarn.lock untouched');
        assert.equal(await project.read('tufpm-lock.json'), committed.pins, 'pins untouched');
      },
      afterRerun: async () => {
        assert.equal(await project.read('node_modules/left/package.json').then((t) => (JSON.parse(t!) as { version: string }).version), '1.0.0');
        assert.equal(await project.read('tufpm-lock.json'), committed.pins);
      },
    });
  });
});
