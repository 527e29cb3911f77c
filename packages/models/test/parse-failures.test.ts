import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ExpiredMetadataError, Metadata, MetadataParseError, Root, Targets, UnsignedMetadataError, canonicalize, formatExpires, parseExpires,
} from '../src/index.js';
import { FUTURE, dec, enc, makeRepo, mutateSigned } from './helpers.js';

const repo = makeRepo();
const rootBytes = repo.root.toBytes();
const targetsBytes = repo.targets.toBytes();

function rejectsSigned(bytes: Uint8Array, f: (s: Record<string, unknown>) => void, msg?: string): void {
  assert.throws(() => Metadata.fromBytes(mutateSigned(bytes, f)), MetadataParseError, msg);
}

test('rejects bad versions: 0, -1, 1.5, "1", true, null, missing', () => {
  for (const v of [0, -1, '1', true, null]) rejectsSigned(targetsBytes, (s) => { s['version'] = v; }, String(v));
  rejectsSigned(targetsBytes, (s) => { delete s['version']; }, 'missing');
  // 1.5 cannot be produced by JSON.stringify of a JS number and stay a float, so write the text.
  const text = dec(targetsBytes).replace('"version":1', '"version":1.5');
  assert.throws(() => Metadata.fromBytes(enc(text)), MetadataParseError);
});

test('rejects missing expires (never "never expires")', () => {
  rejectsSigned(targetsBytes, (s) => { delete s['expires']; });
  rejectsSigned(targetsBytes, (s) => { s['expires'] = null; });
});

test('rejects malformed expires', () => {
  const bad = [
    '2030-01-01', 'tomorrow', '2030-13-01T00:00:00Z', '2030-02-30T00:00:00Z', '2030-01-01T24:00:00Z',
    '2030-01-01T00:60:00Z', '2030-01-01T00:00:60Z', '2030-01-01T00:00:00', '2030-01-01T00:00:00.000Z',
    '2030-01-01T00:00:00+00:00', '2030-01-01 00:00:00Z', '2030-01-01t00:00:00z', ' 2030-01-01T00:00:00Z',
    '+02030-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '', '2030-1-01T00:00:00Z', '２０３０-01-01T00:00:00Z',
  ];
  for (const e of bad) rejectsSigned(targetsBytes, (s) => { s['expires'] = e; }, e);
  rejectsSigned(targetsBytes, (s) => { s['expires'] = 1893456000; }, 'number');
});

test('parses strict expires exactly, including leap days', () => {
  assert.equal(parseExpires('2028-02-29T23:59:59Z', 'x').toISOString(), '2028-02-29T23:59:59.000Z');
  assert.throws(() => parseExpires('2027-02-29T00:00:00Z', 'x'), MetadataParseError);
  assert.equal(formatExpires(new Date('2030-01-02T03:04:05.678Z')), '2030-01-02T03:04:05Z');
});

test('expired metadata is reported expired at and after its expiry time', () => {
  const t = new Targets({ expires: new Date('2030-01-01T00:00:00Z') });
  assert.equal(t.isExpired(new Date('2029-12-31T23:59:59Z')), false);
  assert.equal(t.isExpired(new Date('2030-01-01T00:00:00Z')), true);
  assert.equal(t.isExpired(new Date('2031-01-01T00:00:00Z')), true);
  // The error class the client throws for it exists with its stable code.
  assert.equal(new ExpiredMetadataError('x').code, 'TUF_EXPIRED');
});

test('rejects wrong or missing _type', () => {
  rejectsSigned(targetsBytes, (s) => { s['_type'] = 'Targets'; });
  rejectsSigned(targetsBytes, (s) => { s['_type'] = 'mirrors'; });
  rejectsSigned(targetsBytes, (s) => { delete s['_type']; });
  assert.throws(() => Metadata.fromBytes(targetsBytes, 'root'), MetadataParseError);
  assert.throws(() => Metadata.root(targetsBytes), MetadataParseError);
});

