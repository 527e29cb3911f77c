import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Arborist from '@npmcli/arborist';
import { classifyNode, sha512Digests } from '../src/index.js';

// A real package-lock.json loaded by real Arborist (loadVirtual reads only the lockfile: no network).
test('classifies registry, aliased, bundled, git, file, remote and workspace nodes of a real lockfile', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-npm-sources-'));
  try {
    const deps = {
      reg: '^1.0.0',
      alias: 'npm:real@^2.0.0',
      other: '^1.0.0',
      gitdep: 'github:someone/gitdep',
      filedep: 'file:vendor/filedep-1.0.0.tgz',
      remote: 'https://example.com/remote.tgz',
      nolocation: '^1.0.0',
    };
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: deps, workspaces: ['ws'] }));
    await mkdir(join(dir, 'ws'));
    await writeFile(join(dir, 'ws', 'package.json'), JSON.stringify({ name: 'ws', version: '1.0.0' }));
    const lock = {
      name: 'app',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'app', version: '1.0.0', dependencies: deps, workspaces: ['ws'] },
        ws: { name: 'ws', version: '1.0.0' },
        'node_modules/ws': { resolved: 'ws', link: true },
        'node_modules/reg': { version: '1.0.0', resolved: 'http://127.0.0.1:1/reg/-/reg-1.0.0.tgz', integrity: 'sha1-AAAA', bundleDependencies: ['inner'] },
        'node_modules/reg/node_modules/inner': { version: '3.0.0', inBundle: true },
        'node_modules/alias': { name: 'real', version: '2.0.0', resolved: 'https://registry.npmjs.org/real/-/real-2.0.0.tgz' },
        'node_modules/other': { version: '1.0.0', resolved: 'https://mirror.example/@x%2fother/-/other-1.0.0.tgz' },
        'node_modules/gitdep': { version: '1.0.0', resolved: 'git+ssh://git@github.com/someone/gitdep.git#abc' },
        'node_modules/filedep': { version: '1.0.0', resolved: 'file:vendor/filedep-1.0.0.tgz' },
        'node_modules/remote': { version: '1.0.0', resolved: 'https://example.com/remote.tgz' },
        'node_modules/nolocation': { version: '1.0.0' },
      },
    };
    await writeFile(join(dir, 'package-lock.json'), JSON.stringify(lock));
    const tree = await new Arborist({ path: dir }).loadVirtual();
    const kinds = new Map<string, string>();
    for (const node of tree.inventory.values()) {
      if (node.isProjectRoot) continue;
      const source = classifyNode(node);
      kinds.set(node.location, source.kind === 'registry' ? `registry ${source.name}@${source.version}` : source.kind);
    }
    assert.deepEqual(Object.fromEntries(kinds), {
      ws: 'workspace',
      'node_modules/ws': 'workspace',
      'node_modules/reg': 'registry reg@1.0.0',
      'node_modules/reg/node_modules/inner': 'bundled',
      'node_modules/alias': 'registry real@2.0.0',
      // the mirror URL names another package (@x/other): not a tarball of `other`, so not trusted as one
      'node_modules/other': 'remote',
      'node_modules/gitdep': 'git',
      'node_modules/filedep': 'file',
      'node_modules/remote': 'remote',
      'node_modules/nolocation': 'registry nolocation@1.0.0',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a root project with bundleDependencies: its own bundled dependencies are registry nodes, a dependency\'s bundle stays bundled', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-npm-sources-'));
  try {
    const deps = { reg: '^1.0.0', dep: '^1.0.0' };
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: deps, bundleDependencies: ['reg'] }));
    const lock = {
      name: 'app',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'app', version: '1.0.0', dependencies: deps, bundleDependencies: ['reg'] },
        'node_modules/reg': { version: '1.0.0', resolved: 'http://127.0.0.1:1/reg/-/reg-1.0.0.tgz', integrity: 'sha1-AAAA', inBundle: true },
        'node_modules/dep': { version: '1.0.0', resolved: 'http://127.0.0.1:1/dep/-/dep-1.0.0.tgz', integrity: 'sha1-AAAA', bundleDependencies: ['inner'] },
        'node_modules/dep/node_modules/inner': { version: '3.0.0', inBundle: true },
      },
    };
    await writeFile(join(dir, 'package-lock.json'), JSON.stringify(lock));
    const tree = await new Arborist({ path: dir }).loadVirtual();
    const reg = tree.inventory.get('node_modules/reg')!;
    assert.equal(reg.inBundle, true, 'Arborist counts the root\'s own bundle as a bundle');
    assert.deepEqual(classifyNode(reg), { kind: 'registry', name: 'reg', version: '1.0.0' });
    assert.deepEqual(classifyNode(tree.inventory.get('node_modules/dep/node_modules/inner')!), { kind: 'bundled' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('reads the sha512 digests of an SRI string and ignores other algorithms', () => {
  assert.deepEqual(sha512Digests('sha1-AAA= sha512-BBB== sha512-CCC==?opt'), ['BBB==', 'CCC==']);
  assert.deepEqual(sha512Digests(null), []);
  assert.deepEqual(sha512Digests('sha1-AAA='), []);
});
