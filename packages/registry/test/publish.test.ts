import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:http';
import { TufError } from '@tufpm/models';
import { RegistryError, addToken, buildPackageTarball, parsePublishDocument, readStoredPackument, type PublishEvent } from '../src/index.js';
import { rawTar, withRegistry } from './helpers.js';

/** The body npm 11 (libnpmpublish) sends for `npm publish`. */
function publishBody(name: string, version: string, tarball: Uint8Array, extra: Record<string, unknown> = {}): string {
  const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
  return JSON.stringify({
    _id: name,
    name,
    'dist-tags': { latest: version },
    versions: { [version]: { name, version, _id: `${name}@${version}`, dist: { integrity } } },
    access: null,
    _attachments: {
      [`${name}-${version}.tgz`]: { content_type: 'application/octet-stream', data: Buffer.from(tarball).toString('base64'), length: tarball.length },
    },
    ...extra,
  });
}

async function put(url: string, body: string, token?: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'PUT',
    body,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.status, json: await res.json() };
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).sort();
}

test('publish with a valid token stores the tarball and the packument', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    const token = await addToken(dir, { user: 'alice' });
    const tgz = buildPackageTarball({ name: '@acme/widget', version: '1.0.0' });
    const res = await put(`${registry.url}/@acme%2fwidget`, publishBody('@acme/widget', '1.0.0', tgz), token);
    assert.equal(res.status, 201, JSON.stringify(res.json));
    const doc = (await (await fetch(`${registry.url}/@acme%2fwidget`)).json()) as any;
    assert.equal(doc['dist-tags'].latest, '1.0.0');
    const served = await fetch(doc.versions['1.0.0'].dist.tarball);
    assert.deepEqual(new Uint8Array(await served.arrayBuffer()), tgz);
    const whoami = await fetch(`${registry.url}/-/whoami`, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(await whoami.json(), { username: 'alice' });
    assert.equal(registry.counts().publish, 1);
  } finally {
    await done();
  }
});

test('rejects publish without a token (401) and with a wrong or out-of-scope token (403)', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    const scoped = await addToken(dir, { user: 'bob', packages: ['@bob/*', 'bobs-tool'] });
    const tgz = buildPackageTarball({ name: 'victim', version: '9.9.9' });
    const body = publishBody('victim', '9.9.9', tgz);
    const none = await put(`${registry.url}/victim`, body);
    assert.equal(none.status, 401);
    assert.match(none.json.error, /authentication required/);
    assert.equal((await put(`${registry.url}/victim`, body, 'tufpm_guessed')).status, 403);
    assert.equal((await put(`${registry.url}/victim`, body, scoped)).status, 403);
    assert.equal((await fetch(`${registry.url}/-/whoami`)).status, 401);
    assert.deepEqual(await filesUnder(dir), ['tokens.json']);
    const own = buildPackageTarball({ name: '@bob/lib', version: '0.1.0' });
    assert.equal((await put(`${registry.url}/@bob%2flib`, publishBody('@bob/lib', '0.1.0', own), scoped)).status, 201);
  } finally {
    await done();
  }
});

test('rejects a tarball whose package.json names another package or version, writing nothing', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    const token = await addToken(dir, { user: 'mallory' });
    const other = buildPackageTarball({ name: 'evil', version: '1.0.0' });
    const r1 = await put(`${registry.url}/good`, publishBody('good', '1.0.0', other), token);
    assert.equal(r1.status, 400);
    assert.equal(r1.json.code, 'REGISTRY_TARBALL_MISMATCH');
    const older = buildPackageTarball({ name: 'good', version: '0.0.1' });
    const r2 = await put(`${registry.url}/good`, publishBody('good', '1.0.0', older), token);
    assert.equal(r2.json.code, 'REGISTRY_TARBALL_MISMATCH');
    // A claimed integrity that does not match the attachment is refused too.
    const good = buildPackageTarball({ name: 'good', version: '1.0.0' });
    const forged = JSON.parse(publishBody('good', '1.0.0', good));
    forged.versions['1.0.0'].dist.integrity = `sha512-${createHash('sha512').update('x').digest('base64')}`;
    assert.equal((await put(`${registry.url}/good`, JSON.stringify(forged), token)).status, 400);
    assert.deepEqual(await filesUnder(dir), ['tokens.json']);
    assert.equal((await fetch(`${registry.url}/good`)).status, 404);
  } finally {
    await done();
  }
});

test('stored manifest comes from the tarball, not from dependencies claimed in the publish body', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    const token = await addToken(dir, { user: 'alice' });
    const tgz = buildPackageTarball({ name: 'honest', version: '1.0.0', dependencies: { a: '^1.0.0' } });
    const body = JSON.parse(publishBody('honest', '1.0.0', tgz));
    body.versions['1.0.0'].dependencies = { 'hidden-malware': '*' };
    assert.equal((await put(`${registry.url}/honest`, JSON.stringify(body), token)).status, 201);
    const stored = await readStoredPackument(dir, 'honest');
    assert.deepEqual(stored!.versions['1.0.0']!['dependencies'], { a: '^1.0.0' });
  } finally {
    await done();
  }
});

