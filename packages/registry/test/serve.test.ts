import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { addPackageVersion, buildPackageTarball, readTarballManifest, tufMetadataDir } from '../src/index.js';
import { rawGet, withRegistry } from './helpers.js';

const CORGI = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

test('serves full and abbreviated packuments with absolute tarball URLs, integrity and time', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    const tgz = buildPackageTarball({ name: 'left-pad', version: '1.3.0', dependencies: { 'right-pad': '^1.0.0' } });
    await addPackageVersion(dir, tgz, { time: '2021-02-03T04:05:06.000Z' });
    await addPackageVersion(dir, buildPackageTarball({ name: 'left-pad', version: '2.0.0-beta.1' }));

    const full = await fetch(`${registry.url}/left-pad`);
    assert.equal(full.status, 200);
    assert.match(full.headers.get('content-type')!, /^application\/json/);
    const doc = (await full.json()) as any;
    assert.equal(doc.name, 'left-pad');
    assert.equal(doc['dist-tags'].latest, '1.3.0', 'a prerelease does not become latest');
    const v = doc.versions['1.3.0'];
    assert.equal(v.dist.tarball, `${registry.url}/left-pad/-/left-pad-1.3.0.tgz`);
    assert.equal(v.dist.integrity, `sha512-${createHash('sha512').update(tgz).digest('base64')}`);
    assert.equal(v.dist.shasum, createHash('sha1').update(tgz).digest('hex'));
    assert.deepEqual(v.dependencies, { 'right-pad': '^1.0.0' });
    assert.equal(doc.time['1.3.0'], '2021-02-03T04:05:06.000Z');
    assert.ok(doc.time.created && doc.time.modified);

    const corgi = await fetch(`${registry.url}/left-pad`, { headers: { accept: CORGI } });
    assert.match(corgi.headers.get('content-type')!, /^application\/vnd\.npm\.install-v1\+json/);
    const abbreviated = (await corgi.json()) as any;
    assert.equal(abbreviated.versions['1.3.0'].dist.integrity, v.dist.integrity);
    assert.equal(abbreviated.versions['1.3.0'].description, undefined, 'abbreviated drops non-install fields');
    assert.equal(abbreviated.time['1.3.0'], '2021-02-03T04:05:06.000Z');

    const tarball = await fetch(v.dist.tarball);
    assert.equal(tarball.status, 200);
    assert.deepEqual(new Uint8Array(await tarball.arrayBuffer()), tgz);

    const byTag = (await (await fetch(`${registry.url}/left-pad/latest`)).json()) as any;
    assert.equal(byTag.version, '1.3.0');
    assert.deepEqual(registry.counts(), { packument: 3, tarball: 1, tuf: 0, publish: 0, other: 0 });
  } finally {
    await done();
  }
});

test('scoped packages answer under @scope%2fname, @scope%2Fname and @scope/name', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    const tgz = buildPackageTarball({ name: '@babel/core', version: '7.24.0' });
    const added = await addPackageVersion(dir, tgz);
    assert.equal(added.tarballPath, '@babel/core/-/core-7.24.0.tgz');
    for (const path of ['/@babel%2fcore', '/@babel%2Fcore', '/@babel/core']) {
      const res = await fetch(`${registry.url}${path}`);
      assert.equal(res.status, 200, path);
      const doc = (await res.json()) as any;
      assert.equal(doc.versions['7.24.0'].dist.tarball, `${registry.url}/@babel/core/-/core-7.24.0.tgz`);
    }
    const res = await fetch(`${registry.url}/@babel/core/-/core-7.24.0.tgz`);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), tgz);
  } finally {
    await done();
  }
});

test('unknown packages, invalid names and other routes get npm-style JSON errors', async () => {
  const { registry, done } = await withRegistry();
  try {
    const missing = await fetch(`${registry.url}/no-such-package`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as any).error, 'Not found');
    assert.equal((await fetch(`${registry.url}/Upper-Case`)).status, 400);
    assert.equal((await fetch(`${registry.url}/-/nothing`)).status, 404);
    assert.equal((await fetch(`${registry.url}/x/-/x-1.0.0.tgz`)).status, 404);
    assert.equal((await fetch(`${registry.url}/x`, { method: 'DELETE' })).status, 405);
    assert.deepEqual(await (await fetch(`${registry.url}/-/ping`)).json(), {});
  } finally {
    await done();
  }
});

