import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DelegatedRole, Metadata, MetadataParseError, Targets, TargetFile, UnsignedMetadataError, canonicalize,
  encodeRoleName, generateEd25519KeyPair,
} from '../src/index.js';
import { FUTURE, dec, enc, makeRepo } from './helpers.js';

test('round trip: generated metadata parses back and verifies with the root keys', () => {
  const repo = makeRepo();
  for (const role of ['root', 'timestamp', 'snapshot', 'targets'] as const) {
    const bytes = repo[role].toBytes();
    const parsed = Metadata.fromBytes(bytes, role);
    assert.deepEqual(parsed.signedBytes(), repo[role].signedBytes());
    assert.equal(dec(parsed.toBytes()), dec(bytes));
    const res = repo.root.signed.verifyDelegate(role, parsed);
    assert.equal(res.verified, true);
    assert.deepEqual(res.signedBy, [repo.signers[role].key.keyid]);
  }
});

test('rejects metadata signed by the wrong key', () => {
  const repo = makeRepo();
  const md = Metadata.timestamp(repo.timestamp.toBytes());
  md.sign(repo.signers.snapshot);
  assert.throws(() => repo.root.signed.verifyDelegate('timestamp', md), UnsignedMetadataError);
});

test('rejects metadata whose signed part was tampered with', () => {
  const repo = makeRepo();
  const obj = JSON.parse(dec(repo.snapshot.toBytes()));
  obj.signed.version = 2;
  const md = Metadata.fromBytes(enc(JSON.stringify(obj)), 'snapshot');
  assert.throws(() => repo.root.signed.verifyDelegate('snapshot', md), UnsignedMetadataError);
});

test('rejects metadata of the wrong _type', () => {
  const repo = makeRepo();
  assert.throws(() => Metadata.fromBytes(repo.snapshot.toBytes(), 'timestamp'), MetadataParseError);
});

test('delegated role: verify, and find the role for a tarball path', () => {
  const pkg = generateEd25519KeyPair();
  const top = new Targets({ expires: FUTURE });
  top.addDelegatedRole(new DelegatedRole({ name: '@babel/core', terminating: true, paths: ['@babel/core/-/*'] }), [pkg.key]);
  const role = new Metadata(new Targets({ expires: FUTURE }));
  const tgz = enc('tarball bytes');
  role.signed.targets.set('@babel/core/-/core-7.24.0.tgz', TargetFile.fromData('@babel/core/-/core-7.24.0.tgz', tgz));
  role.sign(pkg.signer);
  const parsed = Metadata.targets(role.toBytes());
  assert.equal(top.verifyDelegate('@babel/core', parsed).verified, true);
  assert.deepEqual(top.delegations!.rolesForTarget('@babel/core/-/core-7.24.0.tgz').map((r) => r.name), ['@babel/core']);
  assert.deepEqual(top.delegations!.rolesForTarget('lodash/-/lodash-4.17.21.tgz'), []);
  parsed.signed.targets.get('@babel/core/-/core-7.24.0.tgz')!.verifyLengthAndHashes(tgz);
  assert.equal(encodeRoleName('@babel/core'), '@babel%2Fcore');
});

test('canonical JSON sorts keys and has no whitespace', () => {
  assert.equal(dec(canonicalize({ b: 1, a: [true, null, 'x"\\'] })), '{"a":[true,null,"x\\"\\\\"],"b":1}');
});
