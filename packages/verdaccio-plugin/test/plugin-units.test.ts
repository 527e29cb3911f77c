import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handOn } from '../src/hand-on.js';
import { parsePluginConfig } from '../src/config.js';
import { restrictToReleaseList } from '../src/filter.js';
import { refuseSignedPackageRemoval, refuseSignedRemovalByChange, refuseSignedTarballRemoval } from '../src/removal.js';
import type { SignedReleaseLists } from '../src/signed-lists.js';
import type { PluginOptions } from '../src/verdaccio-types.js';

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

test('config: paths are read relative to config.yaml; a missing keys directory is a coded configuration error', () => {
  const options: PluginOptions = { config: { configPath: '/etc/verdaccio/config.yaml' }, logger };
  const c = parsePluginConfig({ dir: './tufpm', keys: '/srv/keys' }, options);
  assert.deepEqual([c.dir, c.keys, c.maxBodyBytes], ['/etc/verdaccio/tufpm', '/srv/keys', 64 * 1024 * 1024]);
  assert.throws(() => parsePluginConfig({ dir: './tufpm' }, options), { code: 'VERDACCIO_TUFPM_CONFIG' });
  assert.throws(() => parsePluginConfig({ dir: './tufpm', keys: 'k', max_body_bytes: -1 }, options), { code: 'VERDACCIO_TUFPM_CONFIG' });
});

test('config: snapshot selects the profile (classic by default, merkle); anything else is a coded configuration error', () => {
  const options: PluginOptions = { config: { configPath: '/etc/verdaccio/config.yaml' }, logger };
  assert.equal(parsePluginConfig({ dir: 'd', keys: 'k' }, options).snapshot, 'classic');
  assert.equal(parsePluginConfig({ dir: 'd', keys: 'k', snapshot: 'merkle' }, options).snapshot, 'merkle');
  assert.throws(() => parsePluginConfig({ dir: 'd', keys: 'k', snapshot: 'Merkle' }, options), { code: 'VERDACCIO_TUFPM_CONFIG' });
});

test('config: claim requests over HTTP are closed by default where htpasswd lets anyone register (one party with many accounts would fill the claim queue), open where it does not', () => {
  const withAuth = (auth: Record<string, unknown> | undefined): PluginOptions => ({ config: { configPath: '/etc/verdaccio/config.yaml', ...(auth === undefined ? {} : { auth }) }, logger });
  const requests = (o: PluginOptions, raw?: unknown): boolean => parsePluginConfig({ dir: 'd', keys: 'k', ...(raw === undefined ? {} : { maintainer_requests: raw }) }, o).claimRequests;
  assert.equal(requests(withAuth({ htpasswd: { file: './htpasswd' } })), false, 'no max_users: Verdaccio allows unbounded registration');
  assert.equal(requests(withAuth({ htpasswd: { file: './htpasswd', max_users: 1000 } })), false);
  assert.equal(requests(withAuth({ htpasswd: { file: './htpasswd', max_users: -1 } })), true, 'registration closed: accounts are the operator\'s');
  assert.equal(requests(withAuth({ ldap: { url: 'ldap://x' } })), true, 'another auth plugin: accounts are managed elsewhere');
  assert.equal(requests(withAuth({ htpasswd: { file: './htpasswd' } }), 'open'), true, 'the operator may open them explicitly');
  assert.equal(requests(withAuth({ htpasswd: { file: './htpasswd', max_users: -1 } }), 'closed'), false);
  assert.throws(() => requests(withAuth(undefined), 'yes'), { code: 'VERDACCIO_TUFPM_CONFIG' });
});

