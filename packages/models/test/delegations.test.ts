import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  DelegatedRole, Delegations, MetadataParseError, SuccinctRoles, Targets, compilePathPattern, encodeRoleName, matchPathPattern,
} from '../src/index.js';

const role = (name: string, paths: string[], terminating = false): DelegatedRole => new DelegatedRole({ name, terminating, paths });
const names = (d: Delegations, p: string): string[] => d.rolesForTarget(p).map((r) => r.name);

test('path patterns: "*" matches within one segment only (python-tuf semantics)', () => {
  assert.equal(matchPathPattern('lodash/-/*', 'lodash/-/lodash-4.17.21.tgz'), true);
  assert.equal(matchPathPattern('lodash/-/*', 'lodash/-/nested/evil.tgz'), false);
  assert.equal(matchPathPattern('*', 'a/b'), false);
  assert.equal(matchPathPattern('*/-/*', 'lodash/-/lodash-1.0.0.tgz'), true);
  assert.equal(matchPathPattern('*/-/*', '@babel/core/-/core-7.0.0.tgz'), false);
  assert.equal(matchPathPattern('@*/*/-/*', '@babel/core/-/core-7.0.0.tgz'), true);
  assert.equal(matchPathPattern('lodash/-/*', 'lodash-es/-/lodash-es-1.0.0.tgz'), false);
  assert.equal(matchPathPattern('a/*.tgz', 'a/.tgz'), true);
  assert.equal(matchPathPattern('a/', 'a/'), true);
  assert.equal(matchPathPattern('a/*', 'a/'), true, 'empty segment still matches *');
  assert.equal(matchPathPattern('a/**/-/*', 'a/x/-/x-1.tgz'), true, 'a segment of only stars matches any one segment');
  assert.equal(matchPathPattern('a/**', 'a/x/y'), false, 'but never crosses a slash');
  assert.deepEqual(compilePathPattern('@s/p/-/*').literalPrefix, ['@s', 'p', '-']);
});

test('path patterns: ?, [seq], [!seq], ranges, literal [ and regex metacharacters', () => {
  assert.equal(matchPathPattern('v?.tgz', 'v1.tgz'), true);
  assert.equal(matchPathPattern('v?.tgz', 'v10.tgz'), false);
  assert.equal(matchPathPattern('v[0-3].tgz', 'v2.tgz'), true);
  assert.equal(matchPathPattern('v[0-3].tgz', 'v7.tgz'), false);
  assert.equal(matchPathPattern('v[!0-3].tgz', 'v7.tgz'), true);
  assert.equal(matchPathPattern('v[!0-3].tgz', 'v2.tgz'), false);
  assert.equal(matchPathPattern('[]]', ']'), true);
  assert.equal(matchPathPattern('[a-]', '-'), true);
  assert.equal(matchPathPattern('[z-a]', 'm'), false, 'reversed range matches nothing');
  assert.equal(matchPathPattern('a[b', 'a[b'), true, 'unclosed [ is literal');
  assert.equal(matchPathPattern('a.b', 'axb'), false, '. is literal');
  assert.equal(matchPathPattern('(a|b)+$', '(a|b)+$'), true);
  assert.equal(matchPathPattern('\\*', '\\x'), true, 'backslash is not an escape in fnmatch');
  assert.equal(matchPathPattern('é*', 'été'), true);
  assert.equal(matchPathPattern('?', '😀'), true, '? matches one code point');
  assert.equal(matchPathPattern('*', 'line\nbreak'), true);
});

test('compiled patterns expose their literal prefix for indexing', () => {
  assert.deepEqual(compilePathPattern('@babel/core/-/*').literalPrefix, ['@babel', 'core', '-']);
  assert.deepEqual(compilePathPattern('*/-/*').literalPrefix, []);
  assert.deepEqual(compilePathPattern('a/b[12]/c').literalPrefix, ['a']);
  assert.deepEqual(compilePathPattern('a/b/c').literalPrefix, ['a', 'b', 'c']);
});