test('serves TUF metadata verbatim, including encoded delegated role names', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    const meta = tufMetadataDir(dir);
    await mkdir(meta, { recursive: true });
    const root = '{"signed":{"_type":"root"},"signatures":[]}';
    await writeFile(join(meta, '1.root.json'), root);
    await writeFile(join(meta, `3.${encodeURIComponent('@babel/core')}.json`), '{"role":"@babel/core"}');
    const res = await fetch(`${registry.url}/-/tuf/metadata/1.root.json`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), root);
    for (const name of ['3.%40babel%2Fcore.json', '3.@babel%2Fcore.json', '3.%2540babel%252Fcore.json']) {
      const r = await fetch(`${registry.url}/-/tuf/metadata/${name}`);
      assert.equal(r.status, 200, name);
      assert.equal(await r.text(), '{"role":"@babel/core"}');
    }
    // @tufpm/models' encodeRoleName keeps '@' (`4.@babel%2Fcore.json` on disk, as the repo writes it).
    await writeFile(join(meta, '4.@babel%2Fcore.json'), '{"role":"@babel/core","v":4}');
    for (const name of ['4.@babel%2Fcore.json', '4.%40babel%2Fcore.json']) {
      const r = await fetch(`${registry.url}/-/tuf/metadata/${name}`);
      assert.equal(r.status, 200, name);
      assert.equal(await r.text(), '{"role":"@babel/core","v":4}');
    }
    assert.equal((await fetch(`${registry.url}/-/tuf/metadata/2.root.json`)).status, 404);
    assert.equal(registry.counts().tuf, 7);
  } finally {
    await done();
  }
});

test('rejects path traversal out of the TUF metadata and package directories', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    await mkdir(tufMetadataDir(dir), { recursive: true });
    await writeFile(join(dir, 'tokens.json'), '{"tokens":[],"marker":"TOKENS-CONTENT"}');
    await writeFile(join(dir, 'secret.json'), '{"marker":"SECRET-CONTENT"}');
    // A symlink planted inside the metadata dir must not be followed either.
    await symlink(join(dir, 'secret.json'), join(tufMetadataDir(dir), 'link.json'));
    const attempts = [
      '/-/tuf/metadata/..%2f..%2fsecret.json',
      '/-/tuf/metadata/%2e%2e%2f%2e%2e%2fsecret.json',
      '/-/tuf/metadata/../../secret.json',
      '/-/tuf/metadata/..%5c..%5csecret.json',
      '/-/tuf/metadata/.hidden.json',
      '/-/tuf/metadata/link.json',
      '/-/tuf/metadata/%2e%2e%252fsecret.json',
      '/..%2f..%2fsecret.json',
      '/x/-/..%2f..%2f..%2ftokens.json',
      '/%2e%2e/-/x.tgz',
      '/@x%2f..%2f..%2f..%2fsecret/-/a.tgz',
    ];
    for (const path of attempts) {
      const res = await rawGet(registry.port, path);
      assert.ok(res.status === 400 || res.status === 404, `${path} -> ${res.status}`);
      assert.doesNotMatch(res.body, /SECRET-CONTENT|TOKENS-CONTENT/, path);
    }
  } finally {
    await done();
  }
});

test('built tarballs are deterministic npm tarballs with package/ prefix', async () => {
  const a = buildPackageTarball({ name: '@acme/x', version: '1.0.0', files: { 'b.js': 'b', 'a.js': 'a' } });
  const b = buildPackageTarball({ name: '@acme/x', version: '1.0.0', files: { 'a.js': 'a', 'b.js': 'b' } });
  assert.deepEqual(a, b);
  const contents = await readTarballManifest(a);
  assert.equal(contents.manifest['name'], '@acme/x');
  const { list } = await import('tar');
  const { Readable } = await import('node:stream');
  const paths: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const stream = list({ onReadEntry: (e) => paths.push(e.path) });
    stream.on('end', resolve);
    stream.on('error', reject);
    Readable.from([Buffer.from(a)]).pipe(stream as unknown as NodeJS.WritableStream);
  });
  assert.deepEqual(paths, ['package/a.js', 'package/b.js', 'package/index.js', 'package/package.json']);
});

