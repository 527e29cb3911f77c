import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCliArgs, NpmUsageError } from '../src/index.js';

test('parses npm-style commands, aliases and flags with npm\'s own definitions and shorthands', () => {
  const a = parseCliArgs(['i', 'lodash@^4', '@babel/core', '-D', '--ignore-scripts', '--json', '--no-progress']);
  assert.equal(a.command, 'install');
  assert.deepEqual(a.packages, ['lodash@^4', '@babel/core']);
  assert.deepEqual(a.cliKeys.sort(), ['ignore-scripts', 'json', 'progress', 'save-dev']);
  assert.equal(a.json, true);
  assert.equal(a.progress, false);
  assert.equal(parseCliArgs(['clean-install']).command, 'ci');
  assert.equal(parseCliArgs([]).command, 'help');
  assert.equal(parseCliArgs(['-h']).command, 'help');
  for (const [alias, command] of [['rm', 'uninstall'], ['remove', 'uninstall'], ['up', 'update'], ['x', 'exec'], ['list', 'ls']] as const) {
    assert.equal(parseCliArgs([alias, 'p']).command, command, alias);
  }
  // The flags of a common CI line and the list: npm's meaning, no refusal.
  const ci = parseCliArgs(['ci', '--no-audit', '--prefer-offline', '--no-fund', '-s', '--loglevel', 'warn', '--legacy-peer-deps', '--install-strategy', 'nested', '--dry-run', '--omit', 'dev', '--omit=optional', '-w', 'a', '--workspaces']);
  assert.deepEqual(ci.cliKeys.sort(), ['audit', 'dry-run', 'fund', 'install-strategy', 'legacy-peer-deps', 'loglevel', 'omit', 'prefer-offline', 'workspace', 'workspaces']);
  assert.deepEqual(parseCliArgs(['install', '--no-save', '--before', '2020-01-01', '--min-release-age', '3']).cliKeys.sort(), ['before', 'min-release-age', 'save']);
  const tufpm = parseCliArgs(['status', '--unsafe-allow-git', '--unsafe-unverified', '@acme/*']);
  assert.deepEqual(tufpm.cliKeys.sort(), ['tufpm-unsafe-allow-git', 'tufpm-unsafe-unverified-packages']);
  const init = parseCliArgs(['init', '--root-sha256', 'AB'.repeat(32), '--force']);
  assert.deepEqual(init.init, { rootSha256: 'ab'.repeat(32), force: true });
  assert.deepEqual(parseCliArgs(['exec', '--package', 'a', '--', 'bin', '--flag']).packages, ['bin', '--flag'], 'after -- nothing is parsed as an option');
});

test('refuses unknown commands and flags, wrong value types, abbreviations and misplaced arguments', () => {
  const usage = (args: string[], code = 'TUF_NPM_USAGE', pattern?: RegExp): void => {
    assert.throws(() => parseCliArgs(args), (error: unknown) => error instanceof NpmUsageError && error.code === code && (pattern === undefined || pattern.test(error.message)), args.join(' '));
  };
  usage(['publish']);
  usage(['install', '--frobnicate'], 'TUF_NPM_USAGE', /--frobnicate/);
  usage(['install', '--regis', 'http://x/'], 'TUF_NPM_USAGE', /abbreviation/);
  usage(['install', '--install-strategy', 'flat'], 'TUF_NPM_USAGE', /install-strategy/);
  usage(['install', '--min-release-age', 'soon'], 'TUF_NPM_USAGE', /min-release-age/);
  usage(['ci', 'lodash']);
  usage(['verify', '--save-dev']);
  usage(['install', '-D', '-O']);
  usage(['install', '--root-sha256', 'ab'.repeat(32)]);
  usage(['init', '--root-sha256', 'abc']);
});

test('refuses, by name, npm options tufpm-npm does not implement rather than ignore them', () => {
  const refused = (args: string[], name: string): void => {
    assert.throws(() => parseCliArgs(args), (error: unknown) => error instanceof NpmUsageError && error.code === 'TUF_NPM_UNSUPPORTED_OPTION' && error.message.includes(`--${name}`), args.join(' '));
  };
  refused(['install', '-g', 'x'], 'global');
  refused(['install', '--force'], 'force');
  refused(['install', '--allow-scripts', 'x'], 'allow-scripts');
  refused(['install', '--sign-git-tag'], 'sign-git-tag');
  refused(['exec', '-c', 'echo hi'], 'call');
  assert.equal(parseCliArgs(['init', '--force']).init.force, true, 'init --force replaces the trusted root');
});
