import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PinnedPackage } from '@tufpm/verify';
import { parsePackageLock, parseYarnLock } from '../src/index.js';
import { diffLockfile, unpinnedChanges } from '../src/diff/lockfile-diff.js';
import { hasChanges, diffPins } from '../src/diff/pins-diff.js';
import { formatText } from '../src/diff/diff-format.js';

// The project lockfiles' half of the reviewer's summary (ADR 0016): registry packages changed in
// package-lock.json / yarn.lock, each marked when tufpm-lock.json does not pin it. The real-git, real-install
// case (redteam3's diff-hide pull request) is in integration-tests/test/pins-diff.test.ts.

const npmLock = (packages: Record<string, object>): string => JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'app' }, ...packages } });
const reg = (name: string, version: string): object => ({ version, resolved: `http://127.0.0.1:4873/${name}/-/${name}-${version}.tgz`, integrity: 'sha512-x' });
const pin = (name: string, version: string): [string, PinnedPackage] => [`${name}@${version}`, { targetPath: `${name}/-/${name}-${version}.tgz`, role: 'unclaimed-1', roleVersion: 1, length: 1, sha512: 'a'.repeat(128), maintainerSigned: false }];

test('tufpm diff shows a downgrade and a new package made only in package-lock.json, marked not pinned', () => {
  const base = parsePackageLock('base', npmLock({ 'node_modules/left': reg('left', '1.0.1'), 'node_modules/gone': reg('gone', '1.0.0'), 'packages/ws': { version: '0.0.1' } }));
  const head = parsePackageLock('head', npmLock({
    'node_modules/left': reg('left', '1.0.0'),
    'node_modules/lefft': reg('lefft', '1.0.0'),
    'node_modules/a/node_modules/left': reg('left', '1.0.0'), // a second location of one version: one change
    'node_modules/g': { version: '1.0.0', resolved: 'git+https://example.invalid/g.git#abc' }, // not a registry package
  }));
  const pins = { packages: new Map([pin('left', '1.0.1'), pin('gone', '1.0.0')]) };
  const d = diffLockfile('package-lock.json', base, head, pins);
  assert.deepEqual(d.downgraded, [{ name: 'left', from: '1.0.1', to: '1.0.0', pinned: false }]);
  assert.deepEqual(d.added, [{ name: 'lefft', to: '1.0.0', pinned: false }]);
  assert.deepEqual(d.removed, [{ name: 'gone', from: '1.0.0' }]);
  assert.deepEqual(unpinnedChanges(d).map((c) => `${c.name}@${c.to!}`), ['lefft@1.0.0', 'left@1.0.0']);
  // pinned once a verified install recorded them
  const recorded = diffLockfile('package-lock.json', base, head, { packages: new Map([pin('left', '1.0.0'), pin('lefft', '1.0.0')]) });
  assert.deepEqual(unpinnedChanges(recorded), []);
  assert.equal(recorded.downgraded[0]!.pinned, true);
});

test('tufpm diff shows an upgrade made only in yarn.lock, and a lockfile added on the head side', () => {
  const yarn = (v: string): string => `__metadata:\n  version: 8\n\n"left@npm:^1.0.0":\n  version: ${v}\n  resolution: "left@npm:${v}"\n  checksum: 10c0/${'b'.repeat(128)}\n\n"app@workspace:.":\n  version: 0.0.0-use.local\n  resolution: "app@workspace:."\n`;
  const d = diffLockfile('yarn.lock', parseYarnLock('base', yarn('1.0.0')), parseYarnLock('head', yarn('1.2.0')), { packages: new Map([pin('left', '1.0.0')]) });
  assert.deepEqual(d.upgraded, [{ name: 'left', from: '1.0.0', to: '1.2.0', pinned: false }]);
  const fresh = diffLockfile('yarn.lock', undefined, parseYarnLock('head', yarn('1.2.0')), undefined);
  assert.deepEqual([fresh.base.present, fresh.head.present], [false, true]);
  assert.deepEqual(fresh.added, [{ name: 'left', to: '1.2.0', pinned: false }], 'no pins on the head side: nothing is pinned');
});

test('a lockfile-only change is a change to review (never "no pin changes to review"), with the NOT PINNED mark', () => {
  const same = diffPins(undefined, undefined);
  assert.equal(hasChanges(same), false);
  const base = parsePackageLock('base', npmLock({ 'node_modules/left': reg('left', '1.0.1') }));
  const head = parsePackageLock('head', npmLock({ 'node_modules/left': reg('left', '1.0.0') }));
  same.lockfiles = [diffLockfile('package-lock.json', base, head, { packages: new Map() })];
  assert.equal(hasChanges(same), true);
  const text = formatText(same, { base: 'main', head: 'working tree', file: 'tufpm-lock.json' });
  assert.doesNotMatch(text, /no pin changes to review/);
  assert.match(text, /package-lock\.json: 0 added, 0 removed, 0 upgraded, 1 downgraded\n {2}v left 1\.0\.1 -> 1\.0\.0 {2}DOWNGRADE {2}NOT PINNED: run tufpm-npm install \/ yarn install to record\n/);
});
