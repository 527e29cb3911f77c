import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DelegatedRole, Key, Metadata, RepositoryError, Role, Root, Signature, SuccinctRoles, Delegations, Targets,
  UnsignedMetadataError, generateEcdsaP256KeyPair, generateEd25519KeyPair,
} from '../src/index.js';
import { FUTURE } from './helpers.js';

function rootWith(keys: Key[], threshold: number): Root {
  const root = new Root({ expires: FUTURE });
  for (const k of keys) root.addKey(k, 'targets');
  root.getRole('targets').threshold = threshold;
  return root;
}

test('threshold 2 of 3 is met by two distinct keys', () => {
  const pairs = [generateEd25519KeyPair(), generateEd25519KeyPair(), generateEcdsaP256KeyPair()];
  const root = rootWith(pairs.map((p) => p.key), 2);
  const md = new Metadata(new Targets({ expires: FUTURE }));
  md.sign(pairs[0]!.signer);
  assert.throws(() => root.verifyDelegate('targets', md), UnsignedMetadataError);
  md.sign(pairs[2]!.signer, true);
  const res = root.verifyDelegate('targets', md);
  assert.deepEqual(res, { verified: true, threshold: 2, signedBy: [pairs[0]!.key.keyid, pairs[2]!.key.keyid], distinctKeys: 2 });
});

test('rejects a threshold "met" by one key listed under two keyids', () => {
  const a = generateEd25519KeyPair();
  const alias = new Key('alias-of-a', a.key.keytype, a.key.scheme, { ...a.key.keyval });
  const root = rootWith([a.key, alias], 2);
  const md = new Metadata(new Targets({ expires: FUTURE }));
  const sig = md.sign(a.signer);
  md.signatures.set('alias-of-a', new Signature('alias-of-a', sig.sig));
  const res = root.getVerificationResult('targets', md);
  assert.deepEqual(res.signedBy, [a.key.keyid, 'alias-of-a']);
  assert.equal(res.distinctKeys, 1);
  assert.equal(res.verified, false);
  assert.throws(() => root.verifyDelegate('targets', md), UnsignedMetadataError);
});

test('ignores signatures by keys the role does not list (extraneous signers)', () => {
  const a = generateEd25519KeyPair();
  const outsider = generateEd25519KeyPair();
  const root = rootWith([a.key], 1);
  root.addKey(outsider.key, 'snapshot'); // known to root, but not a targets key
  const md = new Metadata(new Targets({ expires: FUTURE }));
  md.sign(outsider.signer);
  assert.throws(() => root.verifyDelegate('targets', md), UnsignedMetadataError);
  md.sign(a.signer, true);
  assert.deepEqual(root.verifyDelegate('targets', md).signedBy, [a.key.keyid]);
});

test('a key of unknown type in the role does not stop the other keys from verifying', () => {
  const a = generateEd25519KeyPair();
  const weird = new Key('weird', 'sphincs', 'sphincs-shake', { public: 'x' });
  const broken = new Key('broken', 'ed25519', 'ed25519', { public: 'not-hex' });
  const root = rootWith([weird, broken, a.key], 1);
  const md = new Metadata(new Targets({ expires: FUTURE }));
  md.sign(a.signer);
  md.signatures.set('weird', new Signature('weird', 'abcd'));
  md.signatures.set('broken', new Signature('broken', 'abcd'));
  assert.deepEqual(root.verifyDelegate('targets', md).signedBy, [a.key.keyid]);
});

test('a keyid in the role without a key, or a key without a signature, simply does not count', () => {
  const a = generateEd25519KeyPair();
  const root = rootWith([a.key], 1);
  root.getRole('targets').keyids.unshift('no-such-key');
  const md = new Metadata(new Targets({ expires: FUTURE }));
  assert.equal(root.getVerificationResult('targets', md).verified, false);
  md.sign(a.signer);
  assert.equal(root.verifyDelegate('targets', md).verified, true);
});

