import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { addPackageVersion, buildPackageTarball } from '../src/index.js';
import { tempDir } from './helpers.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

test('tufpm-registry CLI prints its URL, serves the directory and exits on SIGTERM', async () => {
  const d = await tempDir();
  try {
    await addPackageVersion(d.path, buildPackageTarball({ name: 'cli-pkg', version: '1.0.0' }));
    const child = spawn(process.execPath, [CLI, '--dir', d.path, '--port', '0', '--public-url', 'http://registry.test:8080/'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.on('exit', () => reject(new Error(`exited early: ${out}`)));
    });
    assert.equal(url, 'http://registry.test:8080/');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    await d.cleanup();
  }
});

test('tufpm-registry CLI without --public-url serves packuments at the printed URL', async () => {
  const d = await tempDir();
  try {
    await addPackageVersion(d.path, buildPackageTarball({ name: 'cli-pkg', version: '1.0.0' }));
    const child = spawn(process.execPath, [CLI, '--dir', d.path, '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const doc = (await (await fetch(`${url}cli-pkg`)).json()) as any;
    assert.equal(doc.versions['1.0.0'].dist.tarball, `${url}cli-pkg/-/cli-pkg-1.0.0.tgz`);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    await d.cleanup();
  }
});

test('tufpm-registry CLI refuses missing --dir with a usage message', async () => {
  const child = spawn(process.execPath, [CLI], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /usage: tufpm-registry/);
});
