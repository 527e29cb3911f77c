// `tufpm-overlay serve`: the documented cache headers on the wire (docs/overlay.md section 5), and nothing
// outside metadata/ served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateEd25519KeyPair } from '@tufpm/models';
import { initOverlay } from '../src/index.js';

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
