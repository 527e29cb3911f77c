// TrustedMetadataSet verifies signatures over the canonical JSON of `signed` (TUF 4.1), whether the file
// holds `signed` in canonical form already (verified in place) or in any other JSON spelling (canonicalized).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalize, sortedJson } from '@tufpm/models';
import { TrustedMetadataSet } from '../src/index.js';
import { RepoSim, newKey, type SimKey } from './helpers/simulator.js';

type Json = Record<string, unknown>;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** An envelope whose `signed` is written as `signedText`, signed over `signedOver`. */
function envelope(signedText: string, signedOver: Uint8Array, keys: SimKey[]): Uint8Array {
  const signatures = keys.map((k) => ({ keyid: k.keyid, sig: k.signer.sign(signedOver) }));
  return enc(`{"signatures":${JSON.stringify(signatures)},"signed":${signedText}}`);
}

function setWithRole(): { sim: RepoSim; set: TrustedMetadataSet; key: SimKey; role: Json } {
  const sim = new RepoSim();
  const key = newKey();
  sim.addDelegation('targets', { name: 'pkg', paths: ['pkg/-/*'], keys: [key] });
  sim.publish('targets');
  sim.updateSnapshot();
  const set = new TrustedMetadataSet(sim.rootBytes(1), new Date());
  set.updateTimestamp(sim.latest.get('timestamp')!);
  set.updateSnapshot(sim.latest.get('snapshot')!);
  set.updateTargets(sim.latest.get('targets')!);
  const role = { ...sim.role('pkg'), x_unknown: { b: 'é', a: [1, { z: null, y: 'say "hi"' }] } };
  return { sim, set, key, role };
}

test('rejects a signature over the non-canonical bytes of signed', () => {
  const { set, key, role } = setWithRole();
  const sortedIndented = JSON.stringify(JSON.parse(new TextDecoder().decode(sortedJson(role))), null, 2);
  const variants = [sortedIndented, JSON.stringify(role, null, 2), JSON.stringify(role), JSON.stringify(role).replace('é', '\\u00e9')];
  for (const text of variants) {
    // signed over exactly the bytes the file holds, which are not the canonical form
    assert.notDeepEqual(Buffer.from(enc(text)), Buffer.from(canonicalize(role)));
    assert.throws(() => set.updateDelegatedTargets(envelope(text, enc(text), [key]), 'pkg', ['targets']), { code: 'TUF_THRESHOLD' });
  }
  assert.equal(set.getRole(['targets', 'pkg']), undefined);
});

test('a non-canonical file signed over the canonical form still verifies', () => {
  const { set, key, role } = setWithRole();
  const canonical = canonicalize(role);
  for (const text of [JSON.stringify(role, null, 2), JSON.stringify(role).replace('é', '\\u00e9')]) {
    const md = set.updateDelegatedTargets(envelope(text, canonical, [key]), 'pkg', ['targets']);
    assert.deepEqual(md.signed.unrecognized['x_unknown'], role.x_unknown);
  }
});

test('a canonical file is verified in place and gives the same result', () => {
  const { set, key, role } = setWithRole();
  const canonical = canonicalize(role);
  // sortedJson writes no whitespace and sorted keys: here (no control characters) exactly canonical JSON
  assert.deepEqual(Buffer.from(sortedJson(role)), Buffer.from(canonical));
  const md = set.updateDelegatedTargets(envelope(new TextDecoder().decode(canonical), canonical, [key]), 'pkg', ['targets']);
  assert.deepEqual(Buffer.from(md.signedBytes()), Buffer.from(canonical));
});

test('top-level roles: a signature over the raw non-canonical bytes does not verify', () => {
  const sim = new RepoSim();
  const [tsKey] = sim.signers.get('timestamp')!;
  const [rootKey] = sim.signers.get('root')!;
  const ts = JSON.stringify(sim.timestamp, null, 1);
  const set = new TrustedMetadataSet(sim.rootBytes(1), new Date());
  assert.throws(() => set.updateTimestamp(envelope(ts, enc(ts), [tsKey!])), { code: 'TUF_THRESHOLD' });
  assert.equal(set.updateTimestamp(envelope(ts, canonicalize(sim.timestamp), [tsKey!])).updated, true);
  const root = JSON.stringify(sim.root, null, 1);
  assert.throws(() => new TrustedMetadataSet(envelope(root, enc(root), [rootKey!]), new Date()), { code: 'TUF_THRESHOLD' });
  assert.ok(new TrustedMetadataSet(envelope(root, canonicalize(sim.root), [rootKey!]), new Date()));
});
