import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Metadata, Root, UnsignedMetadataError, canonicalize, generateEcdsaP256KeyPair, generateEd25519KeyPair } from '../src/index.js';
import { FUTURE, dec, enc } from './helpers.js';

// Real metadata written by another implementation (python-tuf via tuf-on-ci): sigstore's root v14,
// see test/vectors/README.md for provenance.
const SIGSTORE_ROOT = readFileSync(new URL('../../test/vectors/sigstore-root-v14.json', import.meta.url));

test('sigstore root v14: parses, re-serialises the signed part byte-identically, verifies 3-of-5 ECDSA', () => {
  const md = Metadata.root(SIGSTORE_ROOT);
  const original = JSON.parse(SIGSTORE_ROOT.toString('utf8')) as { signed: unknown };
  assert.deepEqual(Buffer.from(md.signedBytes()), Buffer.from(canonicalize(original.signed)));
  assert.equal(md.signed.version, 14);
  assert.equal(md.signed.specVersion, '1.0');
  assert.equal(md.signed.consistentSnapshot, true);
  assert.equal(md.signed.expires.toISOString(), '2026-06-22T13:27:01.000Z');
  const res = md.signed.verifyDelegate('root', md);
  assert.equal(res.threshold, 3);
  assert.equal(res.distinctKeys, 4, 'four real signatures, one empty');
  assert.equal(res.verified, true);
});

test('sigstore root v14: keyids equal our computeKeyid (same canonical JSON as securesystemslib, unknown fields included)', () => {
  const md = Metadata.root(SIGSTORE_ROOT);
  assert.equal(md.signed.keys.size, 6);
  for (const [keyid, key] of md.signed.keys) assert.equal(key.computeKeyid(), keyid);
});

test('sigstore root v14: one tampered byte in signed breaks the threshold', () => {
  const text = SIGSTORE_ROOT.toString('utf8');
  const i = text.indexOf('"version": 14');
  assert.ok(i > 0);
  const tampered = Metadata.root(enc(text.slice(0, i) + '"version": 15' + text.slice(i + 13)));
  const original = Metadata.root(SIGSTORE_ROOT);
  assert.throws(() => original.signed.verifyDelegate('root', tampered), UnsignedMetadataError);
});

test('sigstore root v14: only 2 of its signatures is below threshold', () => {
  const md = Metadata.root(SIGSTORE_ROOT);
  const keep = [...md.signatures.keys()].filter((k) => md.signatures.get(k)!.sig !== '').slice(0, 2);
  for (const k of [...md.signatures.keys()]) if (!keep.includes(k)) md.signatures.delete(k);
  assert.throws(() => md.signed.verifyDelegate('root', md), UnsignedMetadataError);
});

test('generate, serialise, parse and verify with mixed ed25519 + ECDSA keys (round trip)', () => {
  const a = generateEd25519KeyPair();
  const b = generateEcdsaP256KeyPair();
  const root = new Metadata(new Root({ expires: FUTURE, version: 3 }));
  for (const role of ['root', 'timestamp', 'snapshot', 'targets'] as const) {
    root.signed.addKey(a.key, role);
    root.signed.addKey(b.key, role);
    root.signed.getRole(role).threshold = 2;
  }
  root.sign(a.signer);
  root.sign(b.signer, true);
  const bytes = root.toBytes();
  const parsed = Metadata.root(bytes);
  assert.equal(dec(parsed.toBytes()), dec(bytes));
  assert.equal(parsed.signed.verifyDelegate('root', parsed).distinctKeys, 2);
  // The original object verifies the parsed copy and vice versa.
  assert.equal(root.signed.verifyDelegate('root', parsed).verified, true);
  assert.equal(parsed.signed.verifyDelegate('root', root).verified, true);
});
