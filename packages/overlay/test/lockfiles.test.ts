import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OverlayError, cacheControlFor, readLockedTree } from '../src/index.js';

const UPSTREAM = 'https://registry.example/';
const SHA = 'a'.repeat(128);
const INTEGRITY = `sha512-${Buffer.from(SHA, 'hex').toString('base64')}`;

async function withFile(name: string, text: string | Uint8Array, fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'overlay-lock-'));
  try {
    await writeFile(join(dir, name), text);
    await fn(join(dir, name));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('package-lock.json: registry packages of the upstream are approvable, the rest says why not', async () => {
  const lock = {
    lockfileVersion: 3,
    packages: {
      '': { name: 'app' },
      'node_modules/left': { version: '1.0.0', resolved: `${UPSTREAM}left/-/left-1.0.0.tgz`, integrity: INTEGRITY },
      'node_modules/@s/x': { version: '2.0.0', resolved: `${UPSTREAM}@s/x/-/x-2.0.0.tgz`, integrity: INTEGRITY },
      'node_modules/alias': { name: 'real', version: '1.0.0', resolved: `${UPSTREAM}real/-/real-1.0.0.tgz`, integrity: INTEGRITY },
      'node_modules/elsewhere': { version: '1.0.0', resolved: 'https://other.example/elsewhere/-/elsewhere-1.0.0.tgz', integrity: INTEGRITY },
      'node_modules/gitdep': { version: '1.0.0', resolved: 'git+ssh://git@example/x.git#abc' },
      'node_modules/sha1only': { version: '1.0.0', resolved: `${UPSTREAM}sha1only/-/sha1only-1.0.0.tgz`, integrity: 'sha1-deadbeef' },
      'node_modules/ws': { resolved: 'packages/ws', link: true },
      // npm with omit-lockfile-registry-resolved: a registry package without its URL
      'node_modules/nourl': { version: '3.0.0', integrity: INTEGRITY },
    },
  };
  await withFile('package-lock.json', JSON.stringify(lock), async (file) => {
    const tree = await readLockedTree(file, UPSTREAM);
    assert.deepEqual(tree.packages.map((p) => `${p.name}@${p.version}`), ['@s/x@2.0.0', 'left@1.0.0', 'nourl@3.0.0', 'real@1.0.0']);
    assert.equal(tree.packages[1]!.sha512, SHA);
    assert.deepEqual(tree.unapprovable.map((u) => u.spec).sort(), ['elsewhere@1.0.0', 'gitdep@1.0.0', 'sha1only@1.0.0']);
    assert.match(tree.unapprovable.find((u) => u.spec === 'elsewhere@1.0.0')!.reason, /another registry/);
  });
});

test('package-lock.json: rejects an inBundle flag no registry parent backs: the entry needs its own approval', async () => {
  const lock = {
    lockfileVersion: 3,
    packages: {
      '': { name: 'app' },
      // the attack: a top-level package flagged inBundle (npm fetches it from its URL all the same)
      'node_modules/left': { version: '1.0.1', resolved: `${UPSTREAM}left/-/left-1.0.1.tgz`, integrity: INTEGRITY, inBundle: true },
      'node_modules/bundler': { version: '1.0.0', resolved: `${UPSTREAM}bundler/-/bundler-1.0.0.tgz`, integrity: INTEGRITY, bundleDependencies: ['inner'] },
      // really inside bundler's tarball: approved with bundler
      'node_modules/bundler/node_modules/inner': { version: '3.0.0', inBundle: true },
      // flagged, but with a URL of its own elsewhere
      'node_modules/bundler/node_modules/side': { version: '1.0.0', resolved: 'https://evil.example/side-1.0.0.tgz', integrity: INTEGRITY, inBundle: true },
    },
  };
  await withFile('package-lock.json', JSON.stringify(lock), async (file) => {
    const tree = await readLockedTree(file, UPSTREAM);
    assert.deepEqual(tree.packages.map((p) => `${p.name}@${p.version}`), ['bundler@1.0.0', 'left@1.0.1']);
    assert.deepEqual(tree.unapprovable.map((u) => u.spec), ['side@1.0.0']);
  });
});

test('yarn.lock: npm resolutions are approvable; workspaces skipped; git and patch are not approvable', async () => {
  const text = `__metadata:
  version: 8
  cacheKey: 10c0

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  languageName: unknown
  linkType: soft

"left@npm:^1.0.0":
  version: 1.0.0
  resolution: "left@npm:1.0.0"
  checksum: 10c0/abc
  languageName: node
  linkType: hard

"@s/x@npm:2.0.0":
  version: 2.0.0
  resolution: "@s/x@npm:2.0.0"
  languageName: node
  linkType: hard

"g@https://github.com/x/g.git":
  version: 1.0.0
  resolution: "g@https://github.com/x/g.git#commit=abc"
  languageName: node
  linkType: hard
`;
  await withFile('yarn.lock', text, async (file) => {
    const tree = await readLockedTree(file, UPSTREAM);
    assert.deepEqual(tree.packages.map((p) => `${p.name}@${p.version}`), ['@s/x@2.0.0', 'left@1.0.0']);
    assert.deepEqual(tree.unapprovable.map((u) => u.spec), ['g@https://github.com/x/g.git#commit=abc']);
  });
});

test('rejects a Yarn 1 lockfile and a package-lock.json without a packages map (TUF_LOCKFILE_FORMAT)', async () => {
  await withFile('yarn.lock', '# yarn lockfile v1\n\nleft@^1.0.0:\n  version "1.0.0"\n', async (file) => {
    await assert.rejects(readLockedTree(file, UPSTREAM), { code: 'TUF_LOCKFILE_FORMAT' });
  });
  await withFile('package-lock.json', JSON.stringify({ lockfileVersion: 1, dependencies: {} }), async (file) => {
    await assert.rejects(readLockedTree(file, UPSTREAM), { code: 'TUF_LOCKFILE_FORMAT' });
  });
});

test('rejects a yarn.lock that is not UTF-8 with TUF_LOCKFILE_FORMAT, not the decoder\'s TypeError (fuzzing, issue 19)', async () => {
  const bytes = Buffer.concat([Buffer.from('__metadata:\n  version: 8\n\n"left@npm:1.0.0":\n  resolution: "left@npm:1.0.0"\n  # '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('\n')]);
  await withFile('yarn.lock', bytes, async (file) => {
    await assert.rejects(readLockedTree(file, UPSTREAM), (e: unknown) => e instanceof OverlayError && e.code === 'TUF_LOCKFILE_FORMAT' && /not valid UTF-8/.test(e.message));
  });
});

test('cache headers: versioned metadata immutable, timestamp.json short-lived', () => {
  assert.match(cacheControlFor('3.snapshot.json'), /immutable/);
  assert.match(cacheControlFor('2._approved.json'), /immutable/);
  assert.equal(cacheControlFor('timestamp.json'), 'public, max-age=60');
  assert.equal(cacheControlFor('root.json'), 'no-cache');
});

test('rejects a FIFO yarn.lock and a 2 GiB (sparse) package-lock.json with TUF_LOCKFILE_FORMAT, before reading them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'overlay-lock-'));
  try {
    execFileSync('mkfifo', [join(dir, 'yarn.lock')]);
    await assert.rejects(readLockedTree(join(dir, 'yarn.lock'), UPSTREAM), (e) => e instanceof OverlayError && e.code === 'TUF_LOCKFILE_FORMAT' && /not a regular file/.test(e.message));
    await writeFile(join(dir, 'package-lock.json'), '');
    await truncate(join(dir, 'package-lock.json'), 2 * 1024 * 1024 * 1024);
    await assert.rejects(readLockedTree(join(dir, 'package-lock.json'), UPSTREAM), (e) => e instanceof OverlayError && e.code === 'TUF_LOCKFILE_FORMAT' && /larger than/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
