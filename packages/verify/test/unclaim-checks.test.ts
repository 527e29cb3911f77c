// ADR 0026: installers accept a registry-signed release of a package they knew as maintainer-signed (pinned or
// recorded as claimed at init) only while the trusted top-level targets carries an unclaim record for it; the
// team's requireMaintainerSigned policy still refuses it; the pins note the unclaim for review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRecordedClaim, checkSignerPolicy } from '../src/pin-checks.js';
import { VerifyError } from '../src/errors.js';
import { parseLockfile, serializeLockfile, type PinnedPackage } from '../src/lockfile.js';
import type { SignedTarget } from '../src/types.js';
import { testPins } from './pins-fixture.js';

const LOCK = 'tufpm-lock.json';
const registrySigned = (over: Partial<SignedTarget> = {}): SignedTarget => ({
  name: 'left-pad', version: '1.4.0', targetPath: 'left-pad/-/left-pad-1.4.0.tgz', role: 'unclaimed-0a', roleVersion: 9, length: 100, sha512: 'ab'.repeat(64), integrity: 'sha512-x', maintainerSigned: false, threshold: 1, ...over,
});
const maintainerPin: PinnedPackage = { targetPath: 'left-pad/-/left-pad-1.3.0.tgz', role: 'left-pad', roleVersion: 4, length: 100, sha512: 'ab'.repeat(64), maintainerSigned: true };
const claims = new Map([['left-pad', { keyids: ['k'], threshold: 1 }]]);

function refusedWith(fn: () => void, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof VerifyError && e.code === code);
}

test('a registry-signed release of a name pinned as maintainer-signed is accepted only with the unclaim record of the trusted targets', () => {
  refusedWith(() => checkSignerPolicy(registrySigned(), maintainerPin, new Set(), {}), 'TUF_SIGNER_DOWNGRADE');
  refusedWith(() => checkSignerPolicy(registrySigned(), undefined, new Set(['left-pad']), {}), 'TUF_SIGNER_DOWNGRADE');
  // a record for another name is no record for this one
  refusedWith(() => checkSignerPolicy(registrySigned(), maintainerPin, new Set(), {}, new Set(['left-pad2', 'other'])), 'TUF_SIGNER_DOWNGRADE');
  checkSignerPolicy(registrySigned(), maintainerPin, new Set(), {}, new Set(['left-pad']));
  checkSignerPolicy(registrySigned(), undefined, new Set(['left-pad']), {}, new Set(['left-pad']));
});

test('a claim recorded at init is dropped for an install only with the unclaim record of the trusted targets', () => {
  refusedWith(() => checkRecordedClaim(registrySigned(), claims, LOCK), 'TUF_CLAIM_DROPPED');
  refusedWith(() => checkRecordedClaim(registrySigned(), claims, LOCK, new Set(['other'])), 'TUF_CLAIM_DROPPED');
  checkRecordedClaim(registrySigned(), claims, LOCK, new Set(['left-pad']));
});

test('requireMaintainerSigned still refuses a package unclaimed on purpose (TUF_NOT_MAINTAINER_SIGNED)', () => {
  const unclaimed = new Set(['left-pad']);
  refusedWith(() => checkSignerPolicy(registrySigned(), maintainerPin, new Set(), { requireMaintainerSigned: true }, unclaimed), 'TUF_NOT_MAINTAINER_SIGNED');
  refusedWith(() => checkSignerPolicy(registrySigned(), maintainerPin, new Set(), { requireMaintainerSigned: ['left-pad'] }, unclaimed), 'TUF_NOT_MAINTAINER_SIGNED');
});

test('the unclaims noted in tufpm-lock.json round-trip, sorted, and are parsed strictly', () => {
  const lock = testPins({
    packages: new Map([['zed@1.0.0', { targetPath: 'zed/-/zed-1.0.0.tgz', role: 'unclaimed-0a', roleVersion: 3, length: 10, sha512: 'b'.repeat(128), maintainerSigned: false }]]),
    roles: new Map([['unclaimed-*', { keyids: ['7'.repeat(64)], threshold: 1 }]]),
    unclaims: new Map([['zed', { targetsVersion: 3 }], ['@s/alpha', { targetsVersion: 2 }]]),
  });
  const text = serializeLockfile(lock);
  assert.ok(text.indexOf('"@s/alpha": {') < text.indexOf('"zed": {'));
  const back = parseLockfile(text, LOCK);
  assert.deepEqual([...back.unclaims!], [['@s/alpha', { targetsVersion: 2 }], ['zed', { targetsVersion: 3 }]]);
  const edit = (f: (raw: { unclaims: Record<string, Record<string, unknown>> }) => void): string => {
    const raw = JSON.parse(text) as { unclaims: Record<string, Record<string, unknown>> };
    f(raw);
    return JSON.stringify(raw);
  };
  for (const [why, bad] of [
    ['a version that is not an integer >= 1', edit((r) => { r.unclaims['zed']!.targetsVersion = 0; })],
    ['an unknown field', edit((r) => { r.unclaims['zed']!.keyids = ['x']; })],
    ['a name that is not a package name', edit((r) => { r.unclaims['../x'] = { targetsVersion: 1 }; })],
  ] as const) {
    assert.throws(() => parseLockfile(bad, LOCK), (e: unknown) => (e as { code?: string }).code === 'TUF_LOCKFILE', why);
  }
  assert.equal(parseLockfile(serializeLockfile({ ...lock, unclaims: new Map() }), LOCK).unclaims, undefined, 'no unclaims, no field');
});
