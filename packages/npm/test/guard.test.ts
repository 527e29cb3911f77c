import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NPM_GUARD_ENGINE, setUpNpmGuard } from '../src/guard.js';

async function project(pkg: string, npmrc?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-guard-'));
  await writeFile(join(dir, 'package.json'), pkg, { mode: 0o644 });
  if (npmrc !== undefined) await writeFile(join(dir, '.npmrc'), npmrc);
  return dir;
}

test('init sets engines.npm and the .npmrc guard lines, keeps other lines and the indentation, and is idempotent', async () => {
  const dir = await project('{\n    "name": "app",\n    "engines": { "node": ">=20" }\n}\n', 'registry=http://127.0.0.1:1/\nengine-strict = false\n');
  try {
    const first = await setUpNpmGuard(dir);
    assert.equal(first.engines, 'written');
    assert.deepEqual(first.npmrc, ['engine-strict=true', 'yes=false']);
    const pkg = await readFile(join(dir, 'package.json'), 'utf8');
    assert.deepEqual(JSON.parse(pkg), { name: 'app', engines: { node: '>=20', npm: NPM_GUARD_ENGINE } });
    assert.match(pkg, /^\{\n {4}"name"/, 'indentation kept');
    assert.equal((await stat(join(dir, 'package.json'))).mode & 0o777, 0o644, 'mode kept');
    assert.equal(await readFile(join(dir, '.npmrc'), 'utf8'), 'registry=http://127.0.0.1:1/\nengine-strict=true\nyes=false\n');
    const second = await setUpNpmGuard(dir);
    assert.deepEqual(second, { engines: 'present', npmrc: [] });
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
