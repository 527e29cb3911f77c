// `tufpm-overlay serve`: the documented cache headers on the wire (docs/overlay.md section 5), and nothing
// outside metadata/ served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, generateEd25519KeyPair } from '@tufpm/models';
import { initOverlay, serveMetadata } from '../src/index.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'tufpm-overlay.js');

test('tufpm-overlay serve sends immutable for versioned files, max-age=60 for timestamp.json, and serves nothing outside metadata/', { timeout: 60_000 }, async (t) => {
  const repoDir = await mkdtemp(join(tmpdir(), 'overlay-serve-'));
  t.after(() => rm(repoDir, { recursive: true, force: true }));
  const { paths } = await initOverlay({ repoDir, upstream: 'https://registry.example/', reviewers: [generateEd25519KeyPair().key] });
  const child = spawn(process.execPath, [CLI, 'serve', '--repo', repoDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    child.kill();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^(http:\/\/\S+)\n/m.exec(out);
      if (line) resolve(line[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  const files = await readdir(paths.metadataDir);
  const versioned = files.filter((f) => /^\d+\./.test(f));
  assert.ok(versioned.includes('1.root.json'), files.join(' '));
  for (const file of versioned) {
    const res = await fetch(`${url}${file}`);
    assert.equal(res.status, 200, file);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable', file);
    assert.equal(res.headers.get('content-type'), 'application/json');
    await res.arrayBuffer();
  }
  const timestamp = await fetch(`${url}timestamp.json`);
  assert.equal(timestamp.status, 200);
  assert.equal(timestamp.headers.get('cache-control'), 'public, max-age=60');
  await timestamp.arrayBuffer();
  const head = await fetch(`${url}1.root.json`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  // the repository's config, keys and staged approvals are beside metadata/, never served
  for (const path of ['overlay.json', '..%2Foverlay.json', '../overlay.json', 'keys/online/timestamp.json', '%2e%2e/overlay.json']) {
    const res = await fetch(`${url}${path}`);
    assert.equal(res.status, 404, path);
    await res.arrayBuffer();
  }
  assert.equal((await fetch(`${url}timestamp.json`, { method: 'POST', body: 'x' })).status, 405);
});

test('a Merkle-profile overlay is static files: serve sends the proofs and delta.json under the signed root as immutable, never the tree store', async (t) => {
  const repoDir = await mkdtemp(join(tmpdir(), 'overlay-serve-merkle-'));
  t.after(() => rm(repoDir, { recursive: true, force: true }));
  const { paths } = await initOverlay({ repoDir, upstream: 'https://registry.example/', reviewers: [generateEd25519KeyPair().key], snapshot: 'merkle' });
  const server = await serveMetadata(paths.metadataDir);
  t.after(() => server.close());
  const ts = Metadata.timestamp(await readFile(join(paths.metadataDir, 'timestamp.json')));
  const { root } = ts.signed.unrecognized['x-tufpm-merkle'] as { root: string };
  for (const file of [`merkle/${root}/targets.proof.json`, `merkle/${root}/_approved.proof.json`, `merkle/${root}/delta.json`]) {
    const res = await fetch(`${server.url}${file}`);
    assert.equal(res.status, 200, file);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable', file);
    await res.arrayBuffer();
  }
  assert.ok((await readdir(join(paths.metadataDir, 'merkle', '.store'))).includes('head.json'), 'the store is in the metadata directory');
  for (const path of ['merkle/.store/head.json', `merkle/${root}/../.store/head.json`, `merkle/${root}/%2e%2e%2f.store%2fhead.json`, 'merkle/ab/targets.proof.json', `merkle/${root}/auditors/x.json`]) {
    const res = await fetch(`${server.url}${path}`);
    assert.equal(res.status, 404, path);
    await res.arrayBuffer();
  }
});
