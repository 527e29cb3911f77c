import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PinnedPackage, SideLockfile } from '@tufpm/verify';
import { diffPins, hasChanges } from '../src/diff/pins-diff.js';
import { formatMarkdown, formatText } from '../src/diff/diff-format.js';
import { K, testPins } from './pins-fixture.js';

// The reviewer's summary of a tufpm-lock.json change (ADR 0016), on hand-made pins: every kind of change
// the summary names, and the noise it must leave out. The real-git, real-install cases are in
// integration-tests/test/pins-diff.test.ts.

const pin = (name: string, version: string, role: string, roleVersion: number, maintainerSigned: boolean, hash = 'a'): PinnedPackage => ({
  targetPath: `${name}/-/${name}-${version}.tgz`, role, roleVersion, length: 10, sha512: hash.repeat(128), maintainerSigned,
});

function lock(packages: Array<[string, PinnedPackage]>, edit: (l: SideLockfile) => void = () => undefined): SideLockfile {
  const l = testPins({
    packages: new Map(packages),
    roles: new Map([['unclaimed-*', { keyids: [K('5')], threshold: 1 }], ['owned', { keyids: [K('6')], threshold: 1 }]]),
  });
  edit(l);
  return l;
}

const base = lock([
  ['up@1.0.0', pin('up', '1.0.0', 'unclaimed-1', 3, false)],
  ['down@2.0.0', pin('down', '2.0.0', 'unclaimed-2', 3, false)],
  ['gone@1.0.0', pin('gone', '1.0.0', 'unclaimed-0', 3, false)],
  ['owned@1.0.0', pin('owned', '1.0.0', 'owned', 1, true)],
  ['quiet@1.0.0', pin('quiet', '1.0.0', 'unclaimed-3', 3, false)],
]);

test('names upgrades, downgrades, additions and removals, and keeps re-signed hash bins out of the summary', () => {
  const head = lock([
    ['up@1.2.0', pin('up', '1.2.0', 'unclaimed-1', 4, false)],
    ['down@1.9.0', pin('down', '1.9.0', 'unclaimed-2', 4, false)],
    ['new@0.1.0', pin('new', '0.1.0', 'unclaimed-0', 4, false)],
    ['owned@1.0.0', pin('owned', '1.0.0', 'owned', 1, true)],
    ['quiet@1.0.0', pin('quiet', '1.0.0', 'unclaimed-3', 9, false)],
  ], (l) => { l.timestamp.version = 8; l.snapshot.version = 8; });
  const d = diffPins(base, head);
  assert.deepEqual(d.upgraded, [{ name: 'up', from: '1.0.0', to: '1.2.0', fromSigner: 'registry', toSigner: 'registry' }]);
  assert.deepEqual(d.downgraded.map((c) => `${c.name} ${c.from}->${c.to}`), ['down 2.0.0->1.9.0']);
  assert.deepEqual(d.added.map((c) => `${c.name}@${c.to}`), ['new@0.1.0']);
  assert.deepEqual(d.removed.map((c) => `${c.name}@${c.from}`), ['gone@1.0.0']);
  assert.equal(d.hidden.binResigns, 1, 'quiet@1.0.0: same tarball, its bin re-signed');
  assert.deepEqual(d.warnings.map((w) => w.code), ['DOWNGRADE']);
  assert.deepEqual(d.state.map((s) => `${s.role} ${s.versionMoved}`), ['timestamp up', 'snapshot up']);
  const text = formatText(d, { base: 'main', head: 'working tree', file: 'tufpm-lock.json' });
  assert.doesNotMatch(text, /quiet/, 'a re-signed bin is not listed');
  assert.match(text, /not shown: 1 pin\(s\) whose hash bin was re-signed/);
  assert.match(text, /v down 2\.0\.0 -> 1\.9\.0 .*DOWNGRADE/);
});

test('semver orders versions (1.10.0 is an upgrade from 1.9.0), and several versions of one package pair highest with highest', () => {
  const b = lock([['m@1.9.0', pin('m', '1.9.0', 'unclaimed-1', 1, false)], ['m@0.5.0', pin('m', '0.5.0', 'unclaimed-1', 1, false)]]);
  const h = lock([['m@1.10.0', pin('m', '1.10.0', 'unclaimed-1', 1, false)], ['m@0.6.0', pin('m', '0.6.0', 'unclaimed-1', 1, false)]]);
  const d = diffPins(b, h);
  assert.deepEqual(d.upgraded.map((c) => `${c.from}->${c.to}`), ['1.9.0->1.10.0', '0.5.0->0.6.0']);
  assert.equal(d.downgraded.length, 0);
});