test('rolesForTarget keeps the delegator order, including integer-like role names', () => {
  // A plain object keyed by name would reorder "10" and "2" before "z": trust order would change.
  const d = new Delegations({ roles: [role('z', ['*/-/*']), role('10', ['*/-/*']), role('2', ['lodash/-/*']), role('a', ['lodash/*/*'])] });
  assert.deepEqual(names(d, 'lodash/-/lodash-1.0.0.tgz'), ['z', '10', '2', 'a']);
  assert.deepEqual(d.roles!.map((r) => r.name), ['z', '10', '2', 'a']);
  const round = Delegations.fromJSON(JSON.parse(JSON.stringify(d.toJSON())));
  assert.deepEqual(names(round, 'lodash/-/lodash-1.0.0.tgz'), ['z', '10', '2', 'a']);
});

test('rolesForTarget reports terminating and the role object', () => {
  const claimed = role('lodash', ['lodash/-/*'], true);
  const d = new Delegations({ roles: [claimed, role('unclaimed', ['*/-/*', '@*/*/-/*'], true)] });
  const found = d.rolesForTarget('lodash/-/lodash-4.17.21.tgz');
  assert.deepEqual(found.map((r) => [r.name, r.terminating]), [['lodash', true], ['unclaimed', true]]);
  assert.equal(found[0]!.role, claimed);
  assert.deepEqual(names(d, '@babel/core/-/core-7.24.0.tgz'), ['unclaimed']);
  assert.deepEqual(names(d, 'no-dash-segment.tgz'), []);
});

test('index agrees with a linear scan on 20,000 per-package roles plus wildcard roles', () => {
  const roles: DelegatedRole[] = [];
  for (let i = 0; i < 10000; i++) {
    roles.push(role(`pkg${i}`, [`pkg${i}/-/*`], true));
    roles.push(role(`@s${i % 97}/p${i}`, [`@s${i % 97}/p${i}/-/*`, `@s${i % 97}/p${i}/-/extra/*`], true));
    if (i % 2500 === 0) roles.push(role(`wild${i}`, ['*/-/*', '@*/*/-/*']));
  }
  roles.push(role('exact', ['pkg7/-/pkg7-1.0.0.tgz']));
  roles.push(role('mid', ['pkg7/[-]/*']));
  roles.push(new DelegatedRole({ name: 'hashed', terminating: false, pathHashPrefixes: ['0', '1', '2', '3', '4', '5', '6', '7'] }));
  const d = new Delegations({ roles });
  const probes = ['pkg7/-/pkg7-1.0.0.tgz', 'pkg9999/-/pkg9999-2.tgz', '@s3/p3/-/p3-1.tgz', '@s3/p3/-/extra/x', 'nobody/-/x.tgz', 'pkg7/-', 'pkg7/-/a/b', '', '/', 'pkg12345/-/x.tgz'];
  for (const p of probes) {
    const linear = roles.filter((r) => r.isDelegatedPath(p)).map((r) => r.name);
    assert.deepEqual(names(d, p), linear, p);
  }
  assert.deepEqual(names(d, 'pkg7/-/pkg7-1.0.0.tgz').filter((n) => n !== 'hashed'), ['wild0', 'pkg7', 'wild2500', 'wild5000', 'wild7500', 'exact', 'mid']);
});

test('the index follows changes made through addDelegatedRole / removeDelegatedRole and array pushes', () => {
  const t = new Targets();
  t.addDelegatedRole(role('a', ['a/-/*']), []);
  assert.deepEqual(names(t.delegations!, 'a/-/a.tgz'), ['a']);
  t.delegations!.roles!.push(role('a2', ['a/-/*']));
  assert.deepEqual(names(t.delegations!, 'a/-/a.tgz'), ['a', 'a2']);
  t.addDelegatedRole(role('a', ['b/-/*']), []); // replaced in place
  assert.deepEqual(names(t.delegations!, 'a/-/a.tgz'), ['a2']);
  assert.deepEqual(t.delegations!.roles!.map((r) => r.name), ['a', 'a2']);
  t.removeDelegatedRole('a2');
  assert.deepEqual(names(t.delegations!, 'a/-/a.tgz'), []);
  assert.equal(t.delegations!.getRole('a')?.keyids.length, 0);
  assert.equal(t.delegations!.getRole('a2'), undefined);
});