test('rejects spec_version with another major version or malformed', () => {
  for (const v of ['2.0.0', '0.9', '1', '1.0.0.0', 'one', '1.x.0', '']) rejectsSigned(targetsBytes, (s) => { s['spec_version'] = v; }, v);
  // 1.x(.y) is accepted.
  for (const v of ['1.0', '1.0.31', '1.20.3']) Metadata.fromBytes(mutateSigned(targetsBytes, (s) => { s['spec_version'] = v; }));
});

test('rejects threshold below 1 or not an integer', () => {
  for (const t of [0, -1, '1', null]) {
    rejectsSigned(rootBytes, (s) => { (s['roles'] as Record<string, Record<string, unknown>>)['timestamp']!['threshold'] = t; }, String(t));
  }
});

test('rejects a threshold or version nested deeper than the stack with TUF_PARSE, not a RangeError (fuzzing, issue 19)', () => {
  // fromJSON takes values the strict parser never produces (it stops at depth 512): the error message must not
  // recurse into them (JSON.stringify did, and threw "Maximum call stack size exceeded").
  let deep: unknown = 1;
  for (let i = 0; i < 20_000; i++) deep = [deep];
  const root = JSON.parse(dec(rootBytes)) as { signed: { roles: Record<string, Record<string, unknown>>; version: unknown } };
  root.signed.roles['timestamp']!['threshold'] = deep;
  assert.throws(() => Metadata.fromJSON(root), (e: unknown) => e instanceof MetadataParseError && /threshold must be an integer >= 1, got an array of 1$/.test(e.message));
  const targets = JSON.parse(dec(targetsBytes)) as { signed: Record<string, unknown> };
  targets.signed['version'] = deep;
  assert.throws(() => Metadata.fromJSON(targets), (e: unknown) => e instanceof MetadataParseError && /version must be an integer >= 1, got an array of 1$/.test(e.message));
  targets.signed['version'] = 'v'.repeat(100_000);
  assert.throws(() => Metadata.fromJSON(targets), (e: unknown) => e instanceof MetadataParseError && e.message.length < 200);
});

test('rejects a duplicate keyid inside one role (it would count twice)', () => {
  rejectsSigned(rootBytes, (s) => {
    const role = (s['roles'] as Record<string, { keyids: string[] }>)['snapshot']!;
    role.keyids.push(role.keyids[0]!);
  });
});

test('rejects root with a missing or an extra role', () => {
  rejectsSigned(rootBytes, (s) => { delete (s['roles'] as Record<string, unknown>)['snapshot']; });
  rejectsSigned(rootBytes, (s) => { (s['roles'] as Record<string, unknown>)['mirrors'] = { keyids: [], threshold: 1 }; });
});

test('rejects wrong field types', () => {
  rejectsSigned(rootBytes, (s) => { s['keys'] = []; });
  rejectsSigned(rootBytes, (s) => { s['consistent_snapshot'] = 'yes'; });
  rejectsSigned(targetsBytes, (s) => { s['targets'] = { 'a.tgz': { length: '3', hashes: { sha256: 'ab' } } }; });
  rejectsSigned(targetsBytes, (s) => { s['targets'] = { 'a.tgz': { length: -1, hashes: { sha256: 'ab' } } }; });
  rejectsSigned(targetsBytes, (s) => { s['targets'] = { 'a.tgz': { length: 3, hashes: {} } }; });
  rejectsSigned(targetsBytes, (s) => { s['targets'] = { 'a.tgz': { length: 3, hashes: { sha256: 1 } } }; });
  rejectsSigned(targetsBytes, (s) => { s['targets'] = { 'a.tgz': { length: 3 } }; });
});

test('rejects timestamp meta other than exactly snapshot.json', () => {
  const ts = repo.timestamp.toBytes();
  rejectsSigned(ts, (s) => { s['meta'] = {}; });
  rejectsSigned(ts, (s) => { (s['meta'] as Record<string, unknown>)['targets.json'] = { version: 1 }; });
  rejectsSigned(ts, (s) => { s['meta'] = { 'snapshot.json': { version: 0 } }; });
});