test('rejects republishing an existing version (409) and keeps the original bytes', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    const token = await addToken(dir, { user: 'alice' });
    const first = buildPackageTarball({ name: 'dup', version: '1.0.0' });
    assert.equal((await put(`${registry.url}/dup`, publishBody('dup', '1.0.0', first), token)).status, 201);
    const second = buildPackageTarball({ name: 'dup', version: '1.0.0', files: { 'index.js': 'evil()' } });
    const res = await put(`${registry.url}/dup`, publishBody('dup', '1.0.0', second), token);
    assert.equal(res.status, 409);
    assert.match(res.json.error, /previously published/);
    const served = await fetch(`${registry.url}/dup/-/dup-1.0.0.tgz`);
    assert.deepEqual(new Uint8Array(await served.arrayBuffer()), first);
  } finally {
    await done();
  }
});

test('rejects a body over the size limit before reading it (endless upload)', async () => {
  const { registry, dir, done } = await withRegistry({ maxBodyBytes: 64 * 1024 });
  try {
    const token = await addToken(dir, { user: 'alice' });
    const big = buildPackageTarball({ name: 'big', version: '1.0.0', files: { 'blob.bin': new Uint8Array(randomBytes(200 * 1024)) } });
    const declared = await put(`${registry.url}/big`, publishBody('big', '1.0.0', big), token);
    assert.equal(declared.status, 413);
    // Chunked upload without Content-Length: cut off once it passes the limit.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${registry.url}/big`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 2 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    assert.equal(status, 413);
    assert.deepEqual(await filesUnder(dir), ['tokens.json']);
  } finally {
    await done();
  }
});

test('publish hooks see the exact bytes and hashes and can refuse with a TufError', async () => {
  const seen: PublishEvent[] = [];
  const after: string[] = [];
  const { registry, dir, done } = await withRegistry({
    hooks: {
      async beforeAccept(event) {
        seen.push(event);
        if (event.name === 'unsigned') throw new TufError('TUF_THRESHOLD', 'claimed package: maintainer signatures missing');
      },
      async afterAccept(event) {
        after.push(`${event.name}@${event.version}`);
        assert.ok((await readFile(event.tarballFile)).equals(Buffer.from(event.tarball)));
      },
    },
  });
  try {
    const token = await addToken(dir, { user: 'alice' });
    const tgz = buildPackageTarball({ name: 'signed', version: '2.0.0' });
    const res = await put(`${registry.url}/signed`, publishBody('signed', '2.0.0', tgz, { tufpm: { role: 'x' } }), token);
    assert.equal(res.status, 201);
    assert.equal(seen[0]!.tarballPath, 'signed/-/signed-2.0.0.tgz');
    assert.equal(seen[0]!.hashes.sha512, createHash('sha512').update(tgz).digest('hex'));
    assert.equal(seen[0]!.length, tgz.length);
    assert.equal(seen[0]!.user, 'alice');
    assert.deepEqual(seen[0]!.document['tufpm'], { role: 'x' });
    assert.deepEqual(after, ['signed@2.0.0']);

    const refused = await put(`${registry.url}/unsigned`, publishBody('unsigned', '1.0.0', buildPackageTarball({ name: 'unsigned', version: '1.0.0' })), token);
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error, 'claimed package: maintainer signatures missing');
    assert.equal((await fetch(`${registry.url}/unsigned`)).status, 404);
    assert.ok(!(await filesUnder(join(dir, 'packages'))).some((f) => f.startsWith('unsigned')));
  } finally {
    await done();
  }
});

test('rejects a publish whose tarball hides a second package.json (package/./package.json, package//package.json, package\\package.json), storing nothing', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    const token = await addToken(dir, { user: 'mallory' });
    const pj = '{"name":"twin","version":"1.0.0"}';
    const evil = '{"name":"twin","version":"1.0.0","dependencies":{"evil":"*"},"scripts":{"postinstall":"node x.js"}}';
    for (const hidden of ['package/./package.json', 'package//package.json', 'package\\package.json']) {
      const tgz = rawTar([{ path: 'package/package.json', data: pj }, { path: hidden, data: evil }]);
      const r = await put(`${registry.url}/twin`, publishBody('twin', '1.0.0', tgz), token);
      assert.equal(r.status, 400, hidden);
      assert.equal(r.json.code, 'REGISTRY_TARBALL_ENTRY', hidden);
    }
    assert.deepEqual(await filesUnder(dir), ['tokens.json']);
    assert.equal((await fetch(`${registry.url}/twin`)).status, 404);
  } finally {
    await done();
  }
});

test('rejects a publish body whose name is nested 20,000 arrays deep with REGISTRY_BAD_REQUEST, not a RangeError (fuzzing, issue 19)', () => {
  const tarball = buildPackageTarball({ name: 'left-pad', version: '1.0.0' });
  const deep = '['.repeat(20_000) + '"left-pad"' + ']'.repeat(20_000);
  // JSON.parse (what handlePublish uses) reads it; the refusal message used JSON.stringify, which recursed.
  const doc = JSON.parse(publishBody('left-pad', '1.0.0', tarball).replace('"name":"left-pad"', `"name":${deep}`)) as Record<string, unknown>;
  assert.ok(Array.isArray(doc['name']));
  assert.throws(() => parsePublishDocument(doc, 'left-pad'), (e: unknown) => e instanceof RegistryError && e.code === 'REGISTRY_BAD_REQUEST' && /publish body names an array/.test(e.message));
  const longName = JSON.parse(publishBody('left-pad', '1.0.0', tarball).replace('"name":"left-pad"', `"name":"${'x'.repeat(100_000)}"`)) as Record<string, unknown>;
  assert.throws(() => parsePublishDocument(longName, 'left-pad'), (e: unknown) => e instanceof RegistryError && e.message.length < 400);
});
