// Metadata.parse builds the usual per-package role straight from the tokenizer's tape (targets-tape.ts, issue
// 20: role checks beside the ceiling). It must read every document exactly as the general path does
// (Metadata.fromJSON of parseJsonStrict): the same model, the same signed bytes, the same refusals with the
// same messages. Each case here is a role next to the fast path's conditions; the metadata-package fuzz target
// compares the two over mutated roles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Metadata, TargetFile, Targets, TufError, generateEd25519KeyPair, parseJsonStrict, releaseIndexTarget, type TopLevelRole } from '../src/index.js';
import { targetsFromTape } from '../src/targets-tape.js';
import { tokenizeEnvelope } from '../src/json-strict.js';
import { FUTURE, dec, enc, makeRepo } from './helpers.js';

type Reading = { metadata: Metadata; signedBytes: Uint8Array };

function readingOf(read: () => Reading): string {
  let r: Reading;
  try {
    r = read();
  } catch (err) {
    assert.ok(err instanceof TufError, String(err));
    return `refused: ${err.constructor.name}: ${err.message}`;
  }
  const t = r.metadata.signed as { targets?: Map<string, TargetFile> };
  const targets = t.targets === undefined ? [] : [...t.targets].map(([p, f]) => [p, f.length, f.hashes, Object.keys(f.hashes), f.unrecognized, f.custom === undefined]);
  return JSON.stringify([dec(r.metadata.toBytes()), Buffer.from(r.signedBytes).toString('hex'), [...r.metadata.signatures.keys()],
    r.metadata.unrecognized, r.metadata.signed.unrecognized, targets, r.metadata.signed.expires.getTime()]);
}

/** Both readings, and whether the tape path took the document. */
function both(bytes: Uint8Array, role?: TopLevelRole): { fast: string; general: string; tape: boolean } {
  const fast = readingOf(() => Metadata.parse(bytes, role));
  const general = readingOf(() => {
    const m = Metadata.fromJSON(parseJsonStrict(bytes), role);
    return { metadata: m, signedBytes: m.signedBytes() };
  });
  let tape = false;
  try {
    tape = targetsFromTape(tokenizeEnvelope(bytes)) !== undefined;
  } catch (err) {
    assert.ok(err instanceof TufError, String(err));
  }
  return { fast, general, tape };
}

/** A signed per-package role as tufpm writes it, as a JSON value to edit. */
function packageRole(): Record<string, any> {
  const pair = generateEd25519KeyPair();
  const t = new Targets({ expires: FUTURE, version: 3 });
  for (const v of ['1.0.0', '1.1.0']) {
    const path = `@s/pkg/-/pkg-${v}.tgz`;
    const f = TargetFile.fromData(path, enc(`tarball ${v}`));
    // what tufpm-repo signs into a tarball target: dependencies and manifest facts
    if (v === '1.1.0') f.custom = { npm: { dependencies: { a: '^1.0.0' }, manifestFields: 1 } };
    t.targets.set(path, f);
  }
  const index = releaseIndexTarget('@s/pkg', { versions: ['1.0.0', '1.1.0'], distTags: { latest: '1.1.0' } });
  t.targets.set(index.path, index);
  const md = new Metadata(t);
  md.sign(pair.signer);
  return JSON.parse(dec(md.toBytes()));
}

test('a per-package role (custom.npm, release index) takes the tape path and reads exactly as the general path does', () => {
  const role = packageRole();
  assert.ok(Object.values<any>(role.signed.targets).some((t) => t.custom !== undefined));
  const r = both(enc(JSON.stringify(role)), 'targets');
  assert.equal(r.tape, true);
  assert.equal(r.fast, r.general);
  assert.ok(!r.fast.startsWith('refused'));
});

