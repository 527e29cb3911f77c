import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEdgeSpec } from '../src/edge-check.js';

// How an Arborist edge spec is read (npm-package-arg's reading, for registry specs): which name must serve
// the edge, and which range or tag it asks for.
test('reads edge specs: ranges, npm: aliases (scoped too), tags, and non-registry specs', () => {
  assert.deepEqual(parseEdgeSpec('foo', '^1.0.0'), { kind: 'range', name: 'foo', range: '^1.0.0' });
  assert.deepEqual(parseEdgeSpec('foo', ''), { kind: 'range', name: 'foo', range: '*' });
  assert.deepEqual(parseEdgeSpec('foo', 'v1.0.0'), { kind: 'range', name: 'foo', range: 'v1.0.0' }, 'loose, as npm reads it');
  assert.deepEqual(parseEdgeSpec('foo', 'npm:bar@^1'), { kind: 'range', name: 'bar', range: '^1' });
  assert.deepEqual(parseEdgeSpec('foo', 'npm:bar'), { kind: 'range', name: 'bar', range: '*' });
  assert.deepEqual(parseEdgeSpec('foo', 'npm:@s/bar@next'), { kind: 'tag', name: '@s/bar', tag: 'next' });
  assert.deepEqual(parseEdgeSpec('foo', 'latest'), { kind: 'tag', name: 'foo', tag: 'latest' });
  assert.deepEqual(parseEdgeSpec('foo', 'github:someone/foo'), { kind: 'other', name: 'foo' });
  assert.deepEqual(parseEdgeSpec('foo', 'file:../foo'), { kind: 'other', name: 'foo' });
  assert.deepEqual(parseEdgeSpec('foo', `^${'1'.repeat(3000)}`), { kind: 'other', name: 'foo' }, 'bounded');
});
