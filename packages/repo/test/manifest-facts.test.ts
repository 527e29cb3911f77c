import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPackageTarball, signedManifestFactsOf } from '../src/index.js';
import { makeTarball } from './helpers.js';

const npmOf = async (manifest: Record<string, unknown>, extra: Record<string, string> = {}): Promise<Record<string, unknown>> =>
  ((await readPackageTarball(await makeTarball({ name: 'pkg', version: '1.0.0', ...manifest }, extra))).target.custom as { npm: Record<string, unknown> }).npm;

test('signs the install-relevant fields of the tarball\'s own package.json, only the present ones', async () => {
  const npm = await npmOf({
    bin: { pkg: './bin/cli.js', '@scope/other': 'lib\\other.js' },
    os: ['linux', '!win32'], cpu: 'x64', libc: ['glibc'],
    engines: { node: '>=18' },
    bundleDependencies: ['b', 'a', 'a'],
    peerDependenciesMeta: { react: { optional: true }, vue: { optional: false } },
    scripts: { postinstall: 'node setup.js', test: 'tap', prepare: 'tsc' },
    deprecated: 'use other',
  }, { 'bin/cli.js': '', 'lib/other.js': '' });
  assert.deepEqual(npm, {
    manifestFields: 1,
    bin: { pkg: 'bin/cli.js', other: 'lib/other.js' },
    os: ['linux', '!win32'], cpu: 'x64', libc: ['glibc'],
    engines: { node: '>=18' },
    bundleDependencies: ['a', 'b'],
    optionalPeers: ['react'],
    installScripts: { postinstall: 'node setup.js' },
  });
  // A bare package signs only the marker (an absent field then means "absent from package.json").
  assert.deepEqual(await npmOf({}), { manifestFields: 1 });
});

test('a string bin is the package\'s own (unscoped) command; directories.bin is expanded as npm publish does', async () => {
  assert.deepEqual(signedManifestFactsOf({ name: '@s/tool', bin: 'cli.js' }, { hasBindingGyp: false, files: [] }).bin, { tool: 'cli.js' });
  const npm = await npmOf({ directories: { bin: './bin' } }, { 'bin/a': '', 'bin/sub/b': '', 'lib/c': '' });
  assert.deepEqual(npm['bin'], { a: 'bin/a', b: 'bin/sub/b' });
});

test('records that a package builds with node-gyp: a script running it, or binding.gyp without an install step', async () => {
  assert.deepEqual(await npmOf({ scripts: { install: 'node-gyp rebuild' } }), { manifestFields: 1, installScripts: { install: 'node-gyp rebuild' }, nodeGyp: true });
  assert.equal((await npmOf({ scripts: { build: 'prebuild-install || echo' } }))['nodeGyp'], true, 'any script, as Yarn reads them');
  assert.deepEqual(await npmOf({}, { 'binding.gyp': '{}' }), { manifestFields: 1, installScripts: { install: 'node-gyp rebuild' }, nodeGyp: true });
  assert.deepEqual(await npmOf({ gypfile: false }, { 'binding.gyp': '{}' }), { manifestFields: 1 }, 'gypfile: false opts out');
  assert.deepEqual(await npmOf({ scripts: { preinstall: 'node pre.js' } }, { 'binding.gyp': '{}' }), { manifestFields: 1, installScripts: { preinstall: 'node pre.js' } });
  assert.equal((await npmOf({ scripts: { test: 'node-gypsy' } }))['nodeGyp'], undefined, 'a word boundary, as Yarn\'s match');
});

test('refuses a tarball whose bins leave the package or whose fields are malformed or out of bounds', async () => {
  for (const bad of [
    { bin: { x: '../escape.js' } }, { bin: { x: '/etc/passwd' } }, { bin: { x: 'C:\\x' } }, { bin: { x: 'a/../../b' } }, { bin: { '..': 'x.js' } },
    { bin: { x: 1 } }, { bin: 7 }, { os: [1] }, { cpu: {} }, { os: Array.from({ length: 65 }, () => 'linux') },
    { engines: 'node' }, { engines: { node: 1 } }, { bundleDependencies: 'a' }, { peerDependenciesMeta: [] },
    { scripts: [] }, { scripts: { install: 'x'.repeat(4097) } }, { directories: { bin: '../x' } },
  ]) {
    await assert.rejects(readPackageTarball(await makeTarball({ name: 'bad', version: '1.0.0', ...bad })), { code: 'TUF_TARBALL' }, JSON.stringify(bad).slice(0, 60));
  }
});