test('rejects the same edited roles, with the same message, whether or not the tape path reads them', () => {
  const edits: Array<[string, (d: Record<string, any>) => void]> = [
    ['version 0', (d) => { d.signed.version = 0; }],
    ['version -0 (written as -0)', (d) => { d.signed.version = '@@-0'; }],
    ['negative length', (d) => { Object.values<any>(d.signed.targets)[0].length = -1; }],
    ['length -0', (d) => { Object.values<any>(d.signed.targets)[0].length = '@@-0'; }],
    ['length as a string', (d) => { Object.values<any>(d.signed.targets)[0].length = '1'; }],
    ['no hashes', (d) => { Object.values<any>(d.signed.targets)[0].hashes = {}; }],
    ['one hash', (d) => { delete Object.values<any>(d.signed.targets)[0].hashes.sha512; }],
    ['hash not a string', (d) => { Object.values<any>(d.signed.targets)[0].hashes.sha256 = 1; }],
    ['hashes an array', (d) => { Object.values<any>(d.signed.targets)[0].hashes = ['x']; }],
    ['a third hash', (d) => { Object.values<any>(d.signed.targets)[0].hashes.zzz = 'ab'; }],
    ['__proto__ hash', (d) => { Object.defineProperty(Object.values<any>(d.signed.targets)[0].hashes, '__proto__', { value: 'ab', enumerable: true }); }],
    ['custom in a target', (d) => { Object.values<any>(d.signed.targets)[0].custom = { x: 1 }; }],
    ['custom null', (d) => { Object.values<any>(d.signed.targets)[0].custom = null; }],
    ['custom a deep array', (d) => { Object.values<any>(d.signed.targets)[0].custom = [[[{ a: [1, 'x', true, null] }]]]; }],
    ['custom and an unknown field', (d) => { const e = Object.values<any>(d.signed.targets)[1]; e.x = 1; }],
    ['custom without hashes', (d) => { delete Object.values<any>(d.signed.targets)[1].hashes; }],
    ['custom with a bad length', (d) => { Object.values<any>(d.signed.targets)[1].length = -3; }],
    ['unknown field in a target', (d) => { Object.values<any>(d.signed.targets)[0].x = 1; }],
    ['unknown field in signed', (d) => { d.signed.x = 1; }],
    ['unknown field in the envelope', (d) => { d.x = 1; }],
    ['unknown field in a signature', (d) => { d.signatures[0].x = 1; }],
    ['delegations', (d) => { d.signed.delegations = { keys: {}, roles: [] }; }],
    ['no targets', (d) => { d.signed.targets = {}; }],
    ['targets an array', (d) => { d.signed.targets = []; }],
    ['digit-first paths (array indexes come first in Object.keys)', (d) => { d.signed.targets = { '9/x': Object.values<any>(d.signed.targets)[0], '10': Object.values<any>(d.signed.targets)[1] }; }],
    ['__proto__ path', (d) => { Object.defineProperty(d.signed.targets, '__proto__', { value: Object.values<any>(d.signed.targets)[0], enumerable: true }); }],
    ['_type snapshot', (d) => { d.signed._type = 'snapshot'; }],
    ['expires malformed', (d) => { d.signed.expires = '2030-02-30T00:00:00Z'; }],
    ['expires with a fraction', (d) => { d.signed.expires = '2030-01-01T00:00:00.5Z'; }],
    ['spec_version 2.0', (d) => { d.signed.spec_version = '2.0'; }],
    ['spec_version malformed', (d) => { d.signed.spec_version = '1.x'; }],
    ['spec_version 1.0', (d) => { d.signed.spec_version = '1.0'; }],
    ['no version', (d) => { delete d.signed.version; }],
    ['no expires', (d) => { delete d.signed.expires; }],
    ['two signatures of one keyid', (d) => { d.signatures.push({ ...d.signatures[0] }); }],
    ['two keyids', (d) => { d.signatures.push({ keyid: 'ab'.repeat(32), sig: 'cd'.repeat(64) }); }],
    ['no signatures', (d) => { d.signatures = []; }],
    ['signature not an object', (d) => { d.signatures = ['x']; }],
    ['sig not a string', (d) => { d.signatures[0].sig = 5; }],
    ['signatures missing', (d) => { delete d.signatures; }],
    ['signed not an object', (d) => { d.signed = 'x'; }],
  ];
  let tapeTaken = 0;
  for (const [what, edit] of edits) {
    const d = packageRole();
    edit(d);
    const text = JSON.stringify(d).replace(/"@@(-?\d+)"/g, '$1');
    for (const role of ['targets', undefined, 'snapshot'] as const) {
      const r = both(enc(text), role);
      assert.equal(r.fast, r.general, `${what} (${role}): ${r.fast} vs ${r.general}`);
      if (r.tape && role === 'targets') tapeTaken++;
    }
  }
  // the edits that keep the usual shape are read by the tape path (not every case fell back)
  assert.ok(tapeTaken >= 8, `tape path taken ${tapeTaken} times`);
});

test('rejects the same reordered, escaped or spaced documents as the general path', () => {
  const d = packageRole();
  const canonical = JSON.stringify(d);
  const variants = [
    canonical,
    JSON.stringify({ signed: d.signed, signatures: d.signatures }), // envelope keys out of order
    JSON.stringify(d, null, 1), // whitespace: signed bytes canonicalized, not taken in place
    canonical.replace('"_type"', '"\\u005ftype"'), // an escaped key
    canonical.replace('"length":', '"len\\u0067th":'),
    canonical.replace('"sha256"', '"sha\\u00325\\u0036"'),
    canonical.replace('"@s/pkg/', '"\\u0040s/pkg/'), // an escaped path
    canonical.replace('"targets","expires"', '"targets","version":3,"expires"').replace(/,"version":3}}$/, '}}'), // signed keys out of order
    canonical.replace('"version":3', '"version":3,"version":4'), // duplicate key: refused by the tokenizer for both
    canonical.replace('"version":3', '"version":3.0'),
    canonical.replace('"version":3', '"version":9007199254740993'),
    canonical.replace('"hashes":', '"x\\ud800":1,"hashes":'),
    canonical.replace('"expires":"', '"expires":"\\u0032'),
  ];
  for (const v of variants) {
    for (const bytes of [enc(v), enc(v.replace('@s/pkg', '@s/pkg\u00e9'))]) {
      const r = both(bytes, 'targets');
      assert.equal(r.fast, r.general, v.slice(0, 200));
    }
  }
});

test('every role of a signed repository and the sigstore root (written by python-tuf) read alike on both paths', () => {
  const repo = makeRepo();
  for (const [role, md] of [['root', repo.root], ['timestamp', repo.timestamp], ['snapshot', repo.snapshot], ['targets', repo.targets]] as const) {
    const r = both(md.toBytes(), role);
    assert.equal(r.fast, r.general, role);
  }
  const sigstore = readFileSync(new URL('../../test/vectors/sigstore-root-v14.json', import.meta.url));
  const r = both(sigstore, 'root');
  assert.equal(r.fast, r.general);
  assert.ok(!r.fast.startsWith('refused'), r.fast.slice(0, 200));
});
