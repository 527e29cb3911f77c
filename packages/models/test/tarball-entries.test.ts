import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TarballEntryIndex, TarballEntryError, normalizeTarballEntryPath } from '../src/index.js';

/** Each entry: path, type (File), bytes (by default the raw path itself, so two entries differ), mode. */
type Entry = [string, string?, string?, number?];

function walk(entries: Entry[]): TarballEntryIndex {
  const index = new TarballEntryIndex();
  for (const [raw, type, bytes, mode] of entries) {
    const path = index.add(raw, type ?? 'File');
    if ((type ?? 'File') === 'File') index.recordContent(raw, path, mode ?? 0o644, createHash('sha256').update(bytes ?? raw).digest('hex'));
  }
  return index;
}

function refusal(entries: Entry[]): TarballEntryError {
  try {
    walk(entries);
  } catch (error) {
    assert.ok(error instanceof TarballEntryError, String(error));
    assert.equal(error.code, 'TUF_TARBALL_ENTRY');
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(entries)}`);
}

test('tarball entries normalise as node-tar and Yarn extract them below package/', () => {
  const path = (p: string): string => normalizeTarballEntryPath(p).path;
  assert.equal(path('package/package.json'), 'package.json');
  assert.equal(path('package/./package.json'), 'package.json');
  assert.equal(path('package//lib/./x.js'), 'lib/x.js');
  assert.equal(path('package/lib/'), 'lib');
  assert.equal(path('package/'), '');
  assert.equal(path('package'), '');
  assert.deepEqual(normalizeTarballEntryPath('node-foo/index.js'), { top: 'node-foo', path: 'index.js' });
});

test('rejects a tarball with a second package.json hidden as package/./package.json', () => {
  assert.equal(refusal([['package/package.json'], ['package/./package.json']]).problem, 'duplicate');
});

test('accepts two entries on one path with the same bytes and mode (agent-base 7.1.4 ships package/./dist/index.js and package/dist/index.js)', () => {
  const index = walk([['package/./dist/index.js', 'File', 'same'], ['package/dist/index.js', 'File', 'same'], ['package/package.json']]);
  assert.deepEqual([...index.duplicatedFiles], ['DIST/INDEX.JS']);
  assert.deepEqual([...walk([['package/a.js'], ['package/b.js']]).duplicatedFiles], []);
});

test('rejects two entries on one path whose bytes or modes differ (installers keep different ones)', () => {
  assert.equal(refusal([['package/./dist/index.js', 'File', 'one'], ['package/dist/index.js', 'File', 'two']]).problem, 'duplicate');
  assert.equal(refusal([['package/./bin.js', 'File', 'same', 0o644], ['package/bin.js', 'File', 'same', 0o755]]).problem, 'duplicate');
  assert.equal(refusal([['package/lib.js'], ['package/lib.js/', 'Directory']]).problem, 'duplicate');
});

test('rejects a tarball with a second package.json hidden as package//package.json', () => {
  assert.equal(refusal([['package/package.json'], ['package//package.json']]).problem, 'duplicate');
});

test('rejects a tarball with a second package.json hidden as package\\package.json', () => {
  // A name character on POSIX, a separator for node-tar on Windows: the signed tarball must not depend on it.
  assert.equal(refusal([['package/package.json'], ['package\\package.json']]).problem, 'backslash');
  assert.equal(refusal([['package/lib\\x.js']]).problem, 'backslash');
});

test('rejects a tarball whose entries collide only on a case-insensitive or normalising file system', () => {
  assert.equal(refusal([['package/package.json'], ['package/PACKAGE.JSON']]).problem, 'duplicate');
  assert.equal(refusal([['package/caf\u00e9.js'], ['package/cafe\u0301.js']]).problem, 'duplicate');
  assert.equal(refusal([['package/package.json'], ['package/package.json. ']]).problem, 'duplicate');
});

test('rejects a tarball with a file where another entry needs a directory', () => {
  assert.equal(refusal([['package/lib'], ['package/lib/x.js']]).problem, 'duplicate');
  assert.equal(refusal([['package/lib/x.js'], ['package/lib']]).problem, 'duplicate');
  assert.equal(refusal([['package/lib/', 'Directory'], ['package/lib']]).problem, 'duplicate');
});

test('rejects tarball entries outside package/: another top directory, a leading ./, a top-level file', () => {
  // Both installers strip the first component, whatever it is: other/package.json would replace package.json.
  assert.equal(refusal([['package/package.json'], ['other/package.json']]).problem, 'outside-package');
  assert.equal(refusal([['package/', 'Directory'], ['other/x.js']]).problem, 'outside-package');
  // node-tar (pacote strip: 1) puts ./package/x at package/x, Yarn at x: the installers disagree.
  assert.equal(refusal([['./package/package.json']]).problem, 'outside-package');
  assert.equal(refusal([['package.json']]).problem, 'outside-package');
  assert.equal(refusal([['package']]).problem, 'outside-package');
  assert.equal(refusal([['package/x.js'], ['package.json']]).problem, 'outside-package');
  assert.equal(refusal([['']]).problem, 'outside-package');
});

test('rejects absolute and parent-directory tarball entries', () => {
  assert.equal(refusal([['/package/x.js']]).problem, 'absolute');
  assert.equal(refusal([['C:package/x.js']]).problem, 'absolute');
  assert.equal(refusal([['package/lib/../../x.js']]).problem, 'parent-segment');
  assert.equal(refusal([['package/..']]).problem, 'parent-segment');
});

test('rejects link and device entries in a tarball', () => {
  assert.equal(refusal([['package/a.js', 'SymbolicLink']]).problem, 'link');
  assert.equal(refusal([['package/a.js', 'Link']]).problem, 'link');
  assert.equal(refusal([['package/a', 'CharacterDevice']]).problem, 'unsupported-type');
  assert.equal(refusal([['package/a', 'ContiguousFile']]).problem, 'unsupported-type');
});

test('a legitimate tarball with directory entries, nested files and repeated directory entries is accepted', () => {
  const index = new TarballEntryIndex();
  const seen = [
    index.add('package/', 'Directory'),
    index.add('package/package.json', 'File'),
    index.add('package/lib/', 'Directory'),
    index.add('package/lib/a.js', 'File'),
    index.add('package/lib/', 'Directory'),
    index.add('package/lib/sub/b.js', 'OldFile'),
    index.add('package/README', 'File'),
    index.add('package/readme.md', 'File'),
  ];
  assert.deepEqual(seen, ['', 'package.json', 'lib', 'lib/a.js', 'lib', 'lib/sub/b.js', 'README', 'readme.md']);
  // Old packages whose one top directory has another name extract alike with npm and Yarn (both strip it).
  const legacy = new TarballEntryIndex();
  assert.equal(legacy.add('node-foo', 'Directory'), '');
  assert.equal(legacy.add('node-foo/package.json', 'File'), 'package.json');
});

// The usual-entry shortcuts of normalizeTarballEntryPath and of the collision key (ADR 0012, amended
// 2026-12-07) against the general rule they skip, written out here as it stood before them: every path must
// get the same verdict, the same normal form and the same key.
function generalNormalize(rawPath: string): { top: string; path: string } | string {
  if (rawPath.length === 0 || rawPath.length > 4096) return 'outside-package';
  if (rawPath.includes('\\')) return 'backslash';
  if (rawPath.startsWith('/') || /^[A-Za-z]:/.test(rawPath)) return 'absolute';
  const segments = rawPath.split('/');
  if (segments.includes('..')) return 'parent-segment';
  const top = segments[0]!;
  if (top === '.') return 'outside-package';
  return { top, path: segments.slice(1).filter((s) => s !== '' && s !== '.').join('/') };
}
function generalKey(path: string): string {
  const folded = /^[\x20-\x7e]*$/.test(path) ? path.toUpperCase() : path.normalize('NFD').toLocaleLowerCase('en').toLocaleUpperCase('en');
  return folded
    .split('/')
    .map((s) => s.replace(/[. ]+$/, ''))
    .join('/');
}

test('rejects the same entries and keys them alike with the usual-entry shortcuts as with the general rule (every path of up to 5 pieces)', () => {
  const pieces = ['package', '/', '.', '..', ' ', 'a', 'A', '\\', 'C:', 'e\u0301'];
  const index = new TarballEntryIndex();
  let compared = 0;
  const visit = (path: string, depth: number): void => {
    let ours: { top: string; path: string } | string;
    try {
      ours = normalizeTarballEntryPath(path);
    } catch (error) {
      assert.ok(error instanceof TarballEntryError);
      ours = error.problem;
    }
    assert.deepEqual(ours, generalNormalize(path), JSON.stringify(path));
    if (typeof ours !== 'string') assert.equal(index.keyOf(ours.path), generalKey(ours.path), JSON.stringify(path));
    assert.equal(index.keyOf(path), generalKey(path), JSON.stringify(path));
    compared++;
    if (depth < 5) for (const p of pieces) visit(path + p, depth + 1);
  };
  for (const p of pieces) visit(p, 1);
  assert.ok(compared > 100_000);
});
