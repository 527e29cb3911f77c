import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maintainerPolicy } from '../sources/configuration.js';

// tufRequireMaintainerSigned as InstallVerifier reads it: a typo must never read as "no policy".
test('tufRequireMaintainerSigned: * is every package, names and @scope/* pass through, other patterns are refused', () => {
  assert.equal(maintainerPolicy(['*']), true);
  assert.equal(maintainerPolicy(['left', '*']), true);
  assert.deepEqual(maintainerPolicy([]), []);
  assert.deepEqual(maintainerPolicy(['left', '@acme/*']), ['left', '@acme/*']);
  for (const typo of ['lod*', '@acme*', 'acme/*', '', 'left pad']) assert.throws(() => maintainerPolicy([typo]), /not a package name/, typo);
});