test('rejects envelope problems: missing signatures, two signatures for one keyid, non-object', () => {
  const obj = JSON.parse(dec(targetsBytes)) as Record<string, unknown>;
  assert.throws(() => Metadata.fromJSON({ signed: obj['signed'] }), MetadataParseError);
  const sigs = obj['signatures'] as unknown[];
  assert.throws(() => Metadata.fromJSON({ ...obj, signatures: [...sigs, sigs[0]] }), MetadataParseError);
  assert.throws(() => Metadata.fromJSON({ ...obj, signatures: [{ keyid: 1, sig: 'ab' }] }), MetadataParseError);
  assert.throws(() => Metadata.fromBytes(enc('[]')), MetadataParseError);
  assert.throws(() => Metadata.fromBytes(enc('null')), MetadataParseError);
});

test('rejects a tampered byte in the signed part', () => {
  const text = dec(repo.snapshot.toBytes());
  const i = text.indexOf('"targets.json"');
  const tampered = enc(text.slice(0, i) + '"targetz.json"' + text.slice(i + '"targets.json"'.length));
  const md = Metadata.fromBytes(tampered, 'snapshot');
  assert.throws(() => repo.root.signed.verifyDelegate('snapshot', md), UnsignedMetadataError);
});

test('unknown fields at every level are kept and signed bytes reproduce the original exactly', () => {
  const bytes = mutateSigned(rootBytes, (s) => {
    s['x-custom'] = { nested: ['a', 1, null, true] };
    const roles = s['roles'] as Record<string, Record<string, unknown>>;
    roles['root']!['x-expiry-period'] = 365;
    const keys = s['keys'] as Record<string, Record<string, unknown>>;
    const k = keys[Object.keys(keys)[0]!]!;
    k['x-owner'] = '@maintainer';
    (k['keyval'] as Record<string, unknown>)['private'] = '';
    delete s['consistent_snapshot'];
  });
  const original = JSON.parse(dec(bytes)) as { signed: unknown };
  const md = Metadata.root(bytes);
  assert.equal(dec(md.signedBytes()), dec(canonicalize(original.signed)));
  assert.equal(md.signed.consistentSnapshot, false);
  assert.ok(!dec(md.signedBytes()).includes('consistent_snapshot'));
});

test('unknown fields in targets, delegations, roles and meta files survive a round trip', () => {
  const signed = {
    _type: 'targets', spec_version: '1.0.31', version: 3, expires: '2100-01-01T00:00:00Z', 'x-top': 1,
    targets: { 'a/-/a-1.0.0.tgz': { length: 3, hashes: { sha512: 'ab' }, custom: { npm: { integrity: 'sha512-x' } }, 'x-t': [] } },
    delegations: {
      keys: {}, 'x-d': 'd',
      roles: [{ name: 'a', keyids: [], threshold: 1, terminating: true, paths: ['a/-/*'], 'x-r': {} }],
    },
  };
  const md = Metadata.fromJSON({ signed, signatures: [], 'x-envelope': 2 }, 'targets');
  assert.equal(dec(md.signedBytes()), dec(canonicalize(signed)));
  assert.deepEqual(md.toJSON(), { signed, signatures: [], 'x-envelope': 2 });
  const snap = { _type: 'snapshot', spec_version: '1.0', version: 1, expires: '2100-01-01T00:00:00Z', meta: { 'targets.json': { version: 1, 'x-m': 0 } } };
  assert.equal(dec(Metadata.fromJSON({ signed: snap, signatures: [] }).signedBytes()), dec(canonicalize(snap)));
});

test('constructors validate too (repository side cannot write invalid metadata)', () => {
  assert.throws(() => new Targets({ version: 0 }), MetadataParseError);
  assert.throws(() => new Root({ specVersion: '2.0.0' }), MetadataParseError);
  const t = new Targets({ expires: FUTURE });
  t.bumpVersion();
  assert.equal(t.version, 2);
});

test('constructors refuse an invalid expires Date', () => {
  assert.throws(() => new Targets({ expires: new Date('not a date') }), MetadataParseError);
  assert.throws(() => new Targets({ expires: new Date('+010000-01-01T00:00:00Z') }), MetadataParseError);
});
