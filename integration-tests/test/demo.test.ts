import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../src/harness/index.js';

// Keeps the README honest: `npm run demo` is `npm run build && node scripts/demo.mjs`, and the build has
// run before the tests. The demo must verify the sample project with Yarn and npm, refuse the tampered
// tarball in both with its code, and leave nothing behind in its temp directory.

function runDemo(tmp: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|YARN_)/i.test(k)) env[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot(), 'scripts', 'demo.mjs'), ...args], { cwd: repoRoot(), env: { ...env, TMPDIR: tmp, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test('the demo verifies a Yarn and an npm install, refuses a tampered tarball in both, and cleans up', { timeout: 90_000 }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'tufpm-demo-test-'));
  try {
    const res = await runDemo(tmp);
    const out = `${res.stdout}\n${res.stderr}`;
    assert.equal(res.code, 0, out);
    assert.doesNotMatch(out, /\n\s+at /, 'no stack trace');
    const verified = /packages +(\d+) verified by Yarn and by npm, same signed sha512 in both pins: yes/.exec(res.stdout);
    assert.ok(verified, `verified summary\n${res.stdout}`);
    assert.ok(Number(verified[1]) > 30, 'the whole tree was verified');
    assert.match(res.stdout, /signed by +\d+ maintainer-signed .*, \d+ registry-signed/);
    assert.match(res.stdout, /repository +snapshot v\d+, timestamp v\d+/);
    // the refusal, in both package managers, with its code and the project untouched
    assert.match(res.stdout, /yarn \| TUF_TARBALL_MISMATCH/);
    assert.match(res.stdout, /refused: exit 1, TUF_TARBALL_MISMATCH; package\.json, yarn\.lock, tufpm-lock\.json, \.pnp\.cjs unchanged: yes/);
    assert.match(res.stdout, /tufpm-npm \| TUF_TARBALL_MISMATCH: /);
    assert.match(res.stdout, /refused: exit 1, TUF_TARBALL_MISMATCH; package\.json, package-lock\.json, tufpm-lock\.json, node_modules unchanged: yes/);
    assert.match(res.stdout, /demo passed in/);
    assert.deepEqual(await readdir(tmp), [], 'the demo removed every temp file it made');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('the demo against Verdaccio (--registry verdaccio): releases published through the plugin, both installs verified, the tampered tarball in its storage refused, cleaned up', { timeout: 240_000 }, async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'tufpm-demo-test-'));
  try {
    const res = await runDemo(tmp, ['--registry', 'verdaccio']);
    const out = `${res.stdout}\n${res.stderr}`;
    assert.equal(res.code, 0, out);
    assert.doesNotMatch(out, /\n\s+at /, 'no stack trace');
    assert.match(res.stdout, /Verdaccio 6\.8 with verdaccio-tufpm on 127\.0\.0\.1/);
    assert.match(res.stdout, /each published through Verdaccio and signed in/);
    const verified = /packages +(\d+) verified by Yarn and by npm, same signed sha512 in both pins: yes/.exec(res.stdout);
    assert.ok(verified && Number(verified[1]) > 30, `verified summary\n${res.stdout}`);
    assert.match(res.stdout, /signed by +[1-9]\d* maintainer-signed .*, \d+ registry-signed/);
    assert.match(res.stdout, /refused: exit 1, TUF_TARBALL_MISMATCH; package\.json, yarn\.lock, tufpm-lock\.json, \.pnp\.cjs unchanged: yes/);
    assert.match(res.stdout, /refused: exit 1, TUF_TARBALL_MISMATCH; package\.json, package-lock\.json, tufpm-lock\.json, node_modules unchanged: yes/);
    assert.match(res.stdout, /demo passed in/);
    assert.deepEqual(await readdir(tmp), [], 'the demo removed every temp file it made, Verdaccio\'s included');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
