// A root, a timestamp and an npm-profile snapshot with many entries, signed with real ed25519 keys and
// written as canonical JSON (as tufpm-repo writes them), for bench/snapshot-size.mjs.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalize, generateEd25519KeyPair } from '@tufpm/models';

const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function envelope(signed, keyPairs) {
  const bytes = canonicalize(signed);
  const signatures = keyPairs.map((k) => ({ keyid: k.key.keyid, sig: k.signer.sign(bytes) }));
  return canonicalize({ signatures, signed });
}

/** npm-like names, ~22 characters on average, a third of them scoped */
function names(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const h = createHash('sha256').update(String(i)).digest('hex');
    out.push(i % 3 === 0 ? `@${h.slice(0, 6)}/${h.slice(6, 16)}-${i}` : `${h.slice(0, 10)}-js-${i}`);
  }
  return out;
}

export function buildFiles(dir, entries) {
  const expires = new Date(Date.now() + 365 * 86_400_000);
  const keys = { root: generateEd25519KeyPair(), timestamp: generateEd25519KeyPair(), snapshot: generateEd25519KeyPair(), targets: generateEd25519KeyPair() };
  const role = (k) => ({ keyids: [k.key.keyid], threshold: 1 });
  const root = envelope({
    _type: 'root', spec_version: '1.0.31', version: 1, expires: iso(expires), consistent_snapshot: true,
    keys: Object.fromEntries(Object.values(keys).map((k) => [k.key.keyid, k.key.toJSON()])),
    roles: { root: role(keys.root), timestamp: role(keys.timestamp), snapshot: role(keys.snapshot), targets: role(keys.targets) },
  }, [keys.root]);
  const metaFor = (name, version) => ({ hashes: { sha256: createHash('sha256').update(name).digest('hex') }, length: 1000 + (version * 37) % 90000, version });
  const meta = { 'targets.json': metaFor('targets', 7), 'unclaimed.json': metaFor('unclaimed', 3) };
  for (let i = 0; i < 256; i++) meta[`unclaimed-${i.toString(16).padStart(2, '0')}.json`] = metaFor(`b${i}`, 1 + (i % 50));
  const all = names(entries);
  all.forEach((name, i) => { meta[`${name}.json`] = metaFor(name, 1 + (i % 40)); });
  const snapshot = envelope({ _type: 'snapshot', spec_version: '1.0.31', version: 5, expires: iso(expires), meta }, [keys.snapshot]);
  const timestamp = envelope({
    _type: 'timestamp', spec_version: '1.0.31', version: 9, expires: iso(expires),
    meta: { 'snapshot.json': { hashes: { sha256: createHash('sha256').update(snapshot).digest('hex') }, length: snapshot.length, version: 5 } },
  }, [keys.timestamp]);
  writeFileSync(join(dir, 'root.json'), root);
  writeFileSync(join(dir, 'timestamp.json'), timestamp);
  writeFileSync(join(dir, 'snapshot.json'), snapshot);
  // an install's lookups: 600 claimed roles spread over the snapshot
  const step = Math.max(1, Math.floor(all.length / 600));
  writeFileSync(join(dir, 'lookups.json'), JSON.stringify(all.filter((_, i) => i % step === 0).slice(0, 600)));
  return { bytes: snapshot.length };
}
