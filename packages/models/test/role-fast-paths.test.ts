// The per-role fast paths (issue 20: role checks per CPU second) must accept and refuse exactly what the
// general paths accept and refuse. Each test compares a fast path with an independent oracle over inputs
// chosen to sit on the edges of the fast path's own conditions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Key, MetadataParseError, TargetFile, generateEd25519KeyPair, parseExpires } from '../src/index.js';

/** The expires rule written out the slow way (regex, then a Date round trip): the oracle. */
function expiresOracle(v: string): number | 'refused' {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(v);
  if (m === null) return 'refused';
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  const same = y >= 1 && date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d &&
    date.getUTCHours() === h && date.getUTCMinutes() === mi && date.getUTCSeconds() === s;
  return same ? date.getTime() : 'refused';
}

function parsed(v: string): number | 'refused' {
  try {
    return parseExpires(v, 'x').getTime();
  } catch (err) {
    assert.ok(err instanceof MetadataParseError, `${v}: ${String(err)}`);
    return 'refused';
  }
}

test('rejects every expires the general rule rejects: month lengths, leap years, out-of-range fields, years below 100', () => {
  const years = [1, 99, 100, 1600, 1900, 1999, 2000, 2023, 2024, 2100, 2400, 9999];
  const pad = (n: number, w: number): string => String(n).padStart(w, '0');
  let checked = 0;
  for (const y of years) {
    for (let mo = 0; mo <= 13; mo++) {
      for (const d of [0, 1, 28, 29, 30, 31, 32]) {
        for (const [h, mi, s] of [[0, 0, 0], [23, 59, 59], [24, 0, 0], [0, 60, 0], [0, 0, 60]] as const) {
          const v = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}Z`;
          assert.equal(parsed(v), expiresOracle(v), v);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 5000);
  // layout variants next to the fast path's fixed positions
  for (const v of ['2030-01-01T00:00:00z', '2030-01-01t00:00:00Z', '2030/01/01T00:00:00Z', '2030-01-01T00-00-00Z', '2030-01-01T00:00:0aZ',
    '20a0-01-01T00:00:00Z', '2030-01-01T00:00:00ZZ', '2030-01-01T0:00:00Z', '0000-01-01T00:00:00Z', '0099-12-31T23:59:59Z', '2030-1a-01T00:00:00Z']) {
    assert.equal(parsed(v), expiresOracle(v), v);
  }
});

/** TargetFile.fromJSON's answer: the entry as JSON, or the error message. */
function targetOutcome(obj: unknown): string {
  try {
    const t = TargetFile.fromJSON('a/-/a-1.0.0.tgz', obj);
    return JSON.stringify([t.toJSON(), t.unrecognized, t.custom === undefined]);
  } catch (err) {
    assert.ok(err instanceof MetadataParseError, String(err));
    return `refused: ${err.message}`;
  }
}

test('rejects the same target entries, with the same message, whether or not they have the usual shape', () => {
  const h = { sha256: 'ab'.repeat(32) };
  // Each entry once as parsed ({hashes, length}: the fast path) and once with an extra field (the general path).
  const entries: Array<[unknown, unknown]> = [
    [{ hashes: h, length: 10 }, { hashes: h, length: 10, x: 1 }],
    [{ hashes: h, length: -1 }, { hashes: h, length: -1, x: 1 }],
    [{ hashes: h, length: 1.5 }, { hashes: h, length: 1.5, x: 1 }],
    [{ hashes: h, length: 2 ** 53 }, { hashes: h, length: 2 ** 53, x: 1 }],
    [{ hashes: h, length: '10' }, { hashes: h, length: '10', x: 1 }],
    [{ hashes: {}, length: 1 }, { hashes: {}, length: 1, x: 1 }],
    [{ hashes: { sha256: 1 }, length: 1 }, { hashes: { sha256: 1 }, length: 1, x: 1 }],
    [{ hashes: [], length: 1 }, { hashes: [], length: 1, x: 1 }],
    [{ hashes: null, length: 1 }, { hashes: null, length: 1, x: 1 }],
  ];
  for (const [usual, extended] of entries) {
    const a = targetOutcome(usual);
    const b = targetOutcome(extended);
    if (a.startsWith('refused')) assert.equal(a, b, JSON.stringify(usual));
    else assert.ok(!b.startsWith('refused'), JSON.stringify(extended));
    // the npm shape, {custom, hashes, length} in canonical order, takes the fast path too: the same verdicts
    const withCustom = { custom: { npm: { dependencies: { a: '^1' } } }, ...(usual as object) };
    const c = targetOutcome(withCustom);
    // the same fields in another order take the general path
    const general = targetOutcome({ ...(usual as object), custom: withCustom.custom });
    if (a.startsWith('refused')) assert.equal(c, a, JSON.stringify(withCustom));
    assert.equal(c, general, JSON.stringify(withCustom));
  }
  // an npm entry keeps its custom value as signed and nothing unrecognized, whichever path read it
  const npm = { custom: { npm: { bin: { x: 'cli.js' } } }, hashes: h, length: 3 };
  assert.deepEqual(TargetFile.fromJSON('p', npm).toJSON(), npm);
  assert.deepEqual(TargetFile.fromJSON('p', npm).unrecognized, {});
  assert.deepEqual(TargetFile.fromJSON('p', { hashes: h, custom: null, length: 3 }).toJSON(), { length: 3, hashes: h, custom: null });
  assert.deepEqual(TargetFile.fromJSON('p', { custom: 0, hashes: h, length: 3 }).custom, 0);
  // the usual entry keeps nothing unrecognized; the other shapes keep what they carry
  assert.deepEqual(TargetFile.fromJSON('p', { hashes: h, length: 3 }).unrecognized, {});
  assert.deepEqual(TargetFile.fromJSON('p', { length: 3, hashes: h }).toJSON(), { length: 3, hashes: h });
  assert.deepEqual(TargetFile.fromJSON('p', { hashes: h, length: 3, x: [1] }).unrecognized, { x: [1] });
  assert.equal(TargetFile.fromJSON('p', { custom: { a: 1 }, hashes: h, length: 3 }).custom !== undefined, true);
  // the parsed hashes are a copy: changing the input later does not change the target
  const input = { hashes: { sha256: 'cd'.repeat(32) }, length: 3 };
  const t = TargetFile.fromJSON('p', input);
  input.hashes.sha256 = '00';
  assert.equal(t.hashes['sha256'], 'cd'.repeat(32));
});

test('rejects a signature that is not wholly hex (a valid prefix is not enough)', () => {
  const { key, signer } = generateEd25519KeyPair();
  const data = new TextEncoder().encode('{"a":1}');
  const sig = signer.sign(data);
  assert.equal(key.verify(data, sig), true);
  assert.equal(key.verify(data, sig.toUpperCase()), true);
  for (const bad of [`${sig}0`, `${sig}zz`, `${sig.slice(0, 126)}zz`, `${sig.slice(0, 64)}g${sig.slice(65)}`, sig.slice(0, 127), `${sig} `, '']) {
    assert.equal(key.verify(data, bad), false, bad);
  }
  assert.equal(key.verify(data, 42 as unknown as string), false);
  assert.ok(key instanceof Key);
});

test('rejects a signature rewritten into non-ASCII characters that decode to the same bytes (mirror malleability)', () => {
  const { key, signer } = generateEd25519KeyPair();
  const data = new TextEncoder().encode('{"a":1}');
  const sig = signer.sign(data);
  // Node's hex decoder reads only the low byte of each UTF-16 unit: U+0100 + c decodes like c.
  const shifted = [...sig].map((ch) => String.fromCharCode(0x100 + ch.charCodeAt(0))).join('');
  assert.equal(Buffer.from(shifted, 'hex').equals(Buffer.from(sig, 'hex')), true, 'the rewritten text decodes to the real signature');
  assert.equal(key.verify(data, shifted), false);
  // one character is enough: 'a' -> U+0161 ('š'), '0' -> U+0130 ('İ')
  const i = sig.search(/[a0]/);
  const one = sig.slice(0, i) + (sig[i] === 'a' ? '\u0161' : '\u0130') + sig.slice(i + 1);
  assert.equal(key.verify(data, one), false);
});