test('path_hash_prefixes: sha256 hex prefix of the target path', () => {
  const path = 'lodash/-/lodash-4.17.21.tgz';
  const h = createHash('sha256').update(path).digest('hex');
  const yes = new DelegatedRole({ name: 'bin', terminating: false, pathHashPrefixes: [h.slice(0, 3)] });
  const no = new DelegatedRole({ name: 'bin2', terminating: false, pathHashPrefixes: [h[0] === 'f' ? '0' : 'f'] });
  assert.equal(yes.isDelegatedPath(path), true);
  assert.equal(no.isDelegatedPath(path), false);
});

test('rejects delegated role names that collide with a top-level role on a case-insensitive file system', () => {
  const r = { keyids: [], threshold: 1, terminating: true, paths: ['x'] };
  for (const name of ['Timestamp', 'ROOT', 'Snapshot', 'ｔａｒｇｅｔｓ']) {
    assert.throws(() => Delegations.fromJSON({ keys: {}, roles: [{ ...r, name }] }), MetadataParseError, name);
  }
  assert.throws(() => Delegations.fromJSON({ keys: {}, roles: [{ ...r, name: 'Foo' }, { ...r, name: 'foo' }] }), MetadataParseError);
});

test('delegated role needs exactly one of paths / path_hash_prefixes', () => {
  assert.throws(() => new DelegatedRole({ name: 'x', terminating: true }), MetadataParseError);
  assert.throws(() => new DelegatedRole({ name: 'x', terminating: true, paths: [], pathHashPrefixes: [] }), MetadataParseError);
  assert.throws(() => DelegatedRole.fromJSON({ name: 'x', keyids: [], threshold: 1, terminating: 'yes', paths: [] }), MetadataParseError);
  assert.throws(() => DelegatedRole.fromJSON({ name: 'x', keyids: [], threshold: 1, terminating: true, paths: [1] }), MetadataParseError);
});

test('delegations: duplicate role names, top-level names, both or neither of roles/succinct_roles are rejected', () => {
  const r = { keyids: [], threshold: 1, terminating: true, paths: ['x'] };
  assert.throws(() => Delegations.fromJSON({ keys: {}, roles: [{ ...r, name: 'a' }, { ...r, name: 'a' }] }), MetadataParseError);
  assert.throws(() => Delegations.fromJSON({ keys: {}, roles: [{ ...r, name: 'snapshot' }] }), MetadataParseError);
  assert.throws(() => Delegations.fromJSON({ keys: {} }), MetadataParseError);
  const succinct = { keyids: [], threshold: 1, bit_length: 4, name_prefix: 'bin' };
  assert.throws(() => Delegations.fromJSON({ keys: {}, roles: [], succinct_roles: succinct }), MetadataParseError);
  assert.throws(() => Delegations.fromJSON({ keys: [], roles: [] }), MetadataParseError);
});

function tap15Bin(path: string, bitLength: number): number {
  const first4 = createHash('sha256').update(path).digest().readUInt32BE(0);
  return Number(BigInt(first4) >> BigInt(32 - bitLength));
}

test('TAP 15 succinct roles: bin = first bit_length bits of sha256(path), zero-padded hex names', () => {
  for (const bitLength of [1, 3, 4, 5, 8, 13, 31, 32]) {
    const s = new SuccinctRoles({ keyids: [], threshold: 1, bitLength, namePrefix: 'unclaimed' });
    const width = Math.ceil(bitLength / 4);
    for (const path of ['lodash/-/lodash-4.17.21.tgz', '@babel/core/-/core-7.24.0.tgz', '', 'x']) {
      const expected = `unclaimed-${tap15Bin(path, bitLength).toString(16).padStart(width, '0')}`;
      assert.equal(s.getRoleForTarget(path), expected, `${bitLength} ${path}`);
      assert.equal(s.isDelegatedRole(expected), true);
    }
  }
  const s = new SuccinctRoles({ keyids: [], threshold: 1, bitLength: 5, namePrefix: 'bin' });
  const all = [...s.getRoles()];
  assert.equal(all.length, 32);
  assert.equal(all[0], 'bin-00');
  assert.equal(all[31], 'bin-1f');
  assert.equal(s.isDelegatedRole('bin-20'), false, 'beyond 2^bit_length');
  assert.equal(s.isDelegatedRole('bin-1F'), false, 'uppercase is not a bin name we produce');
  assert.equal(s.isDelegatedRole('bin-1'), false);
  assert.equal(s.isDelegatedRole('bin-001'), false);
  assert.equal(s.isDelegatedRole('other-01'), false);
  const d = new Delegations({ succinctRoles: s });
  const found = d.rolesForTarget('lodash/-/lodash-4.17.21.tgz');
  assert.equal(found.length, 1);
  assert.equal(found[0]!.terminating, true);
  assert.equal(found[0]!.role, s);
  assert.equal(d.getRole(found[0]!.name), s);
});

