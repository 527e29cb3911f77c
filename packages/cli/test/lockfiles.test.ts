import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TufError } from '@tufpm/models';
import { parsePackageLock, parseYarnLock, splitLocator } from '../src/index.js';
import { readProjectLockfiles } from '../src/project-lockfiles.js';

const REG = 'http://127.0.0.1:4873';

test('package-lock.json: registry, alias, workspace, bundled, git, file and remote entries are told apart', () => {
  const lock = {
    lockfileVersion: 3,
    packages: {
      '': { name: 'app', version: '1.0.0' },
      'node_modules/left': { version: '1.0.0', resolved: `${REG}/left/-/left-1.0.0.tgz`, integrity: 'sha512-x', bundleDependencies: ['inner'] },
      'node_modules/left/node_modules/inner': { version: '1.0.0', inBundle: true },
      'node_modules/left/node_modules/@s/right': { version: '2.0.0', resolved: `${REG}/@s/right/-/right-2.0.0.tgz` },
      'node_modules/aliased': { name: 'real', version: '3.0.0', resolved: `${REG}/real/-/real-3.0.0.tgz` },
      'node_modules/ws-a': { resolved: 'packages/a', link: true },
      'packages/a': { name: 'ws-a', version: '0.0.1' },
      'node_modules/gitdep': { version: '1.0.0', resolved: 'git+ssh://git@example.com/x.git#abc' },
      'node_modules/local': { version: '1.0.0', resolved: 'file:../local' },
      'node_modules/noresolved': { version: '1.2.3', integrity: 'sha512-y' },
    },
  };
  const entries = parsePackageLock('package-lock.json', JSON.stringify(lock));
  const kinds = Object.fromEntries(entries.map((e) => [e.location, `${e.kind}:${e.name}@${e.version}`]));
  assert.deepEqual(kinds, {
    'node_modules/left': 'registry:left@1.0.0',
    'node_modules/left/node_modules/inner': 'bundled:inner@1.0.0',
    'node_modules/left/node_modules/@s/right': 'registry:@s/right@2.0.0',
    'node_modules/aliased': 'registry:real@3.0.0',
    'node_modules/ws-a': 'workspace:ws-a@',
    'packages/a': 'workspace:ws-a@0.0.1',
    'node_modules/gitdep': 'git:gitdep@1.0.0',
    'node_modules/local': 'file:local@1.0.0',
    'node_modules/noresolved': 'registry:noresolved@1.2.3',
  });
});

test('package-lock.json: rejects an inBundle flag that no registry parent backs (checked as a registry entry, not skipped)', () => {
  const lock = {
    lockfileVersion: 3,
    packages: {
      '': { name: 'app', bundleDependencies: ['own'] },
      // the attack: a signed top-level package flagged inBundle and pointed at an unsigned tarball
      'node_modules/left': { version: '1.0.1', resolved: `${REG}/left/-/left-1.0.1.tgz`, integrity: 'sha512-evil', inBundle: true },
      // the project's own bundleDependencies: npm fetches them from the registry
      'node_modules/own': { version: '1.0.0', inBundle: true },
      'node_modules/plain': { version: '1.0.0', resolved: `${REG}/plain/-/plain-1.0.0.tgz`, integrity: 'sha512-p' },
      // below a parent that bundles nothing, or with a URL / integrity of its own
      'node_modules/plain/node_modules/a': { version: '1.0.0', inBundle: true },
      'node_modules/bundler': { version: '1.0.0', resolved: `${REG}/bundler/-/bundler-1.0.0.tgz`, integrity: 'sha512-b', bundleDependencies: ['b', 'c'] },
      'node_modules/bundler/node_modules/b': { version: '1.0.0', resolved: `${REG}/b/-/b-1.0.0.tgz`, inBundle: true },
      'node_modules/bundler/node_modules/c': { version: '1.0.0', integrity: 'sha512-c', inBundle: true },
      // really bundled, and a bundled package's own dependency nested below it
      'node_modules/bundler/node_modules/d': { version: '1.0.0', inBundle: true },
      'node_modules/bundler/node_modules/d/node_modules/e': { version: '1.0.0', inBundle: true },
      // a workspace's bundle is fetched too
      'packages/w': { name: 'w', version: '1.0.0', bundleDependencies: ['f'] },
      'packages/w/node_modules/f': { version: '1.0.0', inBundle: true },
    },
  };
  const kinds = Object.fromEntries(parsePackageLock('package-lock.json', JSON.stringify(lock)).map((e) => [e.location, e.kind]));
  assert.deepEqual(kinds, {
    'node_modules/left': 'registry',
    'node_modules/own': 'registry',
    'node_modules/plain': 'registry',
    'node_modules/plain/node_modules/a': 'registry',
    'node_modules/bundler': 'registry',
    'node_modules/bundler/node_modules/b': 'registry',
    'node_modules/bundler/node_modules/c': 'registry',
    'node_modules/bundler/node_modules/d': 'bundled',
    'node_modules/bundler/node_modules/d/node_modules/e': 'bundled',
    'packages/w': 'workspace',
    'packages/w/node_modules/f': 'registry',
  });
});

test('package-lock.json: lockfileVersion 1, non-JSON and wrongly typed fields are refused with TUF_LOCK_MALFORMED', () => {
  const bad = [
    JSON.stringify({ lockfileVersion: 1, dependencies: {} }),
    '{ not json',
    JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/x': 'str' } }),
    JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/x': { version: 1 } } }),
    JSON.stringify([]),
  ];
  for (const text of bad) {
    assert.throws(() => parsePackageLock('package-lock.json', text), (e: unknown) => e instanceof TufError && e.code === 'TUF_LOCK_MALFORMED', text);
  }
});

