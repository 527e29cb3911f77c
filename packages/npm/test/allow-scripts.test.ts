import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectAllowScripts, workspacePolicyWarnings } from '../src/allow-scripts.js';
import { NpmUsageError } from '../src/index.js';

// package.json allowScripts as npm 11.19 reads it (red team F4); the install-time behaviour, with real npm
// beside real tufpm-npm, is integration-tests/test/npm-allow-scripts.test.ts.

async function policyOf(manifest: unknown): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-allow-scripts-'));
  try {
    await writeFile(join(dir, 'package.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
    return await projectAllowScripts(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('passes the entries npm passes to Arborist, verbatim', async () => {
  const allowScripts = { evil: false, 'good@1.0.0': true, '@s/p@1.0.0 || 1.0.1': true, 'any@*': true, 'github:u/r#abc123': false, 'https://host.example/x.tgz': true };
  assert.deepEqual(await policyOf({ allowScripts }), allowScripts);
});

test('no policy where npm has none: no field, an empty object, no package.json', async () => {
  assert.equal(await policyOf({ name: 'x' }), null);
  assert.equal(await policyOf({ allowScripts: {} }), null);
  const empty = await mkdtemp(join(tmpdir(), 'tufpm-allow-scripts-'));
  try {
    assert.equal(await projectAllowScripts(empty), null);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});

test('reads the policy of a package.json that starts with a byte order mark, as npm does (red team round 3)', async () => {
  assert.deepEqual(await policyOf(`\uFEFF${JSON.stringify({ allowScripts: { evil: false } })}`), { evil: false });
});

test('rejects a package.json whose policy cannot be read, instead of reading it as no policy', async () => {
  const policy = JSON.stringify({ allowScripts: { evil: false } });
  // not JSON; two byte order marks (npm strips one); not an object
  for (const text of ['{ not json', `\uFEFF\uFEFF${policy}`, `${policy.slice(0, -1)},}`, '[]', 'null', '"x"']) {
    await assert.rejects(policyOf(text), (error: unknown) => error instanceof NpmUsageError && error.code === 'TUF_NPM_ALLOW_SCRIPTS', JSON.stringify(text));
  }
});

test('rejects an allowScripts entry npm would drop or never match (a deny written that way would deny nothing)', async () => {
  const refused: unknown[] = [
    { 'evil@^1.0.0': false }, // semver range: npm drops it
    { 'evil@>=1': false },
    { 'evil@latest': false }, // dist-tag: npm drops it
    { 'alias@npm:evil@1.0.0': false }, // alias: never matches
    { '': false }, // names no package
    { evil: 'false' }, // not a boolean: Arborist would leave the package unreviewed, and run it
    { evil: 0 },
    { 'file:../evil': false }, // path keys: npm 11.19's Arborist and ours resolve them differently
    { './evil': true },
  ];
  for (const allowScripts of refused) {
    await assert.rejects(policyOf({ allowScripts }), (error: unknown) => error instanceof NpmUsageError && error.code === 'TUF_NPM_ALLOW_SCRIPTS', JSON.stringify(allowScripts));
  }
  for (const allowScripts of [['evil'], 'evil', null, true]) {
    await assert.rejects(policyOf({ allowScripts }), (error: unknown) => error instanceof NpmUsageError && error.code === 'TUF_NPM_ALLOW_SCRIPTS', JSON.stringify(allowScripts));
  }
});

test('warns, as npm does, that a workspace package.json allowScripts is ignored', () => {
  const node = (name: string, isWorkspace: boolean, isProjectRoot: boolean, pkg: Record<string, unknown>) => ({ name, path: `/p/${name}`, isWorkspace, isProjectRoot, package: pkg });
  const warnings = workspacePolicyWarnings([
    node('root', false, true, { allowScripts: { a: true } }),
    node('ws-a', true, false, { allowScripts: { evil: true } }),
    node('ws-b', true, false, {}),
    node('dep', false, false, { allowScripts: { evil: true } }),
  ]);
  assert.deepEqual(warnings.length, 1);
  assert.match(warnings[0]!, /ws-a .*ignored/);
});

test('rejects a package.json that is oversized or not a regular file without reading it, instead of reading it as no policy', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-allow-scripts-'));
  try {
    // sparse: refused by its size before any byte is read
    await writeFile(join(dir, 'package.json'), '');
    await truncate(join(dir, 'package.json'), 2 * 1024 * 1024 * 1024);
    await assert.rejects(projectAllowScripts(dir), (error: unknown) => error instanceof NpmUsageError && /larger than/.test(error.message));
    await rm(join(dir, 'package.json'));
    await mkdir(join(dir, 'package.json'));
    await assert.rejects(projectAllowScripts(dir), (error: unknown) => error instanceof NpmUsageError && /not a regular file/.test(error.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