test('dist.tarball uses the configured public URL', async () => {
  const { registry, dir, done } = await withRegistry({ publicUrl: 'https://registry.example.test/npm/' });
  try {
    await addPackageVersion(dir, buildPackageTarball({ name: 'pub', version: '1.0.0' }));
    assert.equal(registry.url, 'https://registry.example.test/npm');
    const doc = (await (await fetch(`${registry.localUrl}/pub`)).json()) as any;
    assert.equal(doc.versions['1.0.0'].dist.tarball, 'https://registry.example.test/npm/pub/-/pub-1.0.0.tgz');
  } finally {
    await done();
  }
});

test('serves hash-prefixed tarball names (consistent snapshots) only for the true digest', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    const tgz = buildPackageTarball({ name: '@s/p', version: '1.0.0' });
    await addPackageVersion(dir, tgz);
    for (const alg of ['sha256', 'sha512']) {
      const hex = createHash(alg).update(tgz).digest('hex');
      const res = await fetch(`${registry.url}/@s/p/-/${hex}.p-1.0.0.tgz`);
      assert.equal(res.status, 200, alg);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), tgz);
    }
    const wrong = createHash('sha256').update('other').digest('hex');
    assert.equal((await fetch(`${registry.url}/@s/p/-/${wrong}.p-1.0.0.tgz`)).status, 404);
  } finally {
    await done();
  }
});

test('wrong-digest tarball requests: 50 at once for a 30 MiB tarball do not read it 50 times into memory', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    const tgz = buildPackageTarball({ name: 'big', version: '1.0.0' });
    await addPackageVersion(dir, tgz);
    // the stored file grows to 30 MiB (the registry serves the file as stored; only its digest matters here)
    const file = join(dir, 'packages', 'big', '-', 'big-1.0.0.tgz');
    await writeFile(file, Buffer.concat([Buffer.from(tgz), Buffer.alloc(30 * 1024 * 1024 - tgz.length, 1)]));
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const wrong = (i: number): string => createHash('sha512').update(`other ${i}`).digest('hex');
    const statuses = await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(`${registry.url}/big/-/${wrong(i)}.big-1.0.0.tgz`).then((r) => r.status)));
    clearInterval(sampler);
    assert.deepEqual(new Set(statuses), new Set([404]));
    // before: each request read and hashed the whole file (50 x 30 MiB; 252 MB -> 1.8 GB in the issue)
    assert.ok(peak - before < 300 * 1024 * 1024, `RSS grew ${Math.round((peak - before) / 1048576)} MB`);
    const right = createHash('sha512').update(await import('node:fs/promises').then((fs) => fs.readFile(file))).digest('hex');
    assert.equal((await fetch(`${registry.url}/big/-/${right}.big-1.0.0.tgz`)).status, 200, 'the true digest is still served');
  } finally {
    await done();
  }
});

test('metadata replaced (atomic rename) while it is served: every answer is one whole version, never one version\'s length with another\'s bytes', async () => {
  const { registry, dir, done } = await withRegistry();
  try {
    const { rename } = await import('node:fs/promises');
    const meta = tufMetadataDir(dir);
    await mkdir(meta, { recursive: true });
    const file = join(meta, 'timestamp.json');
    // versions of different lengths, as a repository writes them: temp file, then rename over the old one
    const version = (i: number): string => JSON.stringify({ signed: { version: i, pad: 'x'.repeat((i * 37) % 400) } });
    await writeFile(file, version(0));
    let writing = true;
    const writer = (async () => {
      for (let i = 1; writing; i++) {
        await writeFile(`${file}.tmp`, version(i));
        await rename(`${file}.tmp`, file);
      }
    })();
    let torn = 0;
    for (let n = 0; n < 400; n++) {
      const res = await fetch(`${registry.url}/-/tuf/metadata/timestamp.json`);
      const text = await res.text();
      if (res.status !== 200) continue;
      try {
        JSON.parse(text);
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        torn++;
      }
    }
    writing = false;
    await writer;
    assert.equal(torn, 0, `${torn} of 400 answers mixed two versions`);
  } finally {
    await done();
  }
});