/** A real HTTP server whose "Verdaccio" answers with `status`; the test drives handOn like the plugin. */
async function exchange(status: number, after: (h: ReturnType<typeof handOn>, stored: Promise<void>) => Promise<void>): Promise<{ status: number; body: string; order: string[] }> {
  const order: string[] = [];
  const server = createServer((_req, res: ServerResponse) => {
    const h = handOn(res, () => {
      order.push('verdaccio stores');
      res.statusCode = status;
      res.end(JSON.stringify({ ok: status < 300 }));
    }, 5_000);
    const stored = h.store();
    void after(h, stored).then(() => order.push('answered'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return { status: res.status, body: await res.text(), order };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

test('hand-on: Verdaccio\'s success is held until the signed metadata is written, then sent', async () => {
  const r = await exchange(201, async (h, stored) => {
    await stored;
    await new Promise((res) => setTimeout(res, 20));
    // the answer has not gone out yet: the metadata step runs here
    h.release();
  });
  assert.equal(r.status, 201);
  assert.deepEqual(JSON.parse(r.body), { ok: true });
});

test('hand-on: a store Verdaccio refuses rejects (nothing signed) and its own refusal is what the publisher sees', async () => {
  let rejected: unknown;
  const r = await exchange(409, async (h, stored) => {
    await stored.catch((err: unknown) => (rejected = err));
    h.release();
  });
  assert.equal((rejected as { code?: string }).code, 'VERDACCIO_STORE_FAILED');
  assert.equal(r.status, 409);
});

test('filter: a packument offering versions and tags beyond the signed release list is restricted to it; other fields stay', () => {
  const manifest = {
    name: 'up', readme: 'r',
    versions: { '1.0.0': { version: '1.0.0' }, '1.1.0': { version: '1.1.0' }, '2.0.0-rc.1': { version: '2.0.0-rc.1' } },
    'dist-tags': { latest: '1.1.0', next: '2.0.0-rc.1' },
  };
  const out = restrictToReleaseList(manifest, { versions: ['1.0.0'], distTags: { latest: '1.0.0' } });
  assert.deepEqual(Object.keys(out.versions ?? {}), ['1.0.0']);
  assert.deepEqual(out['dist-tags'], { latest: '1.0.0' });
  assert.equal(out['readme'], 'r');
  assert.deepEqual(Object.keys(manifest.versions).length, 3, 'the input is not modified');
});

test('removal: a change that leaves a stored signed version out, or sends it as null, is refused (unpublish); deprecate, star and unsigned versions pass', async () => {
  const lists = { releaseList: async (name: string) => (name === 'signed' ? { versions: ['1.0.0', '1.0.1'], distTags: { latest: '1.0.1' } } : undefined) } as unknown as SignedReleaseLists;
  const local = { versions: { '1.0.0': {}, '1.0.1': {}, '1.0.2-unsigned': {} } };
  const refused = { code: 'VERDACCIO_SIGNED_RELEASE_REMOVAL' };
  await refuseSignedRemovalByChange(lists, 'signed', { versions: { '1.0.0': { deprecated: 'old' }, '1.0.1': {} } }, local);
  await refuseSignedRemovalByChange(lists, 'signed', { versions: { '1.0.0': {}, '1.0.1': {} } }, local); // the unsigned 1.0.2 goes
  await refuseSignedRemovalByChange(lists, 'signed', { users: { bob: true } }, local); // star: Verdaccio keeps its versions
  await refuseSignedRemovalByChange(lists, 'unsigned', { versions: {} }, local);
  await assert.rejects(refuseSignedRemovalByChange(lists, 'signed', { versions: { '1.0.1': {} } }, local), refused);
  await assert.rejects(refuseSignedRemovalByChange(lists, 'signed', { _attachments: {} }, local), refused, 'no versions: Verdaccio would remove them all');
  await assert.rejects(refuseSignedRemovalByChange(lists, 'signed', { versions: [] }, local), refused);
  // Verdaccio 6.8 deletes a stored version whose incoming value is null: as much a removal as leaving it out (red team s7 F1)
  await assert.rejects(refuseSignedRemovalByChange(lists, 'signed', { versions: { '1.0.0': null, '1.0.1': {} } }, local), refused, 'a null version');
  await assert.rejects(refuseSignedRemovalByChange(lists, 'signed', { versions: { '1.0.0': 'x', '1.0.1': {} } }, local), refused, 'a non-object version');
  await assert.rejects(refuseSignedPackageRemoval(lists, 'signed'), refused);
  await refuseSignedPackageRemoval(lists, 'unsigned');
  await assert.rejects(refuseSignedTarballRemoval(lists, 'signed', 'signed-1.0.0.tgz'), refused);
  await refuseSignedTarballRemoval(lists, 'signed', 'signed-1.0.2-unsigned.tgz');
});
