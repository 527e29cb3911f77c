import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NpmRepository } from '../src/index.js';
import { claimRequestToJSON, createClaimRequest } from '../src/maintainer/claims.js';
import { createKeyChange, keyChangeToJSON, signKeyChange, type KeyChangeRequest } from '../src/maintainer/key-change.js';
import { MAX_PENDING_PER_USER, requestFile } from '../src/maintainer/request-store.js';
import { signRole } from '../src/maintainer/role-build.js';
import { maintainer, registryModule, startWorld, type Maintainer, type World } from './maintainer-world.js';

async function put(w: World, route: 'claims' | 'key-changes', name: string, token: string, body: unknown): Promise<{ status: number; json: { code?: string; error?: string } }> {
  const res = await fetch(`${w.url}-/tufpm/${route}/${encodeURIComponent(name)}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as { code?: string; error?: string } };
}

async function keyChange(w: World, name: string, approvers: Maintainer[], add: Maintainer): Promise<KeyChangeRequest> {
  const repo = await NpmRepository.open({ dir: w.M, keysDir: w.K });
  const current = repo.claimedRole(name)!;
  const currentKeys = current.keyids.map((id) => repo.repo.targets.signed.delegations!.keys.get(id)!);
  const change = createKeyChange({ name, currentKeys, currentRole: repo.repo.targetsRole(name), add: [add.key], threshold: 2, now: new Date() });
  for (const m of [...approvers, add]) signKeyChange(change, m.signer, current.keyids);
  return change;
}

function freshClaim(name: string, m: Maintainer): Record<string, unknown> {
  const req = createClaimRequest({ name, keys: [m.key], threshold: 1, existing: [], now: new Date() });
  signRole(req.role, [m.signer]);
  return claimRequestToJSON(req);
}

test('rejects a claim that overwrites the pending key change of another package: a token of pkg-a.key-change cannot reach pkg-a\'s request', async () => {
  const w = await startWorld();
  try {
    const [a, b, c, m] = [maintainer(), maintainer(), maintainer(), maintainer()];
    await w.claim('pkg-a', [a, b], 2);
    const alices = await put(w, 'key-changes', 'pkg-a', w.token, keyChangeToJSON(await keyChange(w, 'pkg-a', [a, b], c)));
    assert.equal(alices.status, 201, JSON.stringify(alices.json));
    const stored = await readFile(requestFile(w.R, 'key-change', 'pkg-a'));
    const { addToken } = await registryModule();
    const mallory = await addToken(w.R, { user: 'mallory', packages: ['pkg-a.key-change', 'pkg-a.approved'] });
    // before the fix both landed in tuf/claims/: pkg-a.key-change.json was alice's key change
    assert.equal((await put(w, 'claims', 'pkg-a.key-change', mallory, freshClaim('pkg-a.key-change', m))).status, 201);
    assert.equal((await put(w, 'claims', 'pkg-a.approved', mallory, freshClaim('pkg-a.approved', m))).status, 201);
    assert.deepEqual(await readFile(requestFile(w.R, 'key-change', 'pkg-a')), stored, 'alice\'s pending key change is untouched');
    assert.deepEqual((await readdir(join(w.R, 'tuf', 'claims'))).sort(), ['pkg-a.approved.json', 'pkg-a.key-change.json']);
    assert.deepEqual(await readdir(join(w.R, 'tuf', 'key-changes')), ['pkg-a.json']);
  } finally {
    await w.close();
  }
});

test('rejects a key change below its approval threshold, or of a package that is not claimed, before storing it', async () => {
  const w = await startWorld();
  try {
    const [a, b, c] = [maintainer(), maintainer(), maintainer()];
    await w.claim('pkg-b', [a, b], 2);
    const half = await put(w, 'key-changes', 'pkg-b', w.token, keyChangeToJSON(await keyChange(w, 'pkg-b', [a], c)));
    assert.equal(half.status, 400);
    assert.equal(half.json.code, 'TUF_CLAIM');
    assert.match(half.json.error ?? '', /1 of 2 current maintainers/);
    const forged = await keyChange(w, 'pkg-b', [a, b], c);
    forged.threshold = 1; // the approvals cover threshold 2
    assert.match((await put(w, 'key-changes', 'pkg-b', w.token, keyChangeToJSON(forged))).json.error ?? '', /does not verify/);
    const unclaimed = keyChangeToJSON(await keyChange(w, 'pkg-b', [a, b], c));
    unclaimed['name'] = 'never-published';
    const res = await put(w, 'key-changes', 'never-published', w.token, unclaimed);
    assert.equal(res.status, 404);
    await assert.rejects(readdir(join(w.R, 'tuf', 'key-changes')), { code: 'ENOENT' }, 'nothing stored');
  } finally {
    await w.close();
  }
});

test(`rejects claim requests past ${MAX_PENDING_PER_USER} pending per user, and large claims of names never published (a scope token filling the disk)`, async () => {
  const w = await startWorld();
  try {
    const m = maintainer();
    const { addToken } = await registryModule();
    const scope = await addToken(w.R, { user: 'scoped', packages: ['@acme/*'] });
    for (let i = 0; i < MAX_PENDING_PER_USER; i++) assert.equal((await put(w, 'claims', `@acme/p${i}`, scope, freshClaim(`@acme/p${i}`, m))).status, 201);
    const over = await put(w, 'claims', '@acme/one-more', scope, freshClaim('@acme/one-more', m));
    assert.equal(over.status, 429);
    assert.equal(over.json.code, 'TUF_REQUESTS_PENDING');
    // replacing one's own pending request of a package is not a new one
    assert.equal((await put(w, 'claims', '@acme/p0', scope, freshClaim('@acme/p0', m))).status, 201);
    // another user is not blocked by the scoped token's requests
    assert.equal((await put(w, 'claims', 'other-name', w.token, freshClaim('other-name', m))).status, 201);
    const big = { ...freshClaim('@acme/p1', m), padding: 'x'.repeat(100 * 1024) };
    assert.equal((await put(w, 'claims', '@acme/p1', scope, big)).status, 413, 'a never-published name adopts no versions: 64 KiB is plenty');
    assert.equal((await readdir(join(w.R, 'tuf', 'claims'))).filter((f) => f.endsWith('.json')).length, MAX_PENDING_PER_USER + 1);
  } finally {
    await w.close();
  }
});

test('the maintainer routes refuse every token when tokens.json lists packages as a string, as the registry does', async () => {
  const w = await startWorld();
  try {
    const m = maintainer();
    const tokens = JSON.parse(await readFile(join(w.R, 'tokens.json'), 'utf8')) as { tokens: Array<Record<string, unknown>> };
    tokens.tokens[0]!['packages'] = 'left-pad'; // not an array: read as "any package" before the fix
    await writeFile(join(w.R, 'tokens.json'), JSON.stringify(tokens));
    const res = await put(w, 'claims', 'some-other-pkg', w.token, freshClaim('some-other-pkg', m));
    assert.equal(res.status, 500);
    assert.equal(res.json.code, 'TUF_TOKENS_FILE');
    const publish = await fetch(`${w.url}some-other-pkg`, { method: 'PUT', headers: { authorization: `Bearer ${w.token}` }, body: '{}' });
    assert.equal(publish.status, 400, 'the registry refuses the same file');
    await assert.rejects(readdir(join(w.R, 'tuf', 'claims')), { code: 'ENOENT' });
  } finally {
    await w.close();
  }
});
