import { test } from 'node:test';
import assert from 'node:assert/strict';
import { targetPathFor, parseTarballUrl, isValidPackageName } from '../src/target-path.js';
import { sha512HexToIntegrity, integrityToSha512Hex } from '../src/sri.js';
import { createHash } from 'node:crypto';

test('target path of an unscoped and a scoped package is the tarball path on the registry', () => {
  assert.equal(targetPathFor('lodash', '4.17.21'), 'lodash/-/lodash-4.17.21.tgz');
  assert.equal(targetPathFor('@babel/core', '7.24.0'), '@babel/core/-/core-7.24.0.tgz');
  assert.equal(targetPathFor('a', '1.0.0-beta.1'), 'a/-/a-1.0.0-beta.1.tgz');
});

test('installs legacy upper-case package names that the repository signs (JSONStream)', () => {
  assert.equal(targetPathFor('JSONStream', '1.3.5'), 'JSONStream/-/JSONStream-1.3.5.tgz');
  assert.deepEqual(parseTarballUrl('http://127.0.0.1:4873/JSONStream/-/JSONStream-1.3.5.tgz', 'http://127.0.0.1:4873/'), {
    name: 'JSONStream', version: '1.3.5', targetPath: 'JSONStream/-/JSONStream-1.3.5.tgz',
  });
});

test('rejects package names that could escape the package path', () => {
  for (const bad of ['../x', 'a/b', '@scope', '@/x', '@a/b/c', '', 'x'.repeat(215), '.hidden', 'a b']) {
    assert.equal(isValidPackageName(bad), false, bad);
    assert.throws(() => targetPathFor(bad, '1.0.0'), { code: 'TUF_BAD_TARBALL_URL' });
  }
  assert.throws(() => targetPathFor('lodash', '1.0.0/../../x'), { code: 'TUF_BAD_TARBALL_URL' });
});

test('parses registry tarball URLs, including %2f-encoded scopes', () => {
  const reg = 'http://127.0.0.1:4873/';
  assert.deepEqual(parseTarballUrl('http://127.0.0.1:4873/lodash/-/lodash-4.17.21.tgz', reg), {
    name: 'lodash',
    version: '4.17.21',
    targetPath: 'lodash/-/lodash-4.17.21.tgz',
  });
  assert.deepEqual(parseTarballUrl('http://127.0.0.1:4873/@babel%2fcore/-/core-7.24.0.tgz', reg), {
    name: '@babel/core',
    version: '7.24.0',
    targetPath: '@babel/core/-/core-7.24.0.tgz',
  });
  assert.deepEqual(parseTarballUrl('http://127.0.0.1:4873/npm/@babel/core/-/core-7.24.0.tgz', 'http://127.0.0.1:4873/npm'), {
    name: '@babel/core',
    version: '7.24.0',
    targetPath: '@babel/core/-/core-7.24.0.tgz',
  });
});

test('does not map foreign or non-canonical tarball URLs to a target', () => {
  const reg = 'http://127.0.0.1:4873/';
  assert.equal(parseTarballUrl('http://evil.example/lodash/-/lodash-4.17.21.tgz', reg), null);
  assert.equal(parseTarballUrl('http://127.0.0.1:4873/lodash/-/underscore-1.0.0.tgz', reg), null);
  assert.equal(parseTarballUrl('http://127.0.0.1:4873/lodash/-/lodash-4.17.21.tgz?x=1', reg), null);
  assert.equal(parseTarballUrl('http://127.0.0.1:4873/lodash', reg), null);
  assert.equal(parseTarballUrl('not a url', reg), null);
});

test('SRI integrity round-trips the signed sha512', () => {
  const digest = createHash('sha512').update('hello').digest();
  const sri = sha512HexToIntegrity(digest.toString('hex'));
  assert.equal(sri, `sha512-${digest.toString('base64')}`);
  assert.equal(integrityToSha512Hex(sri), digest.toString('hex'));
  assert.equal(integrityToSha512Hex('sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk='), undefined);
});
