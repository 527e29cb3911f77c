import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipInsideGzipTarball, paxSizeOnLongNameTarball } from '@tufpm/models';
import { buildRawTarball } from '@tufpm/registry';
import { NpmWorld, type CliResult, type Project } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';

// Issue 14 case 6, at install time: a signed tarball that holds `package/package.json` and a second one that
// node-tar and Yarn extract over it. The registry and `tufpm sign` refuse such tarballs at publish (unit
// tests in packages/registry and packages/repo); here the tarball got signed anyway (a target signed
// before they did, or by a stolen online key), and each installer must refuse it before anything lands.

const HIDDEN = [
  ['dot', 'package/./package.json'],
  ['double', 'package//package.json'],
  ['backslash', 'package\\package.json'],
] as const;

function twoManifests(name: string, version: string, hidden: string): Uint8Array {
  return buildRawTarball([
    { path: 'package/package.json', data: JSON.stringify({ name, version }) },
    { path: hidden, data: JSON.stringify({ name, version, dependencies: { evil: '*' }, scripts: { postinstall: 'node evil.js' } }) },
    { path: 'package/index.js', data: 'module.exports = 1;\n' },
    { path: 'package/evil.js', data: 'require("fs").writeFileSync("/tmp/tufpm-pwned", "1");\n' },
  ]);
}

async function yarnRefused(project: YarnProject, args: string[], ...expected: RegExp[]): Promise<CliResult> {
  const before = await project.state();
  const res = await project.yarn(args);
  assert.equal(res.code, 1, `exit code 1 expected\n${res.stdout}${res.stderr}`);
  for (const re of expected) assert.match(res.stdout, re);
  assert.doesNotMatch(res.stdout, /Internal Error|\n\s+at /, 'a coded report, not a crash');
  assert.deepEqual(await project.state(), before, 'nothing touched');
  return res;
}

async function npmRefused(project: Project, args: string[], ...expected: RegExp[]): Promise<CliResult> {
  const before = await project.state();
  const res = await project.tufpmNpm(args);
  assert.equal(res.code, 1, `exit code 1 expected\n${res.stderr}`);
  for (const re of expected) assert.match(res.stderr, re);
  assert.deepEqual(await project.state(), before, 'nothing touched');
  return res;
}

describe('one manifest: a signed tarball hiding a second package.json is refused at install', () => {
  let world: NpmWorld;

  before(async () => {
    world = await NpmWorld.create();
    for (const [tag, hidden] of HIDDEN) {
      const name = `twin-${tag}`;
      const { role } = await world.publish(name, '1.0.0');
      // The registry's online key signs the bins: it re-signs the two-manifest bytes (the publish checks are bypassed).
      await world.forgeRoleTarget(role, name, '1.0.0', twoManifests(name, '1.0.0', hidden), await world.repo.signersFor(role));
    }
    await world.publish('plain', '1.0.0');
    // The shape of agent-base 7.1.4 on the npm registry: one file twice, the same bytes and mode.
    const { role } = await world.publish('dup-same', '1.0.0');
    const same = buildRawTarball([
      { path: 'package/package.json', data: JSON.stringify({ name: 'dup-same', version: '1.0.0', main: 'dist/index.js' }) },
      { path: 'package/./dist/index.js', data: 'module.exports = "same";\n' },
      { path: 'package/dist/index.js', data: 'module.exports = "same";\n' },
    ]);
    await world.forgeRoleTarget(role, 'dup-same', '1.0.0', same, await world.repo.signersFor(role));
  });
  after(() => world.close());

  test('rejects a tarball with a second package.json hidden as package/./package.json, package//package.json or package\\package.json (Yarn, node-modules)', async () => {
    const twins = Object.fromEntries(HIDDEN.map(([tag]) => [`twin-${tag}`, '1.0.0']));
    const project = await YarnProject.create(world, { plain: '1.0.0', ...twins }, { rc: { nodeLinker: 'node-modules' } });
    const res = await yarnRefused(project, ['install'], /TUF_TARBALL_ENTRY/, /attack: hidden second manifest/);
    for (const [tag, hidden] of HIDDEN) {
      assert.match(res.stdout, new RegExp(`TUF_TARBALL_ENTRY \\| package twin-${tag}@1\\.0\\.0 .*${JSON.stringify(hidden).replace(/[\\.]/g, (c) => `\\${c}`)}`), hidden);
    }
    assert.ok(!(await project.archives('cache')).some((f) => f.startsWith('twin-')), 'no archive cached');
  });

  for (const [tag, hidden] of HIDDEN) {
    test(`rejects a tarball with a second package.json hidden as ${hidden} (tufpm-npm)`, async () => {
      const project = await world.project({ dependencies: { plain: '1.0.0', [`twin-${tag}`]: '1.0.0' } });
      await npmRefused(project, ['install'], /TUF_TARBALL_ENTRY/, new RegExp(`twin-${tag}@1\\.0\\.0`), /attack: +hidden second manifest/);
    });
  }

  test('rejects a tarball with a second package.json hidden as package/./package.json (Yarn, PnP)', async () => {
    const project = await YarnProject.create(world, { 'twin-dot': '1.0.0' });
    await yarnRefused(project, ['install'], /TUF_TARBALL_ENTRY/, /package twin-dot@1\.0\.0/);
  });

  test('a tarball with one file twice, the same bytes and mode (agent-base 7.1.4), installs with Yarn and tufpm-npm', async () => {
    const yarn = await YarnProject.create(world, { 'dup-same': '1.0.0' }, { rc: { nodeLinker: 'node-modules' } });
    const y = await yarn.yarn(['install']);
    assert.equal(y.code, 0, y.stdout);
    const npm = await world.project({ dependencies: { 'dup-same': '1.0.0' } });
    const n = await npm.tufpmNpm(['install']);
    assert.equal(n.code, 0, n.stderr);
    assert.equal(await npm.read('node_modules/dup-same/dist/index.js'), 'module.exports = "same";\n');
  });

  test('a legitimate tarball installs with Yarn and tufpm-npm (its entries pass the same rules)', async () => {
    const yarn = await YarnProject.create(world, { plain: '1.0.0' }, { rc: { nodeLinker: 'node-modules' } });
    const y = await yarn.yarn(['install']);
    assert.equal(y.code, 0, y.stdout);
    const npm = await world.project({ dependencies: { plain: '1.0.0' } });
    const n = await npm.tufpmNpm(['install']);
    assert.equal(n.code, 0, n.stderr);
    assert.equal(await npm.read('node_modules/plain/index.js'), `module.exports = {"name":"plain","version":"1.0.0"};\n`);
  });
});