test('names a signer change both ways, and warns on maintainer-signed -> registry-signed', () => {
  const head = lock([...base.packages].map(([k, p]): [string, PinnedPackage] =>
    k === 'owned@1.0.0' ? ['owned@1.0.1', pin('owned', '1.0.1', 'unclaimed-2', 5, false)] : k === 'up@1.0.0' ? ['up@1.1.0', pin('up', '1.1.0', 'up', 1, true)] : [k, p]));
  const d = diffPins(base, head);
  assert.deepEqual(d.signers, [{ name: 'owned', from: 'maintainer', to: 'registry' }, { name: 'up', from: 'registry', to: 'maintainer' }]);
  assert.deepEqual(d.warnings.map((w) => w.code), ['SIGNER_DOWNGRADE']);
  assert.deepEqual(d.upgraded.find((c) => c.name === 'owned'), { name: 'owned', from: '1.0.0', to: '1.0.1', fromSigner: 'maintainer', toSigner: 'registry' });
  assert.match(formatMarkdown(d, { base: 'main', head: 'HEAD', file: 'tufpm-lock.json' }), /\| `owned` \| maintainer \| \*\*registry\*\* \|/);
});

test('shows a package role going from 1-of-1 to 2-of-2 keys, and warns when a threshold goes down', () => {
  const head = lock([...base.packages], (l) => l.roles!.set('owned', { keyids: [K('6'), K('7')], threshold: 2 }));
  const d = diffPins(base, head);
  assert.equal(d.roleKeys.length, 1);
  assert.deepEqual(d.roleKeys[0], { role: 'owned', packages: ['owned'], from: { keyids: [K('6')], threshold: 1 }, to: { keyids: [K('6'), K('7')], threshold: 2 }, addedKeyids: [K('7')], removedKeyids: [] });
  assert.deepEqual(d.warnings, []);
  assert.match(formatText(d, { base: 'a', head: 'b', file: 'f' }), /owned: 1-of-1 \[66666666\] -> 2-of-2 \[66666666, 77777777\]/);
  const back = diffPins(head, base);
  assert.deepEqual(back.warnings.map((w) => w.code), ['THRESHOLD_LOWERED']);
  const replaced = diffPins(base, lock([...base.packages], (l) => l.roles!.set('unclaimed-*', { keyids: [K('8')], threshold: 1 })));
  assert.deepEqual(replaced.warnings.map((w) => w.code), ['KEYS_REPLACED']);
  assert.deepEqual(replaced.roleKeys[0]!.packages, ['down', 'gone', 'quiet', 'up'], 'the bins\' keys sign every registry-signed package');
});

test('names moved root, timestamp and snapshot pins, and warns when a floor goes down or the root is replaced at the same version', () => {
  const rotated = lock([...base.packages], (l) => { l.root = { version: 2, sha256: K('9'), keyids: [K('a')], threshold: 1 }; l.timestamp.version = 9; });
  const d = diffPins(base, rotated);
  const root = d.state.find((s) => s.role === 'root')!;
  assert.equal(root.versionMoved, 'up');
  assert.equal(root.keysChanged, true);
  assert.equal(root.to.sha256, K('9'));
  assert.deepEqual(d.warnings, []);
  const lowered = diffPins(rotated, base);
  assert.deepEqual(lowered.warnings.map((w) => w.code).sort(), ['STATE_LOWERED', 'STATE_LOWERED']);
  const forged = diffPins(base, lock([...base.packages], (l) => { l.root.sha256 = K('b'); }));
  assert.deepEqual(forged.warnings.map((w) => w.code), ['ROOT_REPLACED']);
});

test('a format-1 base (root digest of another kind, no keys recorded) next to format 2 is a format change, not a moved root', () => {
  const old = lock([...base.packages], (l) => {
    l.lockfileVersion = 1;
    l.root = { version: 1, sha256: K('c') };
    for (const r of [l.timestamp, l.snapshot, l.targets]) delete r.threshold;
    delete l.roles;
  });
  const d = diffPins(old, base);
  assert.equal(hasChanges(d), false, 'nothing to review');
  assert.equal(d.hidden.keysFirstRecorded, 2);
  assert.match(formatText(d, { base: 'main', head: 'working tree', file: 'tufpm-lock.json' }), /\(format 1 -> 2\)\nno pin changes to review/);
});

test('warns on a deleted tufpm-lock.json, a same-version tarball change, a lowered role version, a removed claim and another registry', () => {
  assert.deepEqual(diffPins(base, undefined).warnings.map((w) => w.code), ['LOCKFILE_DELETED']);
  const added = diffPins(undefined, base);
  assert.equal(added.added.length, 5);
  assert.equal(added.warnings.length, 0);
  const head = lock([...base.packages].map(([k, p]): [string, PinnedPackage] =>
    k === 'up@1.0.0' ? [k, { ...p, sha512: 'f'.repeat(128) }] : k === 'owned@1.0.0' ? [k, { ...p, roleVersion: 1 }] : k === 'down@2.0.0' ? [k, { ...p, roleVersion: 1 }] : [k, p]), (l) => { l.registry = 'https://evil.example/'; });
  const withClaims = lock([...base.packages], (l) => { l.claims = new Map([['owned', { keyids: [K('6')], threshold: 1 }]]); });
  const d = diffPins(withClaims, head);
  assert.deepEqual(d.warnings.map((w) => w.code).sort(), ['CLAIM_REMOVED', 'REGISTRY_CHANGED', 'ROLE_VERSION_LOWERED', 'SAME_VERSION_NEW_HASH']);
  assert.deepEqual(d.rehashed.map((r) => r.package), ['up@1.0.0']);
  assert.deepEqual(d.claims.removed, ['owned']);
});

