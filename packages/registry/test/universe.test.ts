import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { Prng, generateUniverse, readStoredPackument } from '../src/index.js';
import { tempDir } from './helpers.js';

async function treeDigest(dir: string): Promise<string> {
  const h = createHash('sha256');
  for (const f of (await readdir(dir, { recursive: true })).sort()) {
    const bytes = await readFile(join(dir, f)).catch((err: NodeJS.ErrnoException) => (err.code === 'EISDIR' ? null : Promise.reject(err)));
    if (bytes !== null) h.update(f).update(bytes);
  }
  return h.digest('hex');
}

test('the same seed writes a byte-identical universe; another seed a different one', async () => {
  const a = await tempDir();
  const b = await tempDir();
  const c = await tempDir();
  try {
    const ua = await generateUniverse({ dir: a.path, packages: 30, seed: 7 });
    const ub = await generateUniverse({ dir: b.path, packages: 30, seed: 7 });
    const uc = await generateUniverse({ dir: c.path, packages: 30, seed: 8 });
    assert.deepEqual(ua, ub);
    assert.equal(await treeDigest(a.path), await treeDigest(b.path));
    assert.notDeepEqual(ua.rootDependencies, uc.rootDependencies);
  } finally {
    await Promise.all([a.cleanup(), b.cleanup(), c.cleanup()]);
  }
});

test('a universe has scoped and unscoped names, several versions, and ranges that resolve inside it', async () => {
  const d = await tempDir();
  try {
    const u = await generateUniverse({ dir: d.path, packages: 40, seed: 'shape' });
    assert.equal(u.packages.length, 40);
    assert.equal(Object.keys(u.rootDependencies).length, 10);
    assert.ok(u.packages.some((p) => p.name.startsWith('@')));
    assert.ok(u.packages.some((p) => !p.name.startsWith('@')));
    assert.ok(u.packages.some((p) => p.versions.length > 1));
    assert.equal(u.targets.length, u.packages.reduce((n, p) => n + p.versions.length, 0));
    let edges = 0;
    for (const p of u.packages) {
      const stored = await readStoredPackument(d.path, p.name);
      assert.deepEqual(Object.keys(stored!.versions).sort(semver.compare), p.versions);
      for (const m of Object.values(stored!.versions)) {
        for (const [dep, range] of Object.entries((m['dependencies'] ?? {}) as Record<string, string>)) {
          edges += 1;
          assert.match(range, /^\^\d+\.\d+\.\d+$/);
          const target = await readStoredPackument(d.path, dep);
          assert.ok(target !== undefined && semver.maxSatisfying(Object.keys(target.versions), range) !== null, `${dep}@${range}`);
        }
      }
    }
    assert.ok(edges > 40);
    // every package is reachable from the roots
    assert.deepEqual(new Set(u.closure.map((k) => k.slice(0, k.lastIndexOf('@')))), new Set(u.packages.map((p) => p.name)));
  } finally {
    await d.cleanup();
  }
});

test('a benchmark-sized universe has a transitive closure of at least 500 packages', async () => {
  const d = await tempDir();
  try {
    const u = await generateUniverse({ dir: d.path, packages: 520, seed: 'bench' });
    assert.ok(u.closure.length >= 500, `closure ${u.closure.length}`);
  } finally {
    await d.cleanup();
  }
});

test('the PRNG is seeded and reproducible', () => {
  const x = new Prng('s');
  const y = new Prng('s');
  const xs = Array.from({ length: 5 }, () => x.nextUint32());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => y.nextUint32()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => new Prng('t').nextUint32()));
  for (let i = 0; i < 100; i++) {
    const v = x.int(3, 5);
    assert.ok(v >= 3 && v <= 5);
  }
});
