// tufpm-lock.json in the Merkle snapshot profile (ADR 0022): the tree root and size are pinned beside the
// snapshot epoch, parsed strictly, and a later install refuses a smaller tree or another tree for the epoch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateEd25519KeyPair } from '@tufpm/models';
import { parseAuditorPolicy } from '@tufpm/client';
import { auditorsRecord, checkAuditorsAgainstPins } from '../src/auditors-pin.js';
import { checkProvenRolesAgainstPins, checkStateAgainstPins } from '../src/pin-checks.js';
import { parseLockfile, serializeLockfile, type SideLockfile } from '../src/lockfile.js';
import type { TufState } from '../src/tuf-session.js';
import { testPins } from './pins-fixture.js';

const ROOT_A = 'a'.repeat(64);
const ROOT_B = 'b'.repeat(64);

function pins(): SideLockfile {
  // root v1 with the digest `state` and `chain` below trust
  return testPins({ root: { version: 1, sha256: 'c'.repeat(64), keyids: ['0'.repeat(64)], threshold: 1 }, merkle: { root: ROOT_A, size: 1000 } });
}

function state(epoch: number, root: string, size: number): TufState {
  const d = new Date(Date.now() + 86_400_000);
  return {
    root: { version: 1, sha256: 'c'.repeat(64), expires: d, keyids: ['0'.repeat(64)], threshold: 1 },
    timestamp: { version: 8, expires: d, keyids: ['1'.repeat(64)], threshold: 1 },
    snapshot: { version: epoch, expires: d, keyids: ['2'.repeat(64)], threshold: 1 },
    targets: { version: 3, expires: d, keyids: ['3'.repeat(64)], threshold: 1 },
    merkle: { root, size },
    overlay: false,
  };
}
const chain = [{ version: 1, sha256: 'c'.repeat(64), signedSha256: 'd'.repeat(64) }];

function refuses(f: () => void, code: string): void {
  assert.throws(f, (e: unknown) => (e as { code?: string }).code === code);
}

test('the Merkle pin round-trips and is parsed strictly', () => {
  const text = serializeLockfile(pins());
  assert.deepEqual(parseLockfile(text, 'x').merkle, { root: ROOT_A, size: 1000 });
  const raw = JSON.parse(text) as { merkle: Record<string, unknown> };
  for (const bad of [{ root: 'A'.repeat(64), size: 1 }, { root: ROOT_A, size: -1 }, { root: ROOT_A, size: 1, extra: 1 }, { root: ROOT_A }]) {
    refuses(() => parseLockfile(JSON.stringify({ ...raw, merkle: bad }), 'x'), 'TUF_LOCKFILE');
  }
  const { merkle: _drop, ...classic } = pins();
  assert.equal(parseLockfile(serializeLockfile(classic), 'x').merkle, undefined);
});

test('rejects a Merkle tree with fewer leaves than pinned (rollback of the tree)', () => {
  refuses(() => checkStateAgainstPins(pins(), state(6, ROOT_B, 999), chain, 'tufpm-lock.json'), 'TUF_PIN_ROLLBACK');
});

test('rejects another tree for the pinned snapshot epoch (split view against the pins)', () => {
  refuses(() => checkStateAgainstPins(pins(), state(5, ROOT_B, 1000), chain, 'tufpm-lock.json'), 'TUF_PIN_MISMATCH');
});

test('rejects an older snapshot epoch than pinned in the Merkle profile', () => {
  refuses(() => checkStateAgainstPins(pins(), state(4, ROOT_A, 1000), chain, 'tufpm-lock.json'), 'TUF_PIN_ROLLBACK');
});

test('accepts the pinned tree and any larger tree of a later epoch', () => {
  checkStateAgainstPins(pins(), state(5, ROOT_A, 1000), chain, 'tufpm-lock.json');
  checkStateAgainstPins(pins(), state(6, ROOT_B, 1200), chain, 'tufpm-lock.json');
});

test('rejects a pinned package\'s role proven at a lower version in a new tree (role rollback, before any download)', () => {
  const lock = pins();
  lock.packages.set('left@1.0.0', { targetPath: 'left/-/left-1.0.0.tgz', role: 'unclaimed-1', roleVersion: 4, length: 1, sha512: 'e'.repeat(128), maintainerSigned: false });
  refuses(() => checkProvenRolesAgainstPins(lock, new Map([['unclaimed-1', 3]]), 'tufpm-lock.json'), 'TUF_PIN_ROLLBACK');
  checkProvenRolesAgainstPins(lock, new Map([['unclaimed-1', 4]]), 'tufpm-lock.json');
  checkProvenRolesAgainstPins(lock, new Map([['unclaimed-1', undefined]]), 'tufpm-lock.json');
});

test('the recorded auditor requirement (merkle.auditors) round-trips and is parsed strictly', () => {
  const lock = pins();
  lock.merkle!.auditors = { keyids: ['5'.repeat(64), '4'.repeat(64)], threshold: 2 };
  const text = serializeLockfile(lock);
  assert.deepEqual(parseLockfile(text, 'x').merkle?.auditors, { keyids: ['4'.repeat(64), '5'.repeat(64)], threshold: 2 });
  const raw = JSON.parse(text) as { merkle: Record<string, unknown> };
  for (const bad of [{ keyids: ['4'.repeat(64)], threshold: 2 }, { keyids: ['4'.repeat(64), '4'.repeat(64)], threshold: 1 }, { keyids: [], threshold: 1 }, { keyids: ['4'.repeat(64)], threshold: 1, extra: true }, 'yes']) {
    refuses(() => parseLockfile(JSON.stringify({ ...raw, merkle: { ...raw.merkle, auditors: bad } }), 'x'), 'TUF_LOCKFILE');
  }
});

test('rejects a project whose auditors file was deleted, or weakened, while the pins record auditors as required', () => {
  const [a, b, c] = [generateEd25519KeyPair(), generateEd25519KeyPair(), generateEd25519KeyPair()];
  const policy = (threshold: number, ...pairs: Array<typeof a>) =>
    parseAuditorPolicy({ threshold, keys: Object.fromEntries(pairs.map((p) => [p.key.keyid, p.key.toJSON()])) }, 'test');
  const lock = pins();
  lock.merkle!.auditors = auditorsRecord(policy(2, a, b));
  refuses(() => checkAuditorsAgainstPins(lock, undefined, 'tufpm-lock.json'), 'TUF_AUDITORS_REMOVED');
  refuses(() => checkAuditorsAgainstPins(lock, policy(1, a, b), 'tufpm-lock.json'), 'TUF_AUDITORS_REMOVED');
  // c added at the same threshold: a and c, or b and c, would do without two of the recorded auditors
  refuses(() => checkAuditorsAgainstPins(lock, policy(2, a, b, c), 'tufpm-lock.json'), 'TUF_AUDITORS_REMOVED');
  // as strong or stronger: the same file, c added with the threshold raised to match, more required
  checkAuditorsAgainstPins(lock, policy(2, a, b), 'tufpm-lock.json');
  checkAuditorsAgainstPins(lock, policy(3, a, b, c), 'tufpm-lock.json');
  // nothing recorded: no requirement (the file alone decides, as before)
  checkAuditorsAgainstPins(pins(), undefined, 'tufpm-lock.json');
});
