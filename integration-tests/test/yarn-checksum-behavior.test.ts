import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NpmWorld, type CliResult } from '../src/harness/npm-world.js';
import { YarnProject, type RcValue } from '../src/harness/yarn.js';
import { poisonValid } from '../src/harness/yarn-archives.js';

// The checksum Yarn's cache reports must be the hash of the archive Yarn links, or the TUF binding compares
// checksum with checksum and never the file. `checksumBehavior: reset` breaks that on a cache miss (Yarn
// files a mirror archive whose hash differs from yarn.lock under yarn.lock's checksum), so enforce mode
// refuses it wherever it is set; and Yarn's link step opens the archive again at the path its checksum
// names, unhashed, so the plugin checks that this is the file the fetch step hashed. Real Yarn 4, real
// loopback registry, real archives; each attack here installed the poisoned code before the fix.

const GENUINE = 'module.exports = {"name":"right"';
const EVIL = 'module.exports = {"name":"PWNED"';

/** The archive with one entry's bytes replaced and its CRC-32 fixed: a valid zip Yarn reads without complaint. */
function poisonRight(zip: Buffer): Buffer {
  return poisonValid(zip, GENUINE, EVIL);
}

describe('Yarn links only archives whose own hash was checked (checksumBehavior, the link step)', () => {
  let world: NpmWorld;

  before(async () => {
    world = await NpmWorld.create();
    await world.publish('right', '1.0.0');
  });
  after(() => world.close());

  /** The main branch: installed once, yarn.lock and tufpm-lock.json committed; its mirror's genuine archive. */
  async function mainBranch(linker: string): Promise<{ project: YarnProject; archive: string; genuine: Buffer }> {
    const project = await YarnProject.create(world, { right: '1.0.0' }, { rc: { nodeLinker: linker } });
    const first = await project.yarn(['install']);
    assert.equal(first.code, 0, first.stdout);
    const archive = (await readdir(project.mirrorFolder)).find((f) => f.startsWith('right-npm-1.0.0-'));
    assert.ok(archive, 'the mirror holds the archive');
    return { project, archive, genuine: await readFile(join(project.mirrorFolder, archive)) };
  }

  /** The pull request on a fresh CI machine: the committed yarn.lock and tufpm-lock.json, its own .yarnrc.yml. */
  async function pullRequest(main: YarnProject, linker: string, rc: Record<string, RcValue> = {}): Promise<YarnProject> {
    const ci = await YarnProject.create(world, { right: '1.0.0' }, { rc: { nodeLinker: linker, ...rc } });
    for (const file of ['yarn.lock', 'tufpm-lock.json']) await ci.write(file, (await main.read(file))!);
    return ci;
  }

  /** Refused with a coded report, nothing linked, yarn.lock, tufpm-lock.json and the linked tree unchanged. */
  async function refused(project: YarnProject, args: string[], env: Record<string, string>, ...expect: RegExp[]): Promise<CliResult> {
    const before = await project.state();
    const res = await project.yarn(args, env);
    assert.equal(res.code, 1, `exit code 1 expected\n${res.stdout}${res.stderr}`);
    for (const re of expect) assert.match(res.stdout, re);
    assert.doesNotMatch(res.stdout, /Internal Error|\n\s+at /, 'a coded report, not a crash');
    assert.deepEqual(await project.state(), before, 'yarn.lock, tufpm-lock.json, .pnp.cjs and node_modules unchanged');
    assert.doesNotMatch((await project.yarn(['node', '-p', 'JSON.stringify(require("right"))'])).stdout, /PWNED/);
    return res;
  }

  const RESET_REFUSED = [/TUF_UNSAFE_SOURCE/, /checksumBehavior: "reset" is refused/, /attack: poisoned cache or mirror archive filed under the genuine yarn\.lock checksum/];

  for (const linker of ['pnp', 'node-modules']) {
    test(`rejects a poisoned archive filed under the genuine checksum by checksumBehavior reset from a mirror committed in the pull request (${linker})`, async () => {
      const { project: main, archive, genuine } = await mainBranch(linker);
      // Two .yarnrc.yml lines and one committed file: yarn.lock and tufpm-lock.json stay the genuine ones.
      const ci = await pullRequest(main, linker, { checksumBehavior: 'reset' });
      const committed = join(ci.dir, '.yarn', 'global');
      await mkdir(join(committed, 'cache'), { recursive: true });
      await writeFile(join(committed, 'cache', archive), poisonRight(genuine));
      await ci.writeRc({ globalFolder: committed });
      await refused(ci, ['install', '--immutable'], {}, ...RESET_REFUSED);
    });
  }

  test('rejects a poisoned archive filed under the genuine checksum by checksumBehavior reset from a poisoned machine mirror (YARN_CHECKSUM_BEHAVIOR, warm PnP)', async () => {
    const { project: main, archive, genuine } = await mainBranch('pnp');
    // The machine's mirror is poisoned (a shared global folder, a restored CI cache); another project on
    // this machine misses its own cache, and the environment sets reset.
    await writeFile(join(main.mirrorFolder, archive), poisonRight(genuine));
    const other = await YarnProject.create(world, { right: '1.0.0' }, { machine: main.machine, rc: { nodeLinker: 'pnp', cacheFolder: join(main.machine, 'other-cache') } });
    for (const file of ['yarn.lock', 'tufpm-lock.json']) await other.write(file, (await main.read(file))!);
    await refused(other, ['install'], { YARN_CHECKSUM_BEHAVIOR: 'reset' }, ...RESET_REFUSED);
  });

  test('rejects a poisoned archive filed under the genuine checksum by checksumBehavior reset from a poisoned machine mirror (home .yarnrc.yml, cold node-modules)', async () => {
    const { project: main, archive, genuine } = await mainBranch('node-modules');
    const ci = await pullRequest(main, 'node-modules');
    await mkdir(ci.mirrorFolder, { recursive: true });
    await writeFile(join(ci.mirrorFolder, archive), poisonRight(genuine));
    await writeFile(join(ci.machine, '.yarnrc.yml'), 'checksumBehavior: reset\n');
    await refused(ci, ['install', '--immutable'], {}, ...RESET_REFUSED);
  });

  test('rejects a poisoned mirror archive that Yarn\'s link step would copy in unhashed when a pull request drops the yarn.lock checksum (PnP, --immutable)', async () => {
    const { project: main, archive, genuine } = await mainBranch('pnp');
    // Default checksumBehavior (throw). yarn.lock without the checksum line; a committed cache holding the
    // genuine archive under the name Yarn looks up without a checksum (the fetch step hashes it: genuine);
    // a committed mirror holding the poisoned one. The link step opens the archive at the genuine
    // checksum's name, finds none and copies the mirror's in with skipIntegrityCheck.
    const ci = await pullRequest(main, 'pnp');
    const lock = (await ci.read('yarn.lock'))!;
    const dropped = lock.replace(/\n {2}checksum: [^\n]*/, '');
    assert.notEqual(dropped, lock, 'checksum line dropped');
    await ci.write('yarn.lock', dropped);
    const cache = join(ci.dir, '.yarn', 'committed-cache');
    const committed = join(ci.dir, '.yarn', 'global');
    await mkdir(cache, { recursive: true });
    await mkdir(join(committed, 'cache'), { recursive: true });
    await writeFile(join(cache, archive), genuine);
    await writeFile(join(committed, 'cache', archive), poisonRight(genuine));
    await ci.writeRc({ cacheFolder: cache, globalFolder: committed });
    await refused(ci, ['install', '--immutable'], {}, /TUF_CHECKSUM_BINDING/, /package right@1\.0\.0/, /the archive Yarn would link is not in its cache where the checked checksum names it/);
  });

  test('checksumBehavior throw and update: a poisoned mirror archive committed in the pull request is refused by Yarn, or reports its own checksum and is refused by the binding', async () => {
    const { project: main, archive, genuine } = await mainBranch('pnp');
    for (const behavior of ['throw', 'update']) {
      const ci = await pullRequest(main, 'pnp', { checksumBehavior: behavior });
      const committed = join(ci.dir, '.yarn', 'global');
      await mkdir(join(committed, 'cache'), { recursive: true });
      await writeFile(join(committed, 'cache', archive), poisonRight(genuine));
      await ci.writeRc({ globalFolder: committed });
      if (behavior === 'throw') await refused(ci, ['install', '--immutable'], {}, /YN0018/, /doesn't match the expected checksum/);
      else await refused(ci, ['install', '--immutable'], {}, /TUF_CHECKSUM_BINDING/, /package right@1\.0\.0/);
      // The genuine mirror archive installs under either value: only the poisoned one is refused.
      await writeFile(join(committed, 'cache', archive), genuine);
      const ok = await ci.yarn(['install', '--immutable']);
      assert.equal(ok.code, 0, ok.stdout);
      assert.match((await ci.yarn(['node', '-p', 'JSON.stringify(require("right"))'])).stdout, /"name":"right"/);
      await rm(join(ci.dir, '.pnp.cjs'), { force: true });
    }
  });

  test('a pull request copying a genuine machine mirror into the repository installs as before (no refusal without an attack)', async () => {
    const { project: main } = await mainBranch('node-modules');
    const ci = await pullRequest(main, 'node-modules');
    const committed = join(ci.dir, '.yarn', 'global');
    await cp(join(main.machine, 'global'), committed, { recursive: true });
    await ci.writeRc({ globalFolder: committed });
    const res = await ci.yarn(['install', '--immutable']);
    assert.equal(res.code, 0, res.stdout);
    assert.match((await ci.yarn(['node', '-p', 'JSON.stringify(require("right"))'])).stdout, /"name":"right"/);
  });
});
