import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReleaseIndex, releaseIndexPath, releaseIndexTarget, type ReleaseIndex } from '@tufpm/models';
import { checkOfferedReleases, offeredReleases } from '../src/release-list.js';

const signed: ReleaseIndex = { versions: ['1.0.0', '1.0.1', '2.0.0-beta.1'], distTags: { latest: '1.0.1', next: '2.0.0-beta.1' } };
const packument = (versions: string[], tags: Record<string, string>): unknown => ({
  name: 'vuln',
  'dist-tags': tags,
  versions: Object.fromEntries(versions.map((v) => [v, { name: 'vuln', version: v }])),
});
const code = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};
const check = (doc: unknown): string | undefined => code(() => checkOfferedReleases('vuln', 'unclaimed-2', signed, offeredReleases('vuln', doc)));

test('accepts a packument that offers exactly the signed versions and dist-tags (any key order)', () => {
  assert.equal(check(packument(['2.0.0-beta.1', '1.0.1', '1.0.0'], { next: '2.0.0-beta.1', latest: '1.0.1' })), undefined);
});

test('rejects a signed release hidden by the packument (TUF_RELEASE_HIDDEN), also with latest moved back', () => {
  assert.equal(check(packument(['1.0.0', '2.0.0-beta.1'], { latest: '1.0.0', next: '2.0.0-beta.1' })), 'TUF_RELEASE_HIDDEN');
  assert.equal(check(packument(['1.0.0', '2.0.0-beta.1'], { latest: '1.0.1', next: '2.0.0-beta.1' })), 'TUF_RELEASE_HIDDEN');
});

test('rejects an unsigned version added to the packument (TUF_PACKAGE_NOT_SIGNED), naming it', () => {
  const doc = packument(['1.0.0', '1.0.1', '1.0.2', '2.0.0-beta.1'], signed.distTags);
  assert.equal(check(doc), 'TUF_PACKAGE_NOT_SIGNED');
  assert.throws(() => checkOfferedReleases('vuln', 'r', signed, offeredReleases('vuln', doc)), (e: Error & { version?: string }) => e.version === '1.0.2' && /vuln@1\.0\.2/.test(e.message));
});

test('rejects a dist-tag moved, added or removed by the registry (TUF_DIST_TAG_MISMATCH)', () => {
  const all = ['1.0.0', '1.0.1', '2.0.0-beta.1'];
  assert.equal(check(packument(all, { latest: '1.0.0', next: '2.0.0-beta.1' })), 'TUF_DIST_TAG_MISMATCH');
  assert.equal(check(packument(all, { latest: '1.0.1', next: '2.0.0-beta.1', beta: '1.0.0' })), 'TUF_DIST_TAG_MISMATCH');
  assert.equal(check(packument(all, { latest: '1.0.1' })), 'TUF_DIST_TAG_MISMATCH');
  // A tag named like an Object.prototype key is a tag like any other.
  assert.equal(check(packument(all, { latest: '1.0.1', next: '2.0.0-beta.1', constructor: '1.0.0' })), 'TUF_DIST_TAG_MISMATCH');
});

test('refuses a malformed packument: not an object, versions or dist-tags of the wrong type', () => {
  assert.equal(code(() => offeredReleases('vuln', null)), 'TUF_PACKAGE_NOT_SIGNED');
  assert.equal(code(() => offeredReleases('vuln', { versions: [] })), 'TUF_PACKAGE_NOT_SIGNED');
  assert.equal(code(() => offeredReleases('vuln', { versions: {}, 'dist-tags': { latest: 1 } })), 'TUF_PACKAGE_NOT_SIGNED');
});

test('the signed release-list target round-trips and its parser refuses malformed lists', () => {
  const target = releaseIndexTarget('@scope/pkg', { versions: ['1.0.1', '1.0.0', '1.0.0'], distTags: { latest: '1.0.1' } });
  assert.equal(target.path, releaseIndexPath('@scope/pkg'));
  assert.equal(target.path, '@scope/pkg/-/tufpm-releases.json');
  const parsed = parseReleaseIndex(target.custom);
  assert.deepEqual(JSON.parse(JSON.stringify(parsed)), { kind: 'signed', value: { versions: ['1.0.0', '1.0.1'], distTags: { latest: '1.0.1' } } });
  assert.throws(() => releaseIndexTarget('pkg', { versions: ['1.0.0'], distTags: { latest: '9.9.9' } }), RangeError);
  for (const bad of [undefined, {}, { releases: { versions: ['1.0.0', '1.0.0'], 'dist-tags': {} } }, { releases: { versions: ['1.0.0'], 'dist-tags': { latest: '2.0.0' } } }, { releases: { versions: [1], 'dist-tags': {} } }]) {
    assert.equal(parseReleaseIndex(bad).kind, 'malformed', JSON.stringify(bad));
  }
});
