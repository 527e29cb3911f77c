import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinUrl, metadataFileName, targetFileName, targetUrl } from '../src/index.js';

test('target file names never leave the target directory', () => {
  assert.equal(targetFileName('..'), '%2E%2E');
  assert.equal(targetFileName('.'), '%2E');
  assert.equal(targetFileName(''), '%');
  assert.equal(targetFileName('../../etc/passwd'), '..%2F..%2Fetc%2Fpasswd');
  assert.equal(targetFileName('@babel/core/-/core-7.24.0.tgz'), '%40babel%2Fcore%2F-%2Fcore-7.24.0.tgz');
});

test('metadata and target URLs', () => {
  assert.equal(joinUrl('http://h/m/', 'a.json'), 'http://h/m/a.json');
  assert.equal(joinUrl('http://h/m', 'a.json'), 'http://h/m/a.json');
  assert.equal(metadataFileName('@babel/core', 3), '3.@babel%2Fcore.json');
  assert.equal(metadataFileName('timestamp', undefined), 'timestamp.json');
  assert.equal(targetUrl('http://h/t/', 'a/b c.txt', 'abc'), 'http://h/t/a/abc.b%20c.txt');
  assert.equal(targetUrl('http://r/', '@babel/core/-/core-7.24.0.tgz', undefined), 'http://r/@babel/core/-/core-7.24.0.tgz');
});
