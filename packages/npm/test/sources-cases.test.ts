// classifyNode on single nodes, one rule at a time (the real-lockfile tests in sources.test.ts cover the
// common shapes through Arborist): each case here is a survivor of mutation testing that mattered (issue 19).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ArboristNode } from '@npmcli/arborist';
import { classifyNode } from '../src/index.js';

function node(over: Record<string, unknown>): ArboristNode {
  return { isLink: false, isWorkspace: false, inDepBundle: false, packageName: 'reg', version: '1.0.0', resolved: null, path: '/p/node_modules/reg', ...over } as unknown as ArboristNode;
}
const kindOf = (over: Record<string, unknown>): string => {
  const s = classifyNode(node(over));
  return s.kind === 'registry' ? `registry ${s.name}@${s.version}` : s.kind;
};

test('a registry tarball URL under a path prefix (a mirror at /npm/) is the registry package; only its suffix is the tarball path', () => {
  assert.equal(kindOf({ resolved: 'https://mirror.example/npm/reg/-/reg-1.0.0.tgz' }), 'registry reg@1.0.0');
  assert.equal(kindOf({ resolved: 'https://mirror.example/reg/-/reg-1.0.0.tgz/extra' }), 'remote');
});

test('a scoped tarball URL with the scope slash as %2f or %2F is the scoped registry package', () => {
  for (const url of ['https://registry.npmjs.org/@s%2fpkg/-/pkg-2.0.0.tgz', 'https://registry.npmjs.org/@s%2Fpkg/-/pkg-2.0.0.tgz', 'https://registry.npmjs.org/@s/pkg/-/pkg-2.0.0.tgz']) {
    assert.equal(kindOf({ packageName: '@s/pkg', version: '2.0.0', resolved: url }), 'registry @s/pkg@2.0.0', url);
  }
  // the scoped name in full in the file name is not npm's tarball name
  assert.equal(kindOf({ packageName: '@s/pkg', version: '2.0.0', resolved: 'https://registry.npmjs.org/@s/pkg/-/@s/pkg-2.0.0.tgz' }), 'remote');
});

test('rejects a registry-shaped tarball path over another protocol than http(s) as a remote source', () => {
  for (const url of ['ftp://mirror.example/reg/-/reg-1.0.0.tgz', 'ssh://mirror.example/reg/-/reg-1.0.0.tgz', 'data:,/reg/-/reg-1.0.0.tgz']) {
    assert.equal(kindOf({ resolved: url }), 'remote', url);
  }
});

test('an empty resolved is a registry package of the configured registry, as a missing one is', () => {
  assert.equal(kindOf({ resolved: '' }), 'registry reg@1.0.0');
  assert.equal(kindOf({ resolved: null }), 'registry reg@1.0.0');
});

test('the directory a file: link points to is a link target, never a registry package of that name', () => {
  assert.equal(kindOf({ resolved: null, linksIn: new Set([{}]) }), 'link-target');
  assert.equal(kindOf({ resolved: null, linksIn: new Set() }), 'registry reg@1.0.0');
});

test('a link is the project\'s (workspace) or a file source, by its target, whatever it resolved to', () => {
  assert.equal(kindOf({ isLink: true, target: { isWorkspace: true }, resolved: 'https://mirror.example/reg/-/reg-1.0.0.tgz' }), 'workspace');
  assert.equal(kindOf({ isLink: true, target: { isWorkspace: false }, resolved: null, path: '/elsewhere' }), 'file');
  assert.deepEqual(classifyNode(node({ isLink: true, target: undefined, resolved: null, path: '/elsewhere' })), { kind: 'file', spec: 'file:/elsewhere' });
  assert.equal(kindOf({ isLink: true, target: { isWorkspace: false }, resolved: 'https://mirror.example/reg/-/reg-1.0.0.tgz' }), 'file');
});
