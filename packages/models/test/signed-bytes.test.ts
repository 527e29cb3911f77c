// Metadata.parse returns the bytes the signatures must cover: the raw `signed` span when the file already
// holds it in canonical JSON (no re-serialisation), canonicalize(signed) otherwise. Both paths must give
// exactly the bytes Metadata.signedBytes() gives, whatever the file looks like.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DelegatedRole, Metadata, MetadataParseError, Signature, Targets, TargetFile, UnsignedMetadataError,
  canonicalize, canonicalString, generateEd25519KeyPair, parseEnvelopeStrict, parseJsonStrict,
} from '../src/index.js';
import { FUTURE, dec, enc, makeRepo } from './helpers.js';

/** The `signed` member of an envelope as it appears in the document text (the envelope is compact). */
function envelope(signedText: string, signatures = '[]'): Uint8Array {
  return enc(`{"signatures":${signatures},"signed":${signedText}}`);
}

function assertSameAsSlowPath(bytes: Uint8Array, expectFast: boolean | undefined, what: string): void {
  const { value, canonicalSigned } = parseEnvelopeStrict(bytes);
  const slow = canonicalize((value as { signed: unknown }).signed);
  if (canonicalSigned !== undefined) assert.equal(dec(canonicalSigned), dec(slow), what);
  if (expectFast !== undefined) assert.equal(canonicalSigned !== undefined, expectFast, `fast path taken? ${what}`);
  // parseEnvelopeStrict and parseJsonStrict see the same document
  assert.deepEqual(value, parseJsonStrict(bytes), what);
}

test('the raw signed span is used only when it is exactly canonical JSON', () => {
  const canonical = [
    '{"a":1,"b":[true,false,null,-5,0,"x"],"c":{}}',
    '{"":[],"a":{"A":1,"a":2,"b":{"z":"y"}},"z":9007199254740991}',
    '{"q":"say \\"hi\\" \\\\ bye"}', // `\"` and `\\` are the two escapes canonical JSON writes itself
    '{"é":"ü","中":"文","😀":"x"}', // raw non-ASCII, code-point order
    '{"\uE000":1,"😀":2}', // code-point order, not UTF-16 order
    '{"\\\\":1,"a\\"b":2}',
    '"just a string"',
    '[]',
  ];
  for (const s of canonical) {
    assert.equal(canonicalString(JSON.parse(s)), s, `test input not canonical: ${s}`);
    assertSameAsSlowPath(envelope(s), true, s);
  }
  const notCanonical = [
    '{"a": 1}', // whitespace
    '{ "a":1}',
    '{"a":1 }',
    '{"a":[1, 2]}',
    '{\n"a":1}',
    '{"b":1,"a":2}', // key order
    '{"a":{"y":1,"x":2}}', // key order, nested unknown field
    '{"a":"\\u0041"}', // escapes canonical JSON does not write
    '{"\\u0061":1}',
    '{"a":"\\/"}',
    '{"a":"x\\ny"}', // canonical JSON would write the newline raw
    '{"a":"\\t"}',
    '{"a":"\\u00e9"}',
    '{"a":-0}', // canonicalize writes 0
    '{"a":[-0]}',
    // UTF-16 order puts U+1F600 (a surrogate pair) before U+E000; code-point order after it
    '{"😀":1,"\uE000":2}',
  ];
  for (const s of notCanonical) assertSameAsSlowPath(envelope(s), false, s);
});

test('whitespace and key order outside `signed` do not matter; inside they do', () => {
  assertSameAsSlowPath(enc('{ "signed" : {"a":1} , "signatures" : [ ] }\n'), true, 'spaced envelope');
  assertSameAsSlowPath(enc('{"x":{"b":1,"a":2},"signed":{"a":1},"signatures":[]}'), true, 'unsorted sibling');
  assertSameAsSlowPath(enc('{"signed":{"a":1,"b":{"c": 1}},"signatures":[]}'), false, 'deep whitespace');
  // a nested member called "signed" is just data
  assertSameAsSlowPath(enc('{"signatures":[],"signed":{"signed":{"b":1, "a":2}}}'), false, 'nested signed');
  assert.equal(parseEnvelopeStrict(enc('{"a":{"signed":{}}}')).canonicalSigned, undefined);
  assert.equal(parseEnvelopeStrict(enc('[{"signed":{}}]')).canonicalSigned, undefined);
});

test('the fast path and the slow path agree on random documents', () => {
  // Deterministic PRNG (xorshift) so a failure is reproducible.
  let seed = 0x2545f491;
  const rnd = (n: number): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const pieces = ['a', 'b', 'B', '_', '"', '\\', '/', 'é', 'ÿ', '中', '\uE000', '\uFFFD', '😀', '𝄞', ' ', '0', ''];
  const str = (): string => Array.from({ length: rnd(4) }, () => pieces[rnd(pieces.length)]).join('');
  const value = (depth: number): unknown => {
    switch (depth > 3 ? rnd(4) : rnd(7)) {
      case 0: return str();
      case 1: return [0, 1, -1, 42, 9007199254740991, -9007199254740991][rnd(6)];
      case 2: return [true, false, null][rnd(3)];
      case 3: return rnd(1000);
      case 4: return Array.from({ length: rnd(4) }, () => value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = rnd(5); i > 0; i--) o[str()] = value(depth + 1);
        return o;
      }
    }
  };
  // A few ways to write the same value: canonical, JSON.stringify (insertion order), indented, escaped.
  const writers: Array<(v: unknown) => string> = [
    (v) => canonicalString(v),
    (v) => JSON.stringify(v),
    (v) => JSON.stringify(v, null, 1),
    (v) => canonicalString(v).replace(/é/g, '\\u00e9'),
  ];
  let fast = 0;
  for (let i = 0; i < 3000; i++) {
    const v = value(0);
    const text = writers[rnd(writers.length)]!(v);
    const bytes = envelope(text);
    const { value: parsed, canonicalSigned } = parseEnvelopeStrict(bytes);
    assert.deepEqual((parsed as { signed: unknown }).signed, v, text);
    const slow = canonicalize(v);
    if (canonicalSigned !== undefined) {
      fast++;
      assert.deepEqual(Buffer.from(canonicalSigned), Buffer.from(slow), text);
    }
    // canonical text (no control characters: they would not be valid JSON) always takes the fast path
    if (text === canonicalString(v)) assert.notEqual(canonicalSigned, undefined, text);
  }
  assert.ok(fast > 500, `fast path taken only ${fast} times`);
});