test('rejects metadata of another role type presented as this role', () => {
  const a = generateEd25519KeyPair();
  const root = new Root({ expires: FUTURE });
  root.addKey(a.key, 'timestamp');
  root.addKey(a.key, 'snapshot');
  const snap = new Metadata(new Targets({ expires: FUTURE }));
  snap.sign(a.signer);
  assert.throws(() => root.verifyDelegate('timestamp', snap), RepositoryError);
});

test('root key rotation: revokeKey removes the key from the role and, when unused, from keys', () => {
  const a = generateEd25519KeyPair();
  const root = new Root({ expires: FUTURE });
  root.addKey(a.key, 'targets');
  root.addKey(a.key, 'snapshot');
  root.revokeKey(a.key.keyid, 'targets');
  assert.equal(root.keys.has(a.key.keyid), true);
  root.revokeKey(a.key.keyid, 'snapshot');
  assert.equal(root.keys.has(a.key.keyid), false);
  assert.throws(() => root.revokeKey(a.key.keyid, 'snapshot'), RepositoryError);
});

test('delegated role: threshold checked with the delegator keys; unknown role is a RepositoryError', () => {
  const m1 = generateEd25519KeyPair();
  const m2 = generateEd25519KeyPair();
  const top = new Targets({ expires: FUTURE });
  top.addDelegatedRole(new DelegatedRole({ name: 'lodash', terminating: true, threshold: 2, paths: ['lodash/-/*'] }), [m1.key, m2.key]);
  const role = new Metadata(new Targets({ expires: FUTURE }));
  role.sign(m1.signer);
  assert.throws(() => top.verifyDelegate('lodash', role), UnsignedMetadataError);
  role.sign(m2.signer, true);
  assert.equal(top.verifyDelegate('lodash', role).distinctKeys, 2);
  assert.throws(() => top.verifyDelegate('left-pad', role), RepositoryError);
  assert.throws(() => new Targets().verifyDelegate('lodash', role), RepositoryError);
});

test('succinct hash bins verify with the shared bin keys', () => {
  const online = generateEd25519KeyPair();
  const d = new Delegations({ succinctRoles: new SuccinctRoles({ keyids: [online.key.keyid], threshold: 1, bitLength: 4, namePrefix: 'unclaimed' }) });
  d.keys.set(online.key.keyid, online.key);
  const unclaimed = new Targets({ expires: FUTURE, delegations: d });
  const bin = new Metadata(new Targets({ expires: FUTURE }));
  bin.sign(online.signer);
  assert.equal(unclaimed.verifyDelegate('unclaimed-a', bin).verified, true);
  assert.throws(() => unclaimed.verifyDelegate('unclaimed-10', bin), RepositoryError);
  assert.throws(() => unclaimed.addDelegatedRole(new DelegatedRole({ name: 'x', terminating: true, paths: ['x'] }), []), RepositoryError);
});

test('Role validates keyids and threshold on construction', () => {
  assert.throws(() => new Role(['a', 'a'], 1));
  assert.throws(() => new Role(['a'], 0));
});

test('a role keyid with a signature but no key in the delegator counts nothing, without throwing (mutation testing, issue 19)', () => {
  const a = generateEd25519KeyPair();
  const b = generateEd25519KeyPair();
  const root = rootWith([a.key], 1);
  root.getRole('targets').keyids.push(b.key.keyid); // listed in the role, absent from root.keys
  const md = new Metadata(new Targets({ expires: FUTURE }));
  md.sign(b.signer);
  assert.deepEqual(root.getVerificationResult('targets', md), { verified: false, threshold: 1, signedBy: [], distinctKeys: 0 });
  assert.throws(() => root.verifyDelegate('targets', md), (e: unknown) => e instanceof UnsignedMetadataError && e.message === 'targets was signed by 0/1 required distinct keys');
});