test('the Markdown keeps a table intact whatever a role name holds', () => {
  const weird = (keyid: string) => lock([['x@1.0.0', pin('x', '1.0.0', 'we|i`rd', 1, true)]], (l) => l.roles!.set('we|i`rd', { keyids: [K(keyid)], threshold: 1 }));
  const md = formatMarkdown(diffPins(weird('6'), weird('7')), { base: 'a|b', head: 'c`d', file: 'tufpm-lock.json' });
  assert.match(md, /a\\\|b -> c\\`d/);
  let columns = 0;
  let rows = 0;
  for (const line of md.split('\n')) {
    if (!line.startsWith('|')) {
      columns = 0;
      continue;
    }
    const pipes = line.split(/(?<!\\)\|/).length;
    if (columns === 0) columns = pipes;
    assert.equal(pipes, columns, `a row with as many cells as its header: ${line}`);
    rows++;
  }
  assert.ok(rows >= 3, 'a role-keys table was written');
});

test('the Merkle tree pin (ADR 0022): a moved tree is shown, a smaller one or another root for the same epoch is a warning', () => {
  const tree = (root: string, size: number) => (l: SideLockfile) => { l.merkle = { root: K(root), size }; };
  const b = lock([], tree('a', 100));
  const grown = diffPins(b, lock([], (l) => { tree('b', 120)(l); l.snapshot.version = 6; l.timestamp.version = 6; }));
  assert.deepEqual(grown.merkle, { from: { root: K('a'), size: 100 }, to: { root: K('b'), size: 120 } });
  assert.deepEqual(grown.warnings, []);
  assert.match(formatText(grown, { base: 'a', head: 'b', file: 'f' }), /Merkle tree pin: a{64} \(100 leaves\) -> b{64} \(120 leaves\)/);
  const shrunk = diffPins(b, lock([], (l) => { tree('b', 90)(l); l.snapshot.version = 6; l.timestamp.version = 6; }));
  assert.deepEqual(shrunk.warnings.map((w) => w.code), ['MERKLE_TREE_LOWERED']);
  const forked = diffPins(b, lock([], tree('c', 100)));
  assert.deepEqual(forked.warnings.map((w) => w.code), ['MERKLE_TREE_REPLACED']);
  assert.ok(hasChanges(forked));
  assert.equal(diffPins(b, lock([], tree('a', 100))).merkle, undefined);
});

test('a maintainer-signed -> registry-signed change the head pins note as a deliberate unclaim is an UNCLAIMED warning, not SIGNER_DOWNGRADE or CLAIM_REMOVED (ADR 0026)', () => {
  const withClaim = lock([...base.packages], (l) => { l.claims = new Map([['owned', { keyids: [K('6')], threshold: 1 }]]); });
  const moved = [...base.packages].map(([k, p]): [string, PinnedPackage] => (k === 'owned@1.0.0' ? ['owned@1.0.1', pin('owned', '1.0.1', 'unclaimed-2', 5, false)] : [k, p]));
  const unclaimed = lock(moved, (l) => { l.unclaims = new Map([['owned', { targetsVersion: 9 }]]); l.claims = new Map(); });
  const d = diffPins(withClaim, unclaimed);
  assert.deepEqual(d.signers, [{ name: 'owned', from: 'maintainer', to: 'registry', unclaimed: { targetsVersion: 9 } }]);
  // still a warning (one): the note is the pull request's to edit, and tufpm-diff cannot check the record
  assert.deepEqual(d.warnings.map((w) => w.code), ['UNCLAIMED']);
  assert.match(d.warnings[0]!.message, /^owned .*cannot check that record/);
  assert.deepEqual(d.claims.removed, ['owned']);
  assert.match(formatText(d, { base: 'main', head: 'HEAD', file: 'tufpm-lock.json' }), /owned: maintainer-signed -> registry-signed {2}UNCLAIMED on purpose \(unclaim record signed with the offline key in targets v9\)/);
  // the same change without the note stays a downgrade
  const dropped = diffPins(withClaim, lock(moved, (l) => { l.claims = new Map(); }));
  assert.deepEqual(dropped.warnings.map((w) => w.code).sort(), ['CLAIM_REMOVED', 'SIGNER_DOWNGRADE']);
});
