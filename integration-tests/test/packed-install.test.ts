import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create as createTar } from 'tar';
import { addPackageVersion } from '@tufpm/registry';
import { readPackageTarball } from '@tufpm/repo';
import { NpmWorld, Project, isolatedEnv, run } from '../src/harness/npm-world.js';
import { PLUGIN_BUNDLE, YARN_JS, yarnEnv } from '../src/harness/yarn.js';

// Installable (issue 16, ADR 0016): `npm pack` of the published packages gives tarballs that install and
// run in a fresh project with no tufpm checkout. The packed @tufpm/* tarballs and the third-party packages
// they depend on are served by the loopback registry (TUF-signed); real npm installs the tools into an
// empty project; the installed `tufpm-npm` then runs a verified install of another project, and the Yarn
// plugin, one file imported with `yarn plugin import <path>`, keeps working after the project moved.

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const require = createRequire(import.meta.url);
/** The packages a user installs; their @tufpm/* dependencies are packed with them. */
const TOOLS = ['@tufpm/npm', '@tufpm/repo', '@tufpm/registry', '@tufpm/cli'].filter((name) => existsSync(join(REPO_ROOT, 'node_modules', name, 'package.json')));

interface ArbNode { packageName: string; version: string; realpath: string; isLink: boolean; target: ArbNode; location: string; edgesOut: Map<string, { type: string; to: ArbNode | null }> }

/** The production dependency closure of the tools in this checkout's node_modules (Arborist's actual tree). */
async function productionClosure(): Promise<ArbNode[]> {
  const Arborist = require('@npmcli/arborist') as new (opts: { path: string }) => { loadActual(): Promise<{ children: Map<string, ArbNode> }> };
  const tree = await new Arborist({ path: REPO_ROOT }).loadActual();
  const seen = new Map<string, ArbNode>();
  const walk = (node: ArbNode): void => {
    for (const edge of node.edgesOut.values()) {
      if (edge.type === 'dev' || edge.type === 'peer' || edge.type === 'peerOptional' || edge.to === null) continue;
      const to = edge.to.isLink ? edge.to.target : edge.to;
      if (seen.has(to.location)) continue;
      seen.set(to.location, to);
      walk(to);
    }
  };
  for (const name of TOOLS) {
    const node = tree.children.get(name)!;
    const target = node.isLink ? node.target : node;
    seen.set(target.location, target);
    walk(target);
  }
  // one copy per name@version (the tree may hold the same version at several locations)
  return [...new Map([...seen.values()].map((n) => [`${n.packageName}@${n.version}`, n])).values()];
}

