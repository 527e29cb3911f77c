import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extraneousDependencies, parseSignedDependencies, type SignedDependencies } from '../src/signed-dependencies.js';

const signed: SignedDependencies = {
  dependencies: { helper: '^1.0.0', fsevents: '^2.0.0' },
  optionalDependencies: { fsevents: '^2.0.0' },
  peerDependencies: { react: '>=18' },
};

test('accepts the signed dependencies, an optional dependency listed in both maps, and fewer dependencies', () => {
  assert.deepEqual(extraneousDependencies(signed, { dependencies: { helper: '^1.0.0', fsevents: '^2.0.0' }, optionalDependencies: { fsevents: '^2.0.0' }, peerDependencies: { react: '>=18' } }), []);
  assert.deepEqual(extraneousDependencies(signed, { dependencies: { helper: '^1.0.0' } }), []);
  assert.deepEqual(extraneousDependencies(signed, {}), []);
});

test('rejects extraneous dependencies: an added name, a changed range, a peer moved to dependencies', () => {
  assert.equal(extraneousDependencies(signed, { dependencies: { helper: '^1.0.0', evil: '1.0.0' } }).length, 1);
  assert.match(extraneousDependencies(signed, { dependencies: { helper: '^1.0.0', evil: '1.0.0' } })[0]!, /dependencies evil@1\.0\.0 is not declared/);
  assert.match(extraneousDependencies(signed, { dependencies: { helper: '2.0.0' } })[0]!, /differs from the signed range \^1\.0\.0/);
  assert.match(extraneousDependencies(signed, { optionalDependencies: { evil: '*' } })[0]!, /optionalDependencies evil/);
  assert.match(extraneousDependencies(signed, { dependencies: { react: '>=18' } })[0]!, /not declared/);
  assert.match(extraneousDependencies(signed, { peerDependencies: { helper: '^1.0.0' } })[0]!, /peerDependencies helper/);
  assert.equal(extraneousDependencies({}, { dependencies: { evil: '1.0.0' }, peerDependencies: { other: '1' } }).length, 2, 'a package signed with no dependencies');
  assert.equal(extraneousDependencies(signed, { dependencies: ['evil'] }).length, 1, 'a map of another shape');
  assert.equal(extraneousDependencies(signed, { dependencies: { helper: 1 } }).length, 1, 'a non-string range');
  const proto = JSON.parse('{"__proto__": "1.0.0"}') as Record<string, string>;
  assert.equal(extraneousDependencies(signed, { dependencies: proto }).length, 1, 'an own key __proto__ is a name like any other');
  assert.equal(extraneousDependencies({ dependencies: proto }, { dependencies: proto }).length, 0);
});

test('parses custom.npm strictly: absent for older targets, malformed kept apart', () => {
  assert.deepEqual(parseSignedDependencies(undefined), { kind: 'absent' });
  assert.deepEqual(parseSignedDependencies({ other: 1 }), { kind: 'absent' });
  assert.deepEqual(parseSignedDependencies({ npm: {} }), { kind: 'signed', value: {} });
  assert.deepEqual(parseSignedDependencies({ npm: { dependencies: { a: '1' }, future: true } }), { kind: 'signed', value: { dependencies: { a: '1' } } });
  for (const bad of [{ npm: null }, { npm: [] }, { npm: { dependencies: [] } }, { npm: { peerDependencies: { a: 1 } } }, { npm: { dependencies: { '': '1' } } }, { npm: { optionalDependencies: { a: 'x'.repeat(2049) } } }]) {
    assert.equal(parseSignedDependencies(bad).kind, 'malformed', JSON.stringify(bad).slice(0, 60));
  }
});
