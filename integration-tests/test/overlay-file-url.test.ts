import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isolatedEnv, run, type CliResult, type Project } from '../src/harness/npm-world.js';
import { refusedNpm, refusedYarn } from '../src/harness/attacks-graph.js';
import { OverlayWorld } from '../src/harness/overlay-world.js';
import { YarnProject } from '../src/harness/yarn.js';

// Overlay mode with the team's metadata as a `file://` directory (offline CI, docs/overlay.md section 5):
// real tufpm-npm, real Yarn 4 with the plugin and tufpm-verify read it with @tufpm/client's FileFetcher,
// as strictly as over HTTP. The upstream is the loopback registry serving no TUF metadata.

const VERIFY_CLI = join(dirname(createRequire(import.meta.url).resolve('@tufpm/cli')), 'main.js');

function ok(res: CliResult, what: string): void {
  assert.equal(res.code, 0, `${what}\n${res.stdout}${res.stderr}`);
}

/**
 * Whoever can write the metadata directory links its timestamp.json to a forged copy elsewhere on the machine
 * (a writable temp dir) while `attack` runs; the genuine file is put back afterwards.
 */
async function withTimestampSymlinkedOut(world: OverlayWorld, attack: () => Promise<void>): Promise<void> {
  const timestamp = join(world.paths.metadataDir, 'timestamp.json');
  const forged = join(await world.upstream.tempDir('forged-'), 'timestamp.json');
  await writeFile(forged, await readFile(timestamp));
  await rename(timestamp, `${timestamp}.saved`);
  await symlink(forged, timestamp);
  try {
    await attack();
  } finally {
    await rm(timestamp);
    await rename(`${timestamp}.saved`, timestamp);
  }
}

