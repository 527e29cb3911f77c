// The checks tufpm-lock.json adds to the TUF client, one at a time (the integration suites show them through
// real installs; these pin each comparison, boundary and code, so that mutation testing sees every one of them
// killed: issue 19).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { checkPackageAgainstPin, checkRecordedClaim, checkSignerPolicy, checkStateAgainstPins, equalHex } from '../src/pin-checks.js';
import { VerifyError } from '../src/errors.js';
import type { PinnedPackage, SideLockfile } from '../src/lockfile.js';
import type { TufState } from '../src/tuf-session.js';
import type { SignedTarget } from '../src/types.js';

const LOCK = 'tufpm-lock.json';
const ROOT_SHA = createHash('sha256').update('root v2').digest('hex');
const SIGNED_SHA = createHash('sha256').update('root v2 signed part').digest('hex');
const FUTURE = new Date('2100-01-01T00:00:00Z');
const role = (version: number, keyids: string[]) => ({ version, expires: FUTURE, keyids, threshold: 1 });

function pins(over: Partial<SideLockfile> = {}): SideLockfile {
  return {
    lockfileVersion: 2,
    registry: 'http://127.0.0.1/',
    root: { version: 2, sha256: ROOT_SHA, keyids: ['r'], threshold: 1 },
    timestamp: { version: 7, keyids: ['t1'] },
    snapshot: { version: 5, keyids: ['s1'] },
    targets: { version: 3, keyids: ['g1'] },
    packages: new Map(),
    ...over,
  };
}

function state(over: Partial<TufState> = {}): TufState {
  return {
    root: { version: 2, sha256: ROOT_SHA, expires: FUTURE, keyids: ['r'], threshold: 1 },
    timestamp: role(7, ['t1']),
    snapshot: role(5, ['s1']),
    targets: role(3, ['g1']),
    overlay: false,
    ...over,
  };
}

const chain = [
  { version: 1, sha256: 'aa'.repeat(32), signedSha256: 'bb'.repeat(32) },
  { version: 2, sha256: ROOT_SHA, signedSha256: SIGNED_SHA },
  { version: 3, sha256: 'cc'.repeat(32), signedSha256: 'dd'.repeat(32) },
];

