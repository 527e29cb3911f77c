import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ECDH, generateKeyPairSync } from 'node:crypto';
import {
  Key, MetadataParseError, UnsupportedAlgorithmError, ed25519KeyFromPublicHex, generateEcdsaP256KeyPair,
  generateEd25519KeyPair, keyFromPublicPem, signerFromPem,
} from '../src/index.js';
import { enc } from './helpers.js';

// Generated straight to PEM: exporting a KeyObject of a key-generation job can deadlock in Node 20
// (see models signer.ts generatePem).
function pemPair(type: 'rsa' | 'ec', size: number | string): { publicKey: string; privateKey: string } {
  const encodings = { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } } as const;
  return type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: size as number, ...encodings }) as unknown as { publicKey: string; privateKey: string }
    : generateKeyPairSync('ec', { namedCurve: size as string, ...encodings }) as unknown as { publicKey: string; privateKey: string };
}

const msg = enc('{"signed":"bytes"}');

test('ed25519: sign and verify, reject a tampered message', () => {
  const { signer, key, privateKeyPem } = generateEd25519KeyPair();
  const sig = signer.sign(msg);
  assert.equal(key.verify(msg, sig), true);
  assert.equal(key.verify(enc('{"signed":"bytez"}'), sig), false);
  // The PEM round-trips to the same key and keyid.
  const again = signerFromPem(privateKeyPem);
  assert.equal(again.key.keyid, key.keyid);
  assert.equal(key.keyid, key.computeKeyid());
});

test('ecdsa-sha2-nistp256: sign and verify (DER signature, PEM key), reject tampering and garbage DER', () => {
  const { signer, key, privateKeyPem } = generateEcdsaP256KeyPair();
  assert.equal(key.keytype, 'ecdsa');
  assert.equal(key.scheme, 'ecdsa-sha2-nistp256');
  const sig = signer.sign(msg);
  assert.equal(key.verify(msg, sig), true);
  assert.equal(key.verify(enc('other'), sig), false);
  assert.equal(key.verify(msg, '3006020101020101'), false, 'structurally valid DER, wrong values');
  assert.equal(key.verify(msg, 'deadbeef'), false, 'not DER at all');
  assert.equal(signerFromPem(privateKeyPem).key.keyid, key.keyid);
  // keytype spelled "ecdsa-sha2-nistp256" (older securesystemslib) is the same key material.
  const alt = new Key('alt', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256', { ...key.keyval });
  assert.equal(alt.verify(msg, sig), true);
  assert.equal(alt.publicKeyFingerprint, key.publicKeyFingerprint);
});

test('rsassa-pss-sha256: sign and verify a 2048-bit key; refuse keys under 2048 bits', () => {
  const { privateKey } = pemPair('rsa', 2048);
  const signer = signerFromPem(privateKey);
  assert.equal(signer.key.scheme, 'rsassa-pss-sha256');
  const sig = signer.sign(msg);
  assert.equal(signer.key.verify(msg, sig), true);
  assert.equal(signer.key.verify(enc('x'), sig), false);
  const pub = keyFromPublicPem(String(signer.key.keyval.public));
  assert.equal(pub.keyid, signer.key.keyid);

  const small = pemPair('rsa', 1024);
  const weak = keyFromPublicPem(small.publicKey);
  assert.throws(() => weak.verify(msg, sig), MetadataParseError);
});

test('unknown key type or scheme throws UnsupportedAlgorithmError from verify', () => {
  const k = new Key('k', 'dsa', 'dsa-sha1', { public: 'x' });
  assert.throws(() => k.verify(msg, '00'), UnsupportedAlgorithmError);
  const mismatched = new Key('k', 'ed25519', 'ecdsa-sha2-nistp256', { public: 'ab'.repeat(32) });
  assert.throws(() => mismatched.verify(msg, '00'), UnsupportedAlgorithmError);
  assert.equal(k.isSupported(), false);
});

test('malformed key material throws MetadataParseError (ed25519 hex, PEM of the wrong curve)', () => {
  assert.throws(() => new Key('k', 'ed25519', 'ed25519', { public: 'abcd' }).verify(msg, '00'), MetadataParseError);
  const p384 = pemPair('ec', 'secp384r1').publicKey;
  assert.throws(() => new Key('k', 'ecdsa', 'ecdsa-sha2-nistp256', { public: p384 }).verify(msg, '00'), MetadataParseError);
  assert.throws(() => new Key('k', 'ecdsa', 'ecdsa-sha2-nistp256', { public: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }).verify(msg, '00'), MetadataParseError);
});

test('the public key is parsed once and cached across verifications', () => {
  const { signer, key } = generateEd25519KeyPair();
  const sig = signer.sign(msg);
  key.verify(msg, sig);
  const prepared = (key as unknown as { prepared: unknown }).prepared;
  assert.ok(prepared !== undefined);
  key.verify(msg, sig);
  assert.equal((key as unknown as { prepared: unknown }).prepared, prepared);
});

test('one key material under two keyids has one fingerprint; different keys differ', () => {
  const a = generateEd25519KeyPair().key;
  const b = generateEd25519KeyPair().key;
  const alias = new Key('another-id', 'ed25519', 'ed25519', { public: String(a.keyval.public).toUpperCase() });
  assert.equal(alias.publicKeyFingerprint, a.publicKeyFingerprint);
  assert.notEqual(a.publicKeyFingerprint, b.publicKeyFingerprint);
});

test('Key.fromJSON keeps unknown fields and computeKeyid covers them', () => {
  const hexKey = generateEd25519KeyPair().key.keyval.public;
  const k = Key.fromJSON('id', { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: hexKey, extra: 1 }, keyid_hash_algorithms: ['sha256'] });
  assert.deepEqual(k.toJSON(), { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: hexKey, extra: 1 }, keyid_hash_algorithms: ['sha256'] });
  assert.notEqual(k.computeKeyid(), ed25519KeyFromPublicHex(String(hexKey)).keyid);
  assert.throws(() => Key.fromJSON('id', { keytype: 'ed25519', scheme: 'ed25519', keyval: {} }), MetadataParseError);
  assert.throws(() => Key.fromJSON('id', { keytype: 1, scheme: 'ed25519', keyval: { public: hexKey } }), MetadataParseError);
});

test('one ECDSA key in compressed and uncompressed encodings counts once toward a threshold', () => {
  const uncompressedDer = generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } }).publicKey;
  const point = uncompressedDer.subarray(uncompressedDer.length - 65);
  const compressedPoint = ECDH.convertKey(point, 'prime256v1', undefined, undefined, 'compressed') as Buffer;
  // SubjectPublicKeyInfo { ecPublicKey, prime256v1 } with a 33-byte compressed point
  const compressedDer = Buffer.concat([Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'), compressedPoint]);
  const pem = (der: Buffer): string => `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`;
  const a = new Key('id-a', 'ecdsa', 'ecdsa-sha2-nistp256', { public: pem(uncompressedDer) });
  const b = new Key('id-b', 'ecdsa', 'ecdsa-sha2-nistp256', { public: pem(compressedDer) });
  assert.ok(a.isSupported() && b.isSupported(), 'both encodings parse');
  assert.equal(a.publicKeyFingerprint, b.publicKeyFingerprint);
});