/** A third-party package as its registry tarball holds it: the installed directory, without node_modules. */
async function tarDirectory(dir: string): Promise<Uint8Array> {
  const entries = (await readdir(dir)).filter((e) => e !== 'node_modules').sort();
  const chunks: Buffer[] = [];
  const stream = createTar({ gzip: true, cwd: dir, prefix: 'package', portable: true, mtime: new Date('2020-01-01T00:00:00Z') }, entries);
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

describe('packed tarballs install and run without a tufpm checkout', () => {
  let world: NpmWorld;
  let tools: string;

  before(async () => {
    world = await NpmWorld.create();
    const packDir = await world.tempDir('packed-');
    const closure = await productionClosure();
    const ours = closure.filter((n) => n.packageName.startsWith('@tufpm/'));
    // real `npm pack` of each @tufpm package the tools need (the files a publish would upload)
    const packed = await run(process.execPath, [npmCli(), 'pack', '--json', '--pack-destination', packDir, ...ours.flatMap((n) => ['-w', n.packageName])], REPO_ROOT, isolatedEnv(await world.tempDir('pack-home-')));
    assert.equal(packed.code, 0, packed.stderr);
    const tarballs: Uint8Array[] = [];
    for (const file of (JSON.parse(packed.stdout) as Array<{ filename: string }>).map((p) => p.filename.replace(/^@/, '').replace('/', '-'))) {
      tarballs.push(new Uint8Array(await readFile(join(packDir, file))));
    }
    for (const node of closure.filter((n) => !n.packageName.startsWith('@tufpm/'))) tarballs.push(await tarDirectory(node.realpath));
    for (const tarball of tarballs) await addPackageVersion(world.registryDir, tarball, { durable: false });
    await world.repo.publishPrepared(await Promise.all(tarballs.map((t) => readPackageTarball(t))));

    // a fresh project with no tufpm checkout: real npm installs the tools from the registry
    const project = await world.project();
    tools = project.dir;
    const installed = await project.npm(['install', '--no-audit', '--no-fund', ...TOOLS.map((t) => `${t}@0.1.0`)]);
    assert.equal(installed.code, 0, installed.stderr);
  });
  after(() => world.close());

  test('the installed bins run (tufpm-npm, tufpm-repo, tufpm, tufpm-registry and the project CLI)', async () => {
    const bins = ['tufpm-npm', 'tufpm-repo', 'tufpm', 'tufpm-registry', ...(TOOLS.includes('@tufpm/cli') ? ['tufpm-diff', 'tufpm-verify'] : [])];
    for (const bin of bins) {
      const path = join(tools, 'node_modules', '.bin', bin);
      assert.ok(existsSync(path), `${bin} is linked`);
      const res = await run(path, ['--help'], tools, isolatedEnv(tools));
      assert.ok(res.code === 0 || res.code === 2, `${bin} --help ran (exit ${res.code})\n${res.stderr}`);
      assert.doesNotMatch(`${res.stdout}${res.stderr}`, /not built yet|Cannot find (module|package)|ERR_MODULE_NOT_FOUND/, bin);
      assert.match(`${res.stdout}${res.stderr}`, /usage/i, `${bin} printed its usage`);
    }
    assert.ok(!existsSync(join(tools, 'node_modules', '@tufpm', 'npm', 'src')), 'the packed package carries its build, not its sources');
    if (TOOLS.includes('@tufpm/cli')) {
      // the maintainer CLI runs the project commands of @tufpm/cli installed beside it
      const diff = await run(join(tools, 'node_modules', '.bin', 'tufpm'), ['diff', '--help'], tools, isolatedEnv(tools));
      assert.equal(diff.code, 0, diff.stderr);
      assert.match(diff.stdout, /Usage: tufpm-diff/);
    }
  });

  test('the packed tufpm-npm runs a verified install and a frozen ci on a fresh machine', async () => {
    const app = await world.project();
    const tufpmNpm = join(tools, 'node_modules', '.bin', 'tufpm-npm');
    const install = await run(tufpmNpm, ['install', 'semver'], app.dir, isolatedEnv(app.machine));
    assert.equal(install.code, 0, install.stderr);
    const pins = JSON.parse((await app.read('tufpm-lock.json'))!) as { packages: Record<string, { role: string }> };
    assert.ok(Object.keys(pins.packages).some((k) => k.startsWith('semver@')), 'semver verified and pinned');
    await app.freshMachine();
    const ci = await run(tufpmNpm, ['ci'], app.dir, isolatedEnv(app.machine));
    assert.equal(ci.code, 0, ci.stderr);
    assert.ok(existsSync(join(app.dir, 'node_modules', 'semver', 'package.json')));
  });

  test('the Yarn plugin is one file: yarn plugin import <path> records a relative path that works after the project moved', async () => {
    const download = await world.tempDir('download-');
    await copyFile(PLUGIN_BUNDLE, join(download, 'plugin-tuf.js'));
    const machine = await world.tempDir('yarn-machine-');
    await mkdir(join(machine, 'tmp'));
    const dir = await world.tempDir('yarn-app-');
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'app', private: true, dependencies: { semver: '^7.0.0' } }, null, 2)}\n`);
    await copyFile(join(world.metadataDir, '1.root.json'), join(dir, 'tufpm-root.json'));
    const rc = [`yarnPath: ${JSON.stringify(YARN_JS)}`, `npmRegistryServer: ${JSON.stringify(world.registry.url)}`, 'unsafeHttpWhitelist: ["127.0.0.1"]', 'npmMinimalAgeGate: 0', 'enableTelemetry: false', 'enableGlobalCache: false', 'enableProgressBars: false'];
    await writeFile(join(dir, '.yarnrc.yml'), `${rc.join('\n')}\n`);
    const imported = await run(process.execPath, [YARN_JS, 'plugin', 'import', join(download, 'plugin-tuf.js')], dir, yarnEnv(machine));
    assert.equal(imported.code, 0, imported.stdout);
    const yarnrc = await readFile(join(dir, '.yarnrc.yml'), 'utf8');
    assert.match(yarnrc, /path: \.yarn\/plugins\/@yarnpkg\/plugin-tuf\.cjs/, 'a path relative to the project');
    // another machine: the downloaded file is gone, the project lives elsewhere, nothing is cached
    await rm(download, { recursive: true });
    const moved = join(await world.tempDir('elsewhere-'), 'app');
    await rename(dir, moved);
    const other = await world.tempDir('yarn-machine-');
    await mkdir(join(other, 'tmp'));
    const res = await run(process.execPath, [YARN_JS, 'install'], moved, yarnEnv(other));
    assert.equal(res.code, 0, res.stdout);
    assert.match(res.stdout, /TUF: \d+ of \d+ npm packages signed/);
    assert.ok(existsSync(join(moved, 'tufpm-lock.json')), 'the plugin pinned the verified packages');
  });
});

/** npm's own CLI script, beside the node running the tests (the npm a user has). */
function npmCli(): string {
  return join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
}

export { Project };
