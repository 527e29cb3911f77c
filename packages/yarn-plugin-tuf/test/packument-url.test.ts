import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packumentName } from '../sources/packument-url.js';

test('recognises the packument requests of the TUF registry, and nothing else', () => {
  const reg = 'http://127.0.0.1:4873';
  assert.equal(packumentName(`${reg}/lodash`, reg), 'lodash');
  assert.equal(packumentName(`${reg}/@babel%2fcore`, reg), '@babel/core');
  assert.equal(packumentName(`${reg}/@babel%2Fcore?write=true`, `${reg}/`), '@babel/core');
  assert.equal(packumentName(`${reg}/lodash/-/lodash-1.0.0.tgz`, reg), null);
  assert.equal(packumentName(`${reg}/-/tuf/metadata/timestamp.json`, reg), null);
  assert.equal(packumentName(`${reg}/-/whoami`, reg), null);
  assert.equal(packumentName(`${reg}/lodash/1.0.0`, reg), null);
  assert.equal(packumentName('http://other.example/lodash', reg), null);
  assert.equal(packumentName(`${reg}/`, reg), null);
});
