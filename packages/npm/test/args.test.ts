import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCliArgs, NpmUsageError } from '../src/index.js';

test('parses npm-style commands, aliases and flags', () => {
  const a = parseCliArgs(['i', 'lodash@^4', '@babel/core', '-D', '--ignore-scripts', '--json', '--no-progress']);
  assert.equal(a.command, 'install');
  assert.deepEqual(a.packages, ['lodash@^4', '@babel/core']);
  assert.equal(a.saveType, 'dev');
  assert.equal(a.json, true);
  assert.equal(a.progress, false);
  assert.equal(a.cli.get('ignore-scripts'), 'true');
  assert.equal(a.cli.has('json'), false, 'run flags are not config');
  assert.equal(parseCliArgs(['clean-install']).command, 'ci');
  assert.equal(parseCliArgs(['ci', '--omit', 'dev', '--omit', 'optional']).cli.get('omit')?.toString(), 'dev,optional');
  assert.equal(parseCliArgs([]).command, 'help');
  assert.equal(parseCliArgs(['status', '--unsafe-allow-git']).cli.get('tufpm-unsafe-allow-git'), 'true');
});

test('refuses unknown commands, unknown flags and misplaced arguments', () => {
  assert.throws(() => parseCliArgs(['publish']), NpmUsageError);
  assert.throws(() => parseCliArgs(['install', '--frobnicate']), NpmUsageError);
  assert.throws(() => parseCliArgs(['ci', 'lodash']), NpmUsageError);
  assert.throws(() => parseCliArgs(['verify', '--save-dev']), NpmUsageError);
  assert.throws(() => parseCliArgs(['install', '-D', '-O', 'x']), NpmUsageError);
});
