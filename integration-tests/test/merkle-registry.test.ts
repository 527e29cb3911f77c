// The loopback registry in the Merkle snapshot profile (issue 21, ADR 0021): what a client fetches over HTTP.
// The client side (proof checks in installs, auditors, attack tests) is in the merkle-client tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, encodeRoleName } from '@tufpm/models';
import { parseDelta, verifyProof, type MerkleDelta } from '@tufpm/merkle';
import { createSignedRegistry } from '../src/harness/index.js';

async function get(url: string): Promise<{ status: number; bytes: Uint8Array; cache: string | null }> {
  const res = await fetch(url);
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()), cache: res.headers.get('cache-control') };
}

test('a merkle-profile registry serves the timestamp with the tree head, a proof per role under its root, delta.json, and no snapshot', async (t) => {
  const reg = await createSignedRegistry({ packages: 12, bitLength: 2, snapshot: 'merkle' });
  t.after(() => reg.close());
  const root = Metadata.root(reg.rootBytes);
  assert.equal(root.signed.unrecognized['x-tufpm-snapshot'], 'merkle');
  const ts = Metadata.timestamp((await get(`${reg.metadataUrl}timestamp.json`)).bytes);
  root.signed.verifyDelegate('timestamp', ts);
  const head = ts.signed.unrecognized['x-tufpm-merkle'] as { root: string; size: number };
  assert.equal((await get(`${reg.metadataUrl}${ts.signed.snapshotMeta.version}.snapshot.json`)).status, 404);
  const roles = ['targets', ...reg.repo.repo.delegated.keys()];
  assert.equal(head.size, roles.length);
  for (const name of roles) {
    const proof = await get(`${reg.metadataUrl}merkle/${head.root}/${encodeRoleName(name)}.proof.json`);
    assert.equal(proof.status, 200, name);
    assert.match(proof.cache ?? '', /immutable/);
    const r = verifyProof(proof.bytes, name, Buffer.from(head.root, 'hex'));
    assert.ok(r.present && r.value.version === reg.repo.repo.role(name).signed.version, name);
  }
  // A role that does not exist gets an absence proof; a root nobody committed is a 404.
  const absent = await get(`${reg.metadataUrl}merkle/${head.root}/no-such-role.proof.json`);
  assert.deepEqual(verifyProof(absent.bytes, 'no-such-role', Buffer.from(head.root, 'hex')), { present: false });
  assert.equal((await get(`${reg.metadataUrl}merkle/${'ab'.repeat(32)}/targets.proof.json`)).status, 404);
  assert.equal((await get(`${reg.metadataUrl}merkle/${head.root}/..%2F.store%2Fhead.json`)).status, 404);

  // A publish moves to a new root; the old root's proofs stay served (clients mid-install pinned it).
  const release = await reg.publish(reg.universe.packages.find((p) => !reg.claims.some((c) => c.name === p.name))!.name);
  const ts2 = Metadata.timestamp((await get(`${reg.metadataUrl}timestamp.json`)).bytes);
  const head2 = ts2.signed.unrecognized['x-tufpm-merkle'] as { root: string; size: number };
  assert.notEqual(head2.root, head.root);
  const delta: MerkleDelta = parseDelta((await get(`${reg.metadataUrl}merkle/${head2.root}/delta.json`)).bytes);
  assert.equal(delta.previous_root, head.root);
  assert.ok(delta.leaves.some((l) => l.name === release.role), `delta lists ${release.role}`);
  const old = verifyProof((await get(`${reg.metadataUrl}merkle/${head.root}/${encodeRoleName(release.role)}.proof.json`)).bytes, release.role, Buffer.from(head.root, 'hex'));
  const now = verifyProof((await get(`${reg.metadataUrl}merkle/${head2.root}/${encodeURIComponent(release.role)}.proof.json`)).bytes, release.role, Buffer.from(head2.root, 'hex'));
  assert.ok(old.present && now.present && now.value.version === old.value.version + 1);
});