test('TAP 15 bit_length must be 1..32', () => {
  for (const b of [0, 33, -1, 1.5]) {
    assert.throws(() => new SuccinctRoles({ bitLength: b, namePrefix: 'x' }), MetadataParseError, String(b));
  }
  assert.throws(() => SuccinctRoles.fromJSON({ keyids: [], threshold: 1, bit_length: 40, name_prefix: 'x' }), MetadataParseError);
});

test('encodeRoleName keeps names inside one path segment', () => {
  assert.equal(encodeRoleName('@babel/core'), '@babel%2Fcore');
  assert.equal(encodeRoleName('lodash'), 'lodash');
  assert.equal(encodeRoleName('../../etc/passwd'), '..%2F..%2Fetc%2Fpasswd');
  assert.equal(encodeRoleName('a%2Fb'), 'a%252Fb');
  assert.equal(encodeRoleName('a\\b'), 'a%5Cb');
});

test('rolesForTarget checks only indexed candidates, not every pattern (hot path with one role per package)', () => {
  const roles: DelegatedRole[] = [];
  for (let i = 0; i < 30000; i++) roles.push(role(`pkg${i}`, [`pkg${i}/-/*`], true));
  roles.push(role('unclaimed', ['*/-/*', '@*/*/-/*'], true));
  const d = new Delegations({ roles });
  d.rolesForTarget('warm/-/up.tgz'); // builds the index once
  let calls = 0;
  const original = DelegatedRole.prototype.isDelegatedPath;
  DelegatedRole.prototype.isDelegatedPath = function (this: DelegatedRole, p: string, s?: readonly string[]) {
    calls++;
    return original.call(this, p, s);
  };
  try {
    assert.deepEqual(names(d, 'pkg29999/-/pkg29999-1.0.0.tgz'), ['pkg29999', 'unclaimed']);
    assert.equal(calls, 2, 'the package role and the wildcard role, nothing else');
  } finally {
    DelegatedRole.prototype.isDelegatedPath = original;
  }
});

test('path_hash_prefixes bins (PEP 458 style) are found through the index and agree with a linear scan', () => {
  const roles: DelegatedRole[] = [];
  for (let b = 0; b < 256; b++) {
    const prefix = b.toString(16).padStart(2, '0');
    roles.push(new DelegatedRole({ name: `bin-${prefix}`, terminating: false, pathHashPrefixes: [prefix] }));
  }
  roles.push(new DelegatedRole({ name: 'odd-lengths', terminating: false, pathHashPrefixes: ['a', 'b1c', ''] }));
  roles.push(new DelegatedRole({ name: 'upper', terminating: false, pathHashPrefixes: ['A', 'B'] }));
  const d = new Delegations({ roles });
  for (let i = 0; i < 200; i++) {
    const p = `pkg${i}/-/pkg${i}-1.0.0.tgz`;
    const linear = roles.filter((r) => r.isDelegatedPath(p)).map((r) => r.name);
    assert.deepEqual(names(d, p), linear, p);
    assert.ok(linear.includes('odd-lengths'), 'the empty prefix matches everything');
    assert.ok(!linear.includes('upper'), 'prefixes compare with the lowercase hex digest');
  }
});
