import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NPM_GUARD_ENGINE, setUpNpmGuard } from '../src/guard.js';

async function project(pkg: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-guard-'));
  await writeFile(join(dir, 'package.json'), pkg, { mode: 0o644 });
  return dir;
}

test('init sets engines.npm, keeps the other engines, the indentation and the mode, and is idempotent', async () => {
  const dir = await project('{\n    "name": "app",\n    "engines": { "node": ">=20" }\n}\n');
  try {
    const first = await setUpNpmGuard(dir);
    assert.equal(first.engines, 'written');
    const pkg = await readFile(join(dir, 'package.json'), 'utf8');
    assert.deepEqual(JSON.parse(pkg), { name: 'app', engines: { node: '>=20', npm: NPM_GUARD_ENGINE } });
    assert.match(pkg, /^\{\n {4}"name"/, 'indentation kept');
    assert.equal((await stat(join(dir, 'package.json'))).mode & 0o777, 0o644, 'mode kept');
    const second = await setUpNpmGuard(dir);
    assert.deepEqual(second, { engines: 'present' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('init never replaces another engines.npm; it says so instead', async () => {
  const dir = await project('{"name":"app","engines":{"npm":">=10"}}\n');
  try {
    const result = await setUpNpmGuard(dir);
    assert.equal(result.engines, 'kept');
    assert.equal(result.keptEngine, '>=10');
    assert.deepEqual((JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { engines: unknown }).engines, { npm: '>=10' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