describe('overlay mode with a file:// metadata directory', () => {
  let world: OverlayWorld;
  let fileUrl: string;
  let rootSha256: string;

  before(async () => {
    world = await OverlayWorld.create();
    await world.upstream.publishUnsigned('right', '1.0.0');
    await world.upstream.publishUnsigned('left', '1.0.0', { right: '^1.0.0' });
    const seed = await world.npmProject({ left: '^1.0.0' });
    ok(await seed.npm(['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund']), 'plain npm resolves the tree');
    ok(await world.overlay(['approve', '--lockfile', join(seed.dir, 'package-lock.json'), '--key', world.reviewers[0]!.file]), 'approve');
    fileUrl = `${pathToFileURL(world.paths.metadataDir).href}/`;
    rootSha256 = createHash('sha256').update(await readFile(world.rootFile)).digest('hex');
  });
  after(() => world.close());

  async function bareNpmProject(): Promise<Project> {
    const project = await world.npmProject({ left: '^1.0.0' });
    await rm(join(project.dir, 'tufpm-root.json'));
    await rm(join(project.dir, '.npmrc'));
    return project;
  }

  test('tufpm-npm init --metadata-url file://... --root-sha256 writes what the project needs; install, ci and tufpm-verify read the directory', async () => {
    const project = await bareNpmProject();
    const init = await project.tufpmNpm(['init', '--registry', world.upstream.url, '--metadata-url', fileUrl, '--root-sha256', rootSha256]);
    ok(init, 'tufpm-npm init');
    assert.equal(await project.read('tufpm-root.json'), await readFile(world.rootFile, 'utf8'));
    const npmrc = (await project.read('.npmrc'))!;
    assert.match(npmrc, new RegExp(`^tufpm-metadata-url=${fileUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.match(npmrc, new RegExp(`^registry=${world.upstream.url}$`, 'm'));
    ok(await project.tufpmNpm(['install']), 'tufpm-npm install');
    assert.match((await project.read('node_modules/right/package.json'))!, /"version": "1\.0\.0"/);
    await project.freshMachine();
    ok(await project.tufpmNpm(['ci']), 'tufpm-npm ci on a fresh machine');
    // the CI gate takes the file: URL from the project's .npmrc, as tufpm-npm does
    await project.freshMachine();
    const gate = await run(process.execPath, [VERIFY_CLI, '--json'], project.dir, isolatedEnv(project.machine));
    ok(gate, 'tufpm-verify');
    assert.deepEqual((JSON.parse(gate.stdout) as { packages: Array<{ name: string }> }).packages.map((p) => p.name).sort(), ['left', 'right']);
  });

  test('rejects a root that is not the one whose sha256 the team published (file:// as over HTTP)', async () => {
    const project = await bareNpmProject();
    const res = await project.tufpmNpm(['init', '--registry', world.upstream.url, '--metadata-url', fileUrl, '--root-sha256', 'f'.repeat(64)]);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /TUF_NO_TRUSTED_ROOT/);
    assert.equal(await project.read('tufpm-root.json'), undefined, 'no root written');
    assert.equal(await project.read('.npmrc'), undefined, 'no .npmrc written');
  });

  test('rejects a relative or remote-host file: URL as a usage error', async () => {
    const project = await bareNpmProject();
    for (const bad of ['file:metadata/', 'file://fileserver/share/metadata/']) {
      const res = await project.tufpmNpm(['init', '--registry', world.upstream.url, '--metadata-url', bad, '--root-sha256', rootSha256]);
      assert.equal(res.code, 2, `${bad}\n${res.stderr}`);
      assert.match(res.stderr, /tufpm-metadata-url/);
    }
  });

  test('rejects a timestamp.json symlinked out of the metadata directory, the project left unchanged', async () => {
    const project = await world.npmProject({ left: '^1.0.0' });
    await writeFile(join(project.dir, '.npmrc'), `registry=${world.upstream.url}\ntufpm-metadata-url=${fileUrl}\n`);
    await withTimestampSymlinkedOut(world, async () => {
      await refusedNpm(project, ['install'], /TUF_DOWNLOAD/, /outside the metadata directory/);
    });
  });

  test('rejects an approval role edited in the metadata directory (same checks as over HTTP)', async () => {
    const project = await world.npmProject({ left: '^1.0.0' });
    await writeFile(join(project.dir, '.npmrc'), `registry=${world.upstream.url}\ntufpm-metadata-url=${fileUrl}\n`);
    const versions = (await readdir(world.paths.metadataDir)).map((f) => /^(\d+)\._approved\.json$/.exec(f)?.[1]).filter((v) => v !== undefined).map(Number);
    assert.ok(versions.length > 0, 'the approval role is in the directory');
    const file = join(world.paths.metadataDir, `${Math.max(...versions)}._approved.json`);
    const saved = await readFile(file, 'utf8');
    // one approved sha512 changed in place: the snapshot's hash/length of the role no longer match
    await writeFile(file, saved.replace(/"sha512": ?"[0-9a-f]/, (m) => m.slice(0, -1) + (m.endsWith('0') ? '1' : '0')));
    try {
      await refusedNpm(project, ['install'], /TUF_(HASH|LENGTH|THRESHOLD|PARSE)/);
    } finally {
      await writeFile(file, saved);
    }
  });

  test('Yarn: yarn tuf init --metadata-url file://... --registry --root-sha256 writes .yarnrc.yml; yarn install verifies from the directory', async () => {
    const project = await YarnProject.create(world.upstream, { left: '^1.0.0' }, { trustedRoot: world.rootFile });
    await rm(join(project.dir, 'tufpm-root.json'));
    const init = await project.yarn(['tuf', 'init', '--metadata-url', fileUrl, '--registry', world.upstream.url, '--root-sha256', rootSha256]);
    ok(init, 'yarn tuf init');
    const rc = (await project.read('.yarnrc.yml'))!;
    assert.match(rc, /tufMetadataUrl: "?file:\/\//);
    assert.equal(await project.read('tufpm-root.json'), await readFile(world.rootFile, 'utf8'));
    ok(await project.yarn(['install']), 'yarn install');
    const lock = JSON.parse((await project.read('tufpm-lock.json'))!) as { packages: Record<string, { role: string }> };
    assert.equal(lock.packages['right@1.0.0']?.role, '_approved');
    // the CI gate takes tufMetadataUrl from the project's .yarnrc.yml (without it: the upstream's -/tuf/metadata/, TUF_DOWNLOAD)
    const gate = await run(process.execPath, [VERIFY_CLI, '--json'], project.dir, isolatedEnv(project.machine));
    ok(gate, 'tufpm-verify reading .yarnrc.yml');
    assert.deepEqual((JSON.parse(gate.stdout) as { packages: Array<{ name: string }> }).packages.map((p) => p.name).sort(), ['left', 'right']);
  });

  test('Yarn: rejects a timestamp.json symlinked out of the metadata directory, the project left unchanged', async () => {
    const project = await YarnProject.create(world.upstream, { left: '^1.0.0' }, { trustedRoot: world.rootFile, rc: { tufMetadataUrl: fileUrl } });
    await withTimestampSymlinkedOut(world, async () => {
      await refusedYarn(project, ['install'], /TUF_DOWNLOAD/, /outside the metadata directory/);
    });
  });
});