const YARN_LOCK = `# This file is generated by running "yarn install" inside your project.

__metadata:
  version: 8
  cacheKey: 10c0

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  languageName: unknown
  linkType: soft

"left@npm:^1.0.0":
  version: 1.0.0
  resolution: "left@npm:1.0.0"
  checksum: 10c0/aaaa
  languageName: node
  linkType: hard

"alias@npm:real@^3.0.0, real@npm:^3.0.0":
  version: 3.0.0
  resolution: "real@npm:3.0.0"
  checksum: 10c0/bbbb
  languageName: node
  linkType: hard

"@s/right@npm:2.0.0":
  version: 2.0.0
  resolution: "@s/right@npm:2.0.0::__archiveUrl=http%3A%2F%2F127.0.0.1%3A4873%2F%40s%2Fright%2F-%2Fright-2.0.0.tgz"
  checksum: 10c0/cccc
  languageName: node
  linkType: hard

"resolve@patch:resolve@npm%3A^1.22.0#optional!builtin<compat/resolve>":
  version: 1.22.8
  resolution: "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d"
  checksum: 10c0/dddd
  languageName: node
  linkType: hard

"gitdep@https://github.com/x/y.git#commit=abc":
  version: 1.0.0
  resolution: "gitdep@https://github.com/x/y.git#commit=abc"
  languageName: node
  linkType: hard

"local@file:../local::locator=app%40workspace%3A.":
  version: 1.0.0
  resolution: "local@file:../local#../local::hash=1&locator=app%40workspace%3A."
  languageName: node
  linkType: hard
`;

test('yarn.lock: npm, alias, __archiveUrl, patch, workspace, git and file entries are told apart', () => {
  const entries = parseYarnLock('yarn.lock', YARN_LOCK);
  const kinds = entries.map((e) => `${e.kind}:${e.name}@${e.version}${e.patched ? ' patched' : ''}${e.checksum ? ` ${e.checksum}` : ''}`);
  assert.deepEqual(kinds, [
    'workspace:app@',
    'registry:left@1.0.0 10c0/aaaa',
    'registry:real@3.0.0 10c0/bbbb',
    'registry:@s/right@2.0.0 10c0/cccc',
    'registry:resolve@1.22.8 patched',
    'git:gitdep@',
    'file:local@',
  ]);
  assert.equal(entries[3]!.source, `${REG}/@s/right/-/right-2.0.0.tgz`, 'the archive URL is kept for the check against the registry');
});

test('yarn.lock: a Yarn 1 lockfile and an entry without resolution are refused', () => {
  const v1 = '# yarn lockfile v1\n\nleft@^1.0.0:\n  version "1.0.0"\n  resolved "x"\n';
  assert.throws(() => parseYarnLock('yarn.lock', v1), (e: unknown) => e instanceof TufError && e.code === 'TUF_LOCK_MALFORMED');
  const noResolution = '__metadata:\n  version: 8\n\n"left@npm:^1.0.0":\n  version: 1.0.0\n';
  assert.throws(() => parseYarnLock('yarn.lock', noResolution), (e: unknown) => e instanceof TufError && e.code === 'TUF_LOCK_MALFORMED');
});

test('splitLocator keeps a scope\'s own @', () => {
  assert.deepEqual(splitLocator('@s/right@npm:2.0.0'), { name: '@s/right', reference: 'npm:2.0.0' });
  assert.deepEqual(splitLocator('left@npm:1.0.0'), { name: 'left', reference: 'npm:1.0.0' });
  assert.equal(splitLocator('nothing'), null);
});

test('rejects a package-lock.json whose lockfileVersion is nested 20,000 arrays deep with TUF_LOCK_MALFORMED, not a RangeError (fuzzing, issue 19)', () => {
  const deep = '['.repeat(20_000) + '3' + ']'.repeat(20_000);
  const text = `{"name":"app","lockfileVersion":${deep},"packages":{}}`;
  assert.throws(() => parsePackageLock('package-lock.json', text), (e: unknown) => e instanceof TufError && e.code === 'TUF_LOCK_MALFORMED' && /lockfileVersion an array is not 2 or 3/.test(e.message));
  assert.throws(() => parsePackageLock('package-lock.json', '{"lockfileVersion":"1"}'), (e: unknown) => e instanceof TufError && /lockfileVersion "1" is not 2 or 3/.test(e.message));
});

test('rejects a FIFO yarn.lock (opening it used to block the gate) and a 2 GiB sparse package-lock.json with TUF_LOCK_MALFORMED', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gate-lock-bounded-'));
  try {
    execFileSync('mkfifo', [join(dir, 'yarn.lock')]);
    await assert.rejects(readProjectLockfiles(dir, [join(dir, 'yarn.lock')]), (e: Error & { code?: string }) => e.code === 'TUF_LOCK_MALFORMED' && /not a regular file/.test(e.message));
    await writeFile(join(dir, 'package-lock.json'), '');
    await truncate(join(dir, 'package-lock.json'), 2 * 1024 * 1024 * 1024);
    await assert.rejects(readProjectLockfiles(dir, [join(dir, 'package-lock.json')]), (e: Error & { code?: string }) => e.code === 'TUF_LOCK_MALFORMED' && /2147483648 bytes/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
