import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataParseError, Metadata, Targets, UNCLAIM_RECORDS_FIELD, parseJsonStrict, parseUnclaimRecords, setUnclaimRecords } from '../src/index.js';

const KEY = 'ab'.repeat(32);
const good = { role_version: 3, keyids: [KEY], threshold: 1, unclaimed: '2026-12-06T23:00:00Z' };

test('unclaim records written into targets survive a serialise/parse round trip (an unrecognized field the signature covers)', () => {
  const md = new Metadata(new Targets({ expires: new Date('2030-01-01T00:00:00Z') }));
  setUnclaimRecords(md.signed.unrecognized, new Map([['zed', { roleVersion: 3, keyids: [KEY], threshold: 1, unclaimed: good.unclaimed }], ['@s/a', { roleVersion: 1, keyids: [KEY], threshold: 1, unclaimed: good.unclaimed }]]));
  const back = Metadata.targets(md.toBytes());
  assert.deepEqual([...parseUnclaimRecords(back.signed.unrecognized).keys()], ['@s/a', 'zed']);
  assert.equal(parseUnclaimRecords(back.signed.unrecognized).get('zed')!.roleVersion, 3);
  setUnclaimRecords(back.signed.unrecognized, new Map());
  assert.equal(back.signed.unrecognized[UNCLAIM_RECORDS_FIELD], undefined, 'no records, no field');
  assert.equal(parseUnclaimRecords({}).size, 0);
});

test('rejects malformed unclaim records (untrusted input parsed strictly)', () => {
  for (const [why, field] of [
    ['not an object', []],
    ['a name that is no package name', { '../x': good }],
    ['__proto__ as a name', parseJsonStrict(new TextEncoder().encode(`{"__proto__": ${JSON.stringify(good)}}`))],
    ['role_version 0', { zed: { ...good, role_version: 0 } }],
    ['a threshold above its keys', { zed: { ...good, threshold: 2 } }],
    ['a keyid that is not hex', { zed: { ...good, keyids: ['xyz'] } }],
    ['an unknown field', { zed: { ...good, paths: ['*'] } }],
    ['a date with fractions', { zed: { ...good, unclaimed: '2026-12-06T23:00:00.5Z' } }],
  ] as const) {
    assert.throws(() => parseUnclaimRecords({ [UNCLAIM_RECORDS_FIELD]: field }), MetadataParseError, why);
  }
});