function refused(fn: () => void, code: string, role: string | undefined, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof VerifyError, `a VerifyError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.role, role);
    if (message) assert.match(e.message, message);
    // The report says what was attacked and how to recover (docs/errors.md): never empty.
    assert.match(e.attack, /\w{4}/, 'the attack is named');
    assert.match(e.recovery, /\w{4}/, 'the recovery is said');
    return true;
  });
}

test('equalHex: equal digests only, any case, never a prefix', () => {
  assert.equal(equalHex('ab'.repeat(32), 'AB'.repeat(32)), true);
  assert.equal(equalHex('ab'.repeat(32), 'ab'.repeat(31)), false);
  assert.equal(equalHex('ab'.repeat(32), 'ab'.repeat(31) + 'ac'), false);
});

test('the pinned state itself, and any newer one, passes the pins', () => {
  checkStateAgainstPins(pins(), state(), chain, LOCK);
  checkStateAgainstPins(pins(), state({ root: { ...state().root, version: 3, sha256: 'cc'.repeat(32) }, timestamp: role(8, ['t1']), snapshot: role(6, ['s1']), targets: role(4, ['g1']) }), chain, LOCK);
});

test('rejects each top-level role one version below its pin with TUF_PIN_ROLLBACK naming that role', () => {
  refused(() => checkStateAgainstPins(pins(), state({ root: { ...state().root, version: 1 } }), chain, LOCK), 'TUF_PIN_ROLLBACK', 'root', /root version 1, older than version 2 pinned in tufpm-lock\.json/);
  refused(() => checkStateAgainstPins(pins(), state({ timestamp: role(6, ['t1']) }), chain, LOCK), 'TUF_PIN_ROLLBACK', 'timestamp', /timestamp version 6, older than version 7/);
  refused(() => checkStateAgainstPins(pins(), state({ snapshot: role(4, ['s1']) }), chain, LOCK), 'TUF_PIN_ROLLBACK', 'snapshot', /snapshot version 4, older than version 5/);
  refused(() => checkStateAgainstPins(pins(), state({ targets: role(2, ['g1']) }), chain, LOCK), 'TUF_PIN_ROLLBACK', 'targets', /targets version 2, older than version 3/);
});

test('rejects a chain whose root at the pinned version differs from the pin, or that never passes it (TUF_PIN_MISMATCH, root)', () => {
  const forked = chain.map((r) => (r.version === 2 ? { ...r, sha256: 'ee'.repeat(32) } : r));
  refused(() => checkStateAgainstPins(pins(), state(), forked, LOCK), 'TUF_PIN_MISMATCH', 'root', /root version 2 on the chain/);
  refused(() => checkStateAgainstPins(pins(), state(), chain.slice(2), LOCK), 'TUF_PIN_MISMATCH', 'root');
});

test('format 1 pins compare the signed-part digest, format 2 pins the file digest', () => {
  const legacy = pins({ lockfileVersion: 1, root: { version: 2, sha256: SIGNED_SHA } });
  checkStateAgainstPins(legacy, state(), chain, LOCK);
  refused(() => checkStateAgainstPins(pins({ root: { version: 2, sha256: SIGNED_SHA } }), state(), chain, LOCK), 'TUF_PIN_MISMATCH', 'root');
  refused(() => checkStateAgainstPins(pins({ lockfileVersion: 1, root: { version: 2, sha256: ROOT_SHA } }), state(), chain, LOCK), 'TUF_PIN_MISMATCH', 'root');
});

test('a rotation of the timestamp or snapshot keys drops both floors (TUF 5.3.11); a targets rotation drops the targets floor only', () => {
  const old = { timestamp: role(1, ['t2']), snapshot: role(1, ['s1']) };
  checkStateAgainstPins(pins(), state(old), chain, LOCK);
  checkStateAgainstPins(pins(), state({ timestamp: role(1, ['t1']), snapshot: role(1, ['s2']) }), chain, LOCK);
  checkStateAgainstPins(pins(), state({ targets: role(1, ['g2']) }), chain, LOCK);
  // one of two pinned keys rotated away is a rotation (TUF 5.3.11), though the other key is still there
  const twoKeys = pins({ timestamp: { version: 7, keyids: ['t1', 't2'] }, targets: { version: 3, keyids: ['g1', 'g2'] } });
  checkStateAgainstPins(twoKeys, state({ timestamp: role(1, ['t1']) }), chain, LOCK);
  checkStateAgainstPins(twoKeys, state({ targets: role(1, ['g2', 'g3']) }), chain, LOCK);
  // a key added next to the pinned one is no rotation away from it: the floors stay
  refused(() => checkStateAgainstPins(pins(), state({ timestamp: role(6, ['t1', 't9']) }), chain, LOCK), 'TUF_PIN_ROLLBACK', 'timestamp');
  refused(() => checkStateAgainstPins(pins(), state({ snapshot: role(4, ['s9', 's1']) }), chain, LOCK), 'TUF_PIN_ROLLBACK', 'snapshot');
  refused(() => checkStateAgainstPins(pins(), state({ targets: role(2, ['g1', 'g9']), timestamp: role(1, ['t2']) }), chain, LOCK), 'TUF_PIN_ROLLBACK', 'targets');
});

const target = (over: Partial<SignedTarget> = {}): SignedTarget => ({
  name: 'left-pad', version: '1.3.0', targetPath: 'left-pad/-/left-pad-1.3.0.tgz', role: 'left-pad', roleVersion: 4, length: 100, sha512: 'ab'.repeat(64), integrity: 'sha512-x', maintainerSigned: true, threshold: 2, ...over,
});
const pin = (over: Partial<PinnedPackage> = {}): PinnedPackage => ({ targetPath: 'left-pad/-/left-pad-1.3.0.tgz', role: 'left-pad', roleVersion: 4, length: 100, sha512: 'ab'.repeat(64), maintainerSigned: true, ...over });

test('a package matching its pin passes; an unpinned one is not checked against pins', () => {
  checkPackageAgainstPin(target(), pin(), LOCK);
  checkPackageAgainstPin(target({ roleVersion: 5 }), pin(), LOCK);
  checkPackageAgainstPin(target({ sha512: 'cd'.repeat(64) }), undefined, LOCK);
});

test('rejects a package signed with another hash or length than pinned (TUF_PIN_MISMATCH with its role)', () => {
  refused(() => checkPackageAgainstPin(target({ sha512: 'cd'.repeat(64) }), pin(), LOCK), 'TUF_PIN_MISMATCH', 'left-pad', /left-pad@1\.3\.0 is signed with a different tarball hash/);
  refused(() => checkPackageAgainstPin(target({ length: 101 }), pin(), LOCK), 'TUF_PIN_MISMATCH', 'left-pad');
});

test('rejects a delegated role below the version pinned for the package (TUF_PIN_ROLLBACK), unless the package moved to another role', () => {
  refused(() => checkPackageAgainstPin(target({ roleVersion: 3 }), pin(), LOCK), 'TUF_PIN_ROLLBACK', 'left-pad', /role left-pad is at version 3, older than version 4/);
  checkPackageAgainstPin(target({ role: 'unclaimed-0a', roleVersion: 1 }), pin(), LOCK);
});

test('rejects a package claimed at init that is now served from an unclaimed bin (TUF_CLAIM_DROPPED)', () => {
  const claims = new Map([['left-pad', { keyids: ['k'], threshold: 1 }]]);
  refused(() => checkRecordedClaim(target({ maintainerSigned: false, role: 'unclaimed-0a' }), claims, LOCK), 'TUF_CLAIM_DROPPED', 'unclaimed-0a', /left-pad@1\.3\.0 had its own maintainer role/);
  checkRecordedClaim(target(), claims, LOCK);
  checkRecordedClaim(target({ maintainerSigned: false }), undefined, LOCK);
  checkRecordedClaim(target({ maintainerSigned: false }), new Map([['other', { keyids: ['k'], threshold: 1 }]]), LOCK);
});

test('rejects a registry-signed version of a package pinned or known as maintainer-signed (TUF_SIGNER_DOWNGRADE)', () => {
  refused(() => checkSignerPolicy(target({ maintainerSigned: false, role: 'unclaimed-0a' }), pin(), new Set(), {}), 'TUF_SIGNER_DOWNGRADE', 'unclaimed-0a', /left-pad@1\.3\.0 was signed by its maintainers when pinned, but is now signed only by the registry \(role unclaimed-0a\)/);
  refused(() => checkSignerPolicy(target({ maintainerSigned: false }), undefined, new Set(['left-pad']), {}), 'TUF_SIGNER_DOWNGRADE', 'left-pad');
  checkSignerPolicy(target({ maintainerSigned: false }), pin({ maintainerSigned: false }), new Set(['other']), {});
  checkSignerPolicy(target(), pin(), new Set(['left-pad']), {});
});

test('requireMaintainerSigned: true, a name list and a scope pattern; minimumThreshold', () => {
  const registrySigned = target({ maintainerSigned: false, role: 'unclaimed-0a', name: '@s/x' });
  refused(() => checkSignerPolicy(registrySigned, undefined, new Set(), { requireMaintainerSigned: true }), 'TUF_NOT_MAINTAINER_SIGNED', 'unclaimed-0a', /policy requires its maintainers' signatures/);
  refused(() => checkSignerPolicy(registrySigned, undefined, new Set(), { requireMaintainerSigned: ['@s/*'] }), 'TUF_NOT_MAINTAINER_SIGNED', 'unclaimed-0a');
  refused(() => checkSignerPolicy(registrySigned, undefined, new Set(), { requireMaintainerSigned: ['@s/x'] }), 'TUF_NOT_MAINTAINER_SIGNED', 'unclaimed-0a');
  // any entry of the list that names it requires it, not only a list in which every entry does
  refused(() => checkSignerPolicy(registrySigned, undefined, new Set(), { requireMaintainerSigned: ['@t/*', '@s/x'] }), 'TUF_NOT_MAINTAINER_SIGNED', 'unclaimed-0a');
  checkSignerPolicy(registrySigned, undefined, new Set(), { requireMaintainerSigned: ['@t/*', '@s/y', '@s'] });
  checkSignerPolicy(registrySigned, undefined, new Set(), { requireMaintainerSigned: false });
  checkSignerPolicy(registrySigned, undefined, new Set(), {});
  checkSignerPolicy(target(), undefined, new Set(), { requireMaintainerSigned: true, minimumThreshold: 2 });
  refused(() => checkSignerPolicy(target({ threshold: 1 }), undefined, new Set(), { requireMaintainerSigned: true, minimumThreshold: 2 }), 'TUF_NOT_MAINTAINER_SIGNED', 'left-pad', /needs 1 signature\(s\), policy requires at least 2/);
  checkSignerPolicy(target({ threshold: 1 }), undefined, new Set(), { requireMaintainerSigned: true });
  // the threshold minimum applies only where maintainers are required
  checkSignerPolicy(target({ threshold: 1 }), undefined, new Set(), { minimumThreshold: 2 });
});