// Red-team findings (2026-12-07): tarballs that tar parsers frame differently. Signed anyway (the registry
// and `tufpm sign` refuse them at publish since models' tar-framing.ts), each installer refuses them.
describe('one manifest: a signed tarball that installers frame differently from tufpm is refused at install', () => {
  let world: NpmWorld;
  const benign = (name: string): string => `${JSON.stringify({ name, version: '1.0.0', main: 'index.js' })}\n`;
  const evil = (name: string): string => `${JSON.stringify({ name, version: '1.0.0', main: 'index.js', scripts: { postinstall: 'node -e "require(\'fs\').writeFileSync(\'PWNED\',\'1\')"' } })}\n`;

  before(async () => {
    world = await NpmWorld.create();
    const forged: Array<[string, Uint8Array]> = [
      ['poly', gzipInsideGzipTarball([['package.json', benign('poly')], ['index.js', 'module.exports = 1;\n']], [['package.json', evil('poly')], ['index.js', 'module.exports = 2;\n']])],
      ['smuggled', paxSizeOnLongNameTarball(benign('smuggled'), evil('smuggled'))],
    ];
    for (const [name, bytes] of forged) {
      const { role } = await world.publish(name, '1.0.0');
      await world.forgeRoleTarget(role, name, '1.0.0', bytes, await world.repo.signersFor(role));
    }
  });
  after(() => world.close());

  test('rejects a gzip-inside-gzip tarball that installers extract differently (Yarn and tufpm-npm)', async () => {
    const yarn = await YarnProject.create(world, { poly: '1.0.0' }, { rc: { nodeLinker: 'node-modules', enableScripts: true } });
    await yarnRefused(yarn, ['install'], /TUF_TARBALL_ENTRY/, /package poly@1\.0\.0/, /itself gzip/);
    const npm = await world.project({ dependencies: { poly: '1.0.0' } });
    await npmRefused(npm, ['install'], /TUF_TARBALL_ENTRY/, /poly@1\.0\.0/, /itself gzip/);
  });

  test('rejects a pax size on a GNU long-name header that Yarn\'s tar frames differently (Yarn and tufpm-npm)', async () => {
    const yarn = await YarnProject.create(world, { smuggled: '1.0.0' }, { rc: { nodeLinker: 'node-modules', enableScripts: true } });
    await yarnRefused(yarn, ['install'], /TUF_TARBALL_ENTRY/, /package smuggled@1\.0\.0/, /pax record 'size'/);
    const npm = await world.project({ dependencies: { smuggled: '1.0.0' } });
    await npmRefused(npm, ['install'], /TUF_TARBALL_ENTRY/, /smuggled@1\.0\.0/, /pax record 'size'/);
  });
});
