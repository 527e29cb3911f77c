import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkType, structUtils } from '@yarnpkg/core';
import { classifyLocator, conventionalTarballUrls } from '../sources/locators.js';
import { matchesNameList } from '../sources/configuration.js';
import { parseEdge } from '../sources/edge-spec.js';

// The pure parts of the plugin: which packages of a Yarn tree are npm tarballs to verify, which URLs they
// are fetched from, and what the unsafe name lists match. (Everything else runs inside real Yarn: see
// integration-tests/test/yarn-*.test.ts.)

const kind = (locator: string) => classifyLocator(structUtils.parseLocator(locator, true));

describe('classifyLocator', () => {
  test('npm semver locators are verified by name and version, scoped too', () => {
    assert.deepEqual(kind('lodash@npm:4.17.21'), { kind: 'npm', name: 'lodash', version: '4.17.21', archiveUrl: null });
    assert.deepEqual(kind('@babel/core@npm:7.24.0'), { kind: 'npm', name: '@babel/core', version: '7.24.0', archiveUrl: null });
  });

  test('a packument naming another tarball URL keeps the package identity and records the URL', () => {
    const got = kind('left@npm:1.0.0::__archiveUrl=https%3A%2F%2Fcdn.example%2Fleft.tgz');
    assert.deepEqual(got, { kind: 'npm', name: 'left', version: '1.0.0', archiveUrl: 'https://cdn.example/left.tgz' });
  });

  test('the project itself is not verified', () => {
    assert.deepEqual(kind('app@workspace:.'), { kind: 'project' });
  });

  test('virtual instances defer to their base package', () => {
    const base = structUtils.parseLocator('right@npm:1.0.0', true);
    const virtual = structUtils.virtualizePackage({ ...base, version: '1.0.0', languageName: 'node', linkType: LinkType.HARD, conditions: null, dependencies: new Map(), peerDependencies: new Map(), dependenciesMeta: new Map(), peerDependenciesMeta: new Map(), bin: new Map() }, 'abc123');
    assert.deepEqual(classifyLocator(virtual), { kind: 'virtual' });
  });

  test('a patch over an npm package points at that package', () => {
    const got = kind('resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=9bd1a5');
    assert.equal(got.kind, 'patched');
    assert.equal(got.kind === 'patched' && structUtils.stringifyLocator(got.source), 'resolve@npm:1.22.8');
  });

  test('git, file, link, portal, remote tarballs and npm tags are not registry packages', () => {
    for (const locator of [
      'x@https://github.com/a/b.git#commit=abc',
      'x@file:../x#../x::hash=1&locator=app%40workspace%3A.',
      'x@link:../x::locator=app%40workspace%3A.',
      'x@portal:../x::locator=app%40workspace%3A.',
      'x@https://example.com/x.tgz',
      'x@npm:latest',
    ]) {
      assert.equal(kind(locator).kind, 'non-registry', locator);
    }
  });
});

describe('classifyLocator: the exact version rule (mutation testing, issue 19)', () => {
  test('only a whole semver version is a registry package: multi-digit parts, prerelease and build kept', () => {
    for (const v of ['1.2.3', '10.20.30', '1.100.1000', '1.0.0-alpha.10', '1.0.0-rc.1+build.5', '0.0.0-use.local']) {
      assert.deepEqual(kind(`x@npm:${v}`), { kind: 'npm', name: 'x', version: v, archiveUrl: null }, v);
    }
  });

  test('rejects versions semver would not write exactly (prefix, suffix, leading zero, empty prerelease) as non-registry', () => {
    for (const v of ['v1.2.3', 'x1.2.3', '1.2.3.4', '1.2.3x', '01.2.3', '1.2.3-', '1.2.3+', '1.2.3-a_b', '1.2.3+b_c']) {
      assert.equal(kind(`x@npm:${v}`).kind, 'non-registry', v);
    }
  });

  test('a non-registry locator reports its protocol, or the whole reference when it has none', () => {
    assert.deepEqual(kind('x@https://example.com/x.tgz'), { kind: 'non-registry', protocol: 'https:' });
    assert.deepEqual(kind('x@file:../x'), { kind: 'non-registry', protocol: 'file:' });
    assert.deepEqual(kind('x@npm:latest'), { kind: 'non-registry', protocol: 'npm:' });
  });
});

describe('conventionalTarballUrls', () => {
  test('unscoped: one URL', () => {
    assert.deepEqual(conventionalTarballUrls('http://127.0.0.1:4873', 'lodash', '4.17.21'), ['http://127.0.0.1:4873/lodash/-/lodash-4.17.21.tgz']);
  });

  test('scoped: %2f as Yarn asks first, then the slash it retries with', () => {
    assert.deepEqual(conventionalTarballUrls('http://r', '@babel/core', '7.24.0'), [
      'http://r/@babel%2fcore/-/core-7.24.0.tgz',
      'http://r/@babel/core/-/core-7.24.0.tgz',
    ]);
  });
});

describe('matchesNameList (unsafe settings)', () => {
  test('matches exact names, @scope/* and *', () => {
    assert.ok(matchesNameList('left', ['left']));
    assert.ok(matchesNameList('@acme/x', ['@acme/*']));
    assert.ok(matchesNameList('anything', ['*']));
  });

  test('never matches by prefix: a similar name or scope stays verified', () => {
    assert.ok(!matchesNameList('left-pad', ['left']));
    assert.ok(!matchesNameList('@acmex/x', ['@acme/*']));
    assert.ok(!matchesNameList('acme/x', ['acme/*']));
    assert.ok(!matchesNameList('left', []));
  });
});

describe('parseEdge', () => {
  const edge = (descriptor: string) => parseEdge(structUtils.parseDescriptor(descriptor, true));

  test('reads npm ranges, aliases, tags, patch: and virtual wrappers, and other protocols', () => {
    assert.deepEqual(edge('foo@npm:^1.0.0'), { kind: 'range', name: 'foo', range: '^1.0.0' });
    assert.deepEqual(edge('foo@npm:bar@^1.0.0'), { kind: 'range', name: 'bar', range: '^1.0.0' });
    assert.deepEqual(edge('foo@npm:@s/bar@^1.0.0'), { kind: 'range', name: '@s/bar', range: '^1.0.0' });
    assert.deepEqual(edge('foo@npm:latest'), { kind: 'tag', name: 'foo', tag: 'latest' });
    assert.deepEqual(edge('typescript@patch:typescript@npm%3A^5.0.0#optional!builtin<compat/typescript>'), { kind: 'range', name: 'typescript', range: '^5.0.0' });
    assert.deepEqual(edge('foo@virtual:0123456789abcdef#npm:^2.0.0'), { kind: 'range', name: 'foo', range: '^2.0.0' });
    assert.deepEqual(edge('foo@workspace:^'), { kind: 'other', name: 'foo' });
    assert.deepEqual(edge('foo@https://example.com/foo.tgz'), { kind: 'other', name: 'foo' });
  });
});
