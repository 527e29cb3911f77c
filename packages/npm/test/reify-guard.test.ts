import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Arborist, { type ArboristNode } from '@npmcli/arborist';
import { failOnOptionalIntegrityErrors, refuseUnverifiedExtractions } from '../src/index.js';

// Real Arborist 9.9.3 instances and a real (offline) virtual tree: the guards hook Arborist's shared
// symbols, so these tests fail if a future Arborist changes them.

async function withTree(fn: (arb: Arborist, byName: (name: string) => ArboristNode) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-npm-guard-'));
  try {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { req: '1.0.0' }, optionalDependencies: { opt: '1.0.0' } }));
    await writeFile(join(dir, 'package-lock.json'), JSON.stringify({
      name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true,
      packages: {
        '': { name: 'app', version: '1.0.0', dependencies: { req: '1.0.0' }, optionalDependencies: { opt: '1.0.0' } },
        'node_modules/req': { version: '1.0.0', resolved: 'http://127.0.0.1:9/req/-/req-1.0.0.tgz' },
        'node_modules/opt': { version: '1.0.0', resolved: 'http://127.0.0.1:9/opt/-/opt-1.0.0.tgz', optional: true },
      },
    }));
    const arb = new Arborist({ path: dir });
    const tree = await arb.loadVirtual();
    await fn(arb, (name) => [...tree.inventory.values()].find((n) => n.name === name)!);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const integrityError = (): Error => Object.assign(new Error('integrity checksum failed'), { code: 'EINTEGRITY' });

test('Arborist swallows a failed optional extraction, EINTEGRITY included, unless guarded', async () => {
  await withTree(async (arb, byName) => {
    const handle = Symbol.for('handleOptionalFailure');
    const call = (node: ArboristNode, error: Error): Promise<unknown> =>
      (arb[handle] as (n: ArboristNode, p: Promise<unknown>) => Promise<unknown>)(node, Promise.reject(error));
    assert.equal(byName('opt').optional, true);
    await call(byName('opt'), integrityError()); // unguarded: resolves, the tampered optional is just dropped
    let reported: unknown;
    failOnOptionalIntegrityErrors(arb, (node) => (reported = node));
    await assert.rejects(call(byName('opt'), integrityError()), { code: 'EINTEGRITY' });
    assert.equal(reported, byName('opt'));
    await call(byName('opt'), Object.assign(new Error('build failed'), { code: 'ELIFECYCLE' })); // other optional failures stay optional
    await assert.rejects(call(byName('req'), integrityError()), { code: 'EINTEGRITY' });
  });
});

test('refuses to extract a node that was not verified', async () => {
  await withTree(async (arb, byName) => {
    refuseUnverifiedExtractions(arb, new Set([byName('req')]));
    const reify = arb[Symbol.for('reifyNode')] as (n: ArboristNode) => Promise<unknown>;
    await assert.rejects(reify(byName('opt')), { code: 'TUF_UNSAFE_SOURCE', packageName: 'opt' });
  });
});
