// MetaFile (timestamp and snapshot `meta` entries): the length and hashes it reads bound what the client
// downloads and accepts (TUF 5.5.1-5.5.2, 5.6.1-5.6.2). Written for the surviving and uncovered mutants of
// mutation testing (issue 19).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { HashMismatchError, LengthMismatchError, MetaFile, MetadataParseError, canonicalize } from '../src/index.js';

const data = new TextEncoder().encode('{"signed":{}}');
const sha256 = createHash('sha256').update(data).digest('hex');

test('reads version, length and hashes, and keeps unknown fields', () => {
  const mf = MetaFile.fromJSON({ version: 3, length: data.length, hashes: { sha256 }, 'x-extra': 1 });
  assert.equal(mf.version, 3);
  assert.equal(mf.length, data.length);
  assert.deepEqual(mf.hashes, { sha256 });
  assert.deepEqual(mf.unrecognized, { 'x-extra': 1 });
  assert.equal(new TextDecoder().decode(canonicalize(mf.toJSON())), `{"hashes":{"sha256":"${sha256}"},"length":${data.length},"version":3,"x-extra":1}`);
  const bare = MetaFile.fromJSON({ version: 1 });
  assert.equal(bare.length, undefined);
  assert.equal(bare.hashes, undefined);
  assert.deepEqual(bare.toJSON(), { version: 1 });
  bare.verifyLengthAndHashes(data); // nothing listed, nothing to check
});

test('rejects data longer or shorter than the listed length (endless data, TUF_LENGTH)', () => {
  const mf = MetaFile.fromJSON({ version: 1, length: data.length });
  mf.verifyLengthAndHashes(data);
  assert.throws(() => mf.verifyLengthAndHashes(data.subarray(1)), (e: unknown) => e instanceof LengthMismatchError && e.message === `expected ${data.length} bytes, got ${data.length - 1}`);
  assert.throws(() => mf.verifyLengthAndHashes(new Uint8Array(data.length + 1)), LengthMismatchError);
});

test('rejects data whose hash differs from the listed one (TUF_HASH), also when the length matches', () => {
  const mf = MetaFile.fromJSON({ version: 1, length: data.length, hashes: { sha256 } });
  mf.verifyLengthAndHashes(data);
  const tampered = Uint8Array.from(data);
  tampered[0] = 0x5b;
  assert.throws(() => mf.verifyLengthAndHashes(tampered), HashMismatchError);
});

test('rejects a negative, fractional or unsafe length, and a version below 1, naming the field', () => {
  for (const length of [-1, 1.5, 2 ** 53]) {
    assert.throws(() => new MetaFile(1, length), (e: unknown) => e instanceof MetadataParseError && /meta: length must be an integer >= 0/.test(e.message), String(length));
    assert.throws(() => MetaFile.fromJSON({ version: 1, length }, 'snapshot.meta.targets.json'), MetadataParseError, String(length));
  }
  assert.equal(new MetaFile(1, 0).length, 0);
  assert.throws(() => new MetaFile(0), (e: unknown) => e instanceof MetadataParseError && /^meta: version must be an integer >= 1/.test(e.message));
  assert.throws(() => MetaFile.fromJSON({ version: 0 }), (e: unknown) => e instanceof MetadataParseError && /^meta: version/.test(e.message));
  assert.throws(() => MetaFile.fromJSON({ version: 1, hashes: 'x' }, 'timestamp.meta'), (e: unknown) => e instanceof MetadataParseError && /timestamp\.meta\.hashes/.test(e.message));
});

test('fromData lists the length and sha256 of the bytes by default', () => {
  const mf = MetaFile.fromData(2, data);
  assert.deepEqual(mf.toJSON(), { version: 2, length: data.length, hashes: { sha256 } });
  assert.deepEqual(Object.keys(MetaFile.fromData(2, data, ['sha256', 'sha512']).hashes!), ['sha256', 'sha512']);
});