test('Metadata.parse gives the same signed bytes as signedBytes() for canonical and non-canonical files', () => {
  const { root, timestamp, snapshot, targets } = makeRepo();
  const role = new Metadata(new Targets({ expires: FUTURE, unrecognized: { x_custom: { b: [1, 'é'], a: { '😀': '\uE000' } } } }));
  role.signed.targets.set('pkg/-/pkg-1.0.0.tgz', new TargetFile('pkg/-/pkg-1.0.0.tgz', 3, { sha256: 'ab' }, { note: 'say "hi"\n' }));
  role.signed.addDelegatedRole(new DelegatedRole({ name: 'x', terminating: true, paths: ['x/*'] }), [generateEd25519KeyPair().key]);
  for (const md of [root, timestamp, snapshot, targets, role]) {
    const expected = Buffer.from(md.signedBytes());
    const obj = md.toJSON();
    const files: Array<[string, Uint8Array, boolean]> = [
      ['as tufpm writes it', md.toBytes(), !dec(md.toBytes()).includes('\\n')],
      ['JSON.stringify order', enc(JSON.stringify(obj)), false],
      ['indented', enc(JSON.stringify(obj, null, 2)), false],
    ];
    for (const [what, bytes, fast] of files) {
      const parsed = Metadata.parse(bytes, md.signed.type);
      assert.deepEqual(Buffer.from(parsed.signedBytes), expected, `${md.signed.type}, ${what}`);
      assert.deepEqual(Buffer.from(parsed.metadata.signedBytes()), expected, `${md.signed.type}, ${what}`);
      const view = parsed.signedBytes;
      const inFile = view.buffer === bytes.buffer && view.byteOffset >= bytes.byteOffset && view.byteOffset + view.length <= bytes.byteOffset + bytes.length;
      assert.equal(inFile, fast, `${md.signed.type}, ${what}: a view into the file (no re-serialisation) exactly when canonical`);
    }
  }
});

test('rejects a signature over the non-canonical bytes of signed', () => {
  const owner = generateEd25519KeyPair();
  const delegator = new Targets({ expires: FUTURE });
  delegator.addDelegatedRole(new DelegatedRole({ name: 'pkg', terminating: true, paths: ['pkg/-/*'] }), [owner.key]);
  const role = new Metadata(new Targets({ expires: FUTURE }));
  // The attacker (here: a careless signer) signs the bytes of `signed` as written in the file, indented.
  const signedText = JSON.stringify(role.signed.toJSON(), null, 2);
  const sig = owner.signer.sign(enc(signedText));
  const file = enc(`{"signatures":[${JSON.stringify(new Signature(owner.key.keyid, sig).toJSON())}],"signed":${signedText}}`);
  const { metadata, signedBytes } = Metadata.parse(file, 'targets');
  assert.throws(() => delegator.verifyDelegate('pkg', metadata, signedBytes), UnsignedMetadataError);
  assert.throws(() => delegator.verifyDelegate('pkg', metadata), UnsignedMetadataError);
  assert.equal(delegator.getVerificationResult('pkg', metadata, signedBytes).signedBy.length, 0);
});

test('a non-canonical file signed over the canonical form still verifies', () => {
  const owner = generateEd25519KeyPair();
  const delegator = new Targets({ expires: FUTURE });
  delegator.addDelegatedRole(new DelegatedRole({ name: 'pkg', terminating: true, paths: ['pkg/-/*'] }), [owner.key]);
  const role = new Metadata(new Targets({ expires: FUTURE, unrecognized: { z: 'é\n', a: [1] } }));
  role.sign(owner.signer);
  for (const file of [enc(JSON.stringify(role.toJSON(), null, 2)), enc(JSON.stringify(role.toJSON()).replace(/é/g, '\\u00e9'))]) {
    const { metadata, signedBytes } = Metadata.parse(file, 'targets');
    assert.deepEqual(delegator.verifyDelegate('pkg', metadata, signedBytes).signedBy, [owner.key.keyid]);
  }
});

test('rejects a duplicate key that follows a key out of order (the ascending-order shortcut must not hide it)', () => {
  for (const s of ['{"b":1,"a":1,"b":2}', '{"signed":{"c":1,"a":1,"c":1},"signatures":[]}', '{"a":{"b":1,"a":1,"b":1}}']) {
    assert.throws(() => parseJsonStrict(enc(s)), MetadataParseError, s);
    assert.throws(() => parseEnvelopeStrict(enc(s)), MetadataParseError, s);
  }
});
