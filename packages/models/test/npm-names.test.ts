import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidNpmPackageName, npmTarballTargetPath } from '../src/index.js';

test('npm names: new names are lower case; legacy upper-case names only where asked for', () => {
  for (const ok of ['lodash', '@babel/core', 'a', 'x.y_z~-1']) assert.equal(isValidNpmPackageName(ok), true, ok);
  assert.equal(isValidNpmPackageName('JSONStream'), false);
  assert.equal(isValidNpmPackageName('JSONStream', { legacy: true }), true);
  assert.equal(isValidNpmPackageName('@Scope/Pkg', { legacy: true }), true);
});

test('npm names that could escape a path or a URL segment are refused in every mode', () => {
  for (const bad of ['', '../x', 'a/b', '@scope', '@/x', '@a/b/c', '.hidden', '_x', 'a b', 'a%2fb', 'a*', 'x'.repeat(215), 42]) {
    assert.equal(isValidNpmPackageName(bad), false, String(bad));
    assert.equal(isValidNpmPackageName(bad, { legacy: true }), false, String(bad));
  }
});

test('target path of a package version is its tarball path on the registry', () => {
  assert.equal(npmTarballTargetPath('lodash', '4.17.21'), 'lodash/-/lodash-4.17.21.tgz');
  assert.equal(npmTarballTargetPath('@babel/core', '7.24.0'), '@babel/core/-/core-7.24.0.tgz');
});
