#!/usr/bin/env node
// Runs every compiled test file with Node's built-in test runner.
// Unit tests live in packages/*/dist/test, integration tests in integration-tests/dist/test.
// Usage: node scripts/run-tests.mjs [--unit | --integration] [filter-substring]
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const onlyUnit = args.includes('--unit');
const onlyIntegration = args.includes('--integration');
const filter = args.find((a) => !a.startsWith('--'));

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) collect(full, out);
    else if (entry.endsWith('.test.js')) out.push(full);
  }
  return out;
}

const files = [];
if (!onlyIntegration) {
  for (const pkg of readdirSync(join(root, 'packages'))) collect(join(root, 'packages', pkg, 'dist', 'test'), files);
}
if (!onlyUnit) collect(join(root, 'integration-tests', 'dist', 'test'), files);
const selected = files.filter((f) => !filter || relative(root, f).includes(filter)).sort();
if (selected.length === 0) {
  console.error('run-tests: no test files found (did the build run?)');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=2', ...selected],
  { stdio: 'inherit', cwd: root, env: { ...process.env, TUFPM_REPO_ROOT: root } },
);
process.exit(result.status ?? 1);
