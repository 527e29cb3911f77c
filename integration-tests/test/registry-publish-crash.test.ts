import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NpmRepository } from '@tufpm/repo';
import { addToken, buildPackageTarball, readStoredPackument } from '@tufpm/registry';
import { NpmWorld } from '../src/harness/npm-world.js';
import { crashLoop, crashRuns, type CrashLoopResult } from '../src/harness/crash-loop.js';
import { clientSeesConsistentState, wholeFiles } from '../src/harness/crash-checks.js';

// Crash consistency of a registry publish (docs/reliability.md, "Crash consistency"): a real
// `tufpm-registry --keys` process and its publisher killed with SIGKILL at random moments of
// start-up-publish-stop. After every kill: each metadata file whole, a fresh TUF client refreshes to a
// consistent signed state, every packument parses, and no signed target is without its tarball (the
// files are written before the metadata that names them). Then the same publish is run again (the
// registry finishes an interrupted publish at start): it succeeds, and afterwards nothing is orphaned and
// the packument lists exactly the versions the registry signed. TUFPM_STRESS=1: 50 runs; npm test: 3.

const DRIVER = fileURLToPath(new URL('../src/harness/publish-driver.js', import.meta.url));
const PKG = 'crashpub';
const PER_RUN = 4;
/** The versions run i publishes (run -1: the uncrashed measuring run). */
function versionsOf(i: number): string[] {
  return Array.from({ length: PER_RUN }, (_, k) => (i < 0 ? `0.0.${k}` : `1.${i}.${k}`));
}
let world: NpmWorld;
let token: string;
let figures: (CrashLoopResult & { journalLeft: number; storedUnsigned: number }) | undefined;
/** kills that left a publish journal (killed inside the publish), and of those, files stored but not signed yet */
const left = { journalLeft: 0, storedUnsigned: 0 };

before(async () => {
  world = await NpmWorld.create();
  await world.publish('left', '1.0.0');
  token = await addToken(world.registryDir, { user: 'alice' });
});
after(async () => {
  if (figures !== undefined) process.stdout.write(`crash-loop figures ${JSON.stringify({ 'registry publish': figures })}\n`);
  await world?.close();
});

async function status(): Promise<Awaited<ReturnType<NpmRepository['status']>>> {
  return (await NpmRepository.open({ dir: world.metadataDir, keysDir: world.keysDir })).status({ registryDir: world.registryDir });
}

/** The versions of PKG the registry signed (its release list and tarball targets). */
async function signedVersions(): Promise<string[]> {
  const repo = await NpmRepository.open({ dir: world.metadataDir, keysDir: world.keysDir });
  return repo.coverage(PKG).targets.filter((t) => t.path.endsWith('.tgz')).map((t) => /-([^-]+)\.tgz$/.exec(t.path)![1]!).sort();
}

test('kill -9 of tufpm-registry mid-publish: no signed target without its tarball, a consistent signed state; the next publish succeeds', async () => {
  const afterKill = async (): Promise<void> => {
    await wholeFiles(world.metadataDir);
    await clientSeesConsistentState(world, 'left', '1.0.0');
    for (const f of await readdir(join(world.registryDir, 'packuments'))) {
      // whole: the old or the new packument, never a torn one (JSON.parse throws on a torn file)
      if (!f.startsWith('.')) JSON.parse(await readFile(join(world.registryDir, 'packuments', f), 'utf8'));
    }
    const s = await status();
    assert.deepEqual(s.orphans?.signedWithoutFile, [], 'every signed target has its file, at every moment');
  };
  const afterKillCounted = async (): Promise<void> => {
    await afterKill();
    const s = await status();
    if ((s.orphans?.counts['interruptedPublishes'] ?? 0) > 0) left.journalLeft += 1;
    if ((s.orphans?.counts['filesWithoutTarget'] ?? 0) > 0) left.storedUnsigned += 1;
  };
  const afterRerun = async (i: number): Promise<void> => {
    await afterKill();
    const s = await status();
    assert.deepEqual(s.orphans?.counts, { signedWithoutFile: 0, filesWithoutTarget: 0, links: 0, interruptedPublishes: 0 }, `after rerun ${i}`);
    const listed = Object.keys((await readStoredPackument(world.registryDir, PKG))?.versions ?? {}).sort();
    assert.deepEqual(listed, await signedVersions(), 'the packument lists exactly the signed versions');
    for (const v of versionsOf(i)) assert.ok(listed.includes(v), `${v} published`);
  };
  const result = await crashLoop({
    runs: crashRuns(3),
    seed: 'registry-publish',
    // Each run publishes PER_RUN new versions (512 KiB of incompressible bytes each), so most of a run
    // is publishing (registry start-up and stop are the rest) and most kills land inside a publish.
    command: async (i) => {
      const files: string[] = [];
      for (const version of versionsOf(i)) {
        const file = join(world.base, `${PKG}-${version}.tgz`);
        const pad = new Uint8Array(512 * 1024);
        for (let o = 0; o < pad.length; o += 64) pad.set(createHash('sha512').update(`${version}:${o}`).digest(), o);
        await writeFile(file, buildPackageTarball({ name: PKG, version, files: { 'index.js': `module.exports = ${JSON.stringify(version)};\n`, 'pad.bin': pad } }));
        files.push(file);
      }
      return {
        file: process.execPath,
        args: [DRIVER, world.registryDir, world.keysDir, token, ...files],
        cwd: world.base,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: world.base },
      };
    },
    afterKill: afterKillCounted,
    afterRerun,
  });
  figures = { ...result, ...left };
  await afterRerun(-1);
  assert.equal(figures.failedReruns, 0);
});
