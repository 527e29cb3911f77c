import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from 'node:path';
import { Metadata } from '@tufpm/models';
import { NpmWorld, type Project } from '../src/harness/npm-world.js';
import { YarnProject } from '../src/harness/yarn.js';

// The trust anchor (issue 15, ADR 0011): when tufpm-lock.json pins a root, every refresh starts from exactly
// that root (cached, the project's tufpm-root.json, or the registry's <version>.root.json checked against
// the pinned sha256) and walks forward (TUF 5.3). A forged root of a HIGHER version put in tufpm-root.json
// by a pull request is not on that chain and is refused (TUF_PIN_ROOT), nothing installed or re-pinned.

/** Mallory's root v(N+1): every top-level role given to her key, signed by her alone. */
function forgedHigherRoot(genuine: Uint8Array): Uint8Array {
  const mallory = NpmWorld.maintainer();
  const root = Metadata.root(genuine);
  for (const role of ['root', 'timestamp', 'snapshot', 'targets'] as const) {
    for (const keyid of [...root.signed.roles.get(role)!.keyids]) root.signed.revokeKey(keyid, role);
    root.signed.addKey(mallory.key, role);
  }
  root.signed.bumpVersion();
  root.signatures.clear();
  root.sign(mallory.signer, true);
  return root.toBytes();
}

const pinnedRoot = async (read: () => Promise<string | undefined>): Promise<{ version: number; sha256: string }> => JSON.parse((await read()) ?? "{}").root;

describe('the pinned root is the trust anchor', () => {
  let world: NpmWorld;

  before(async () => {
    world = await NpmWorld.create();
    await world.publish('right', '1.0.0');
  });
  after(() => world.close());

  test('rejects a forged higher root that replaced tufpm-root.json in a pull request (pinned root) with tufpm-npm', async () => {
    const project: Project = await world.project();
    assert.equal((await project.tufpmNpm(['install', 'right@1.0.0'])).code, 0);
    const pinned = await pinnedRoot(() => project.read('tufpm-lock.json'));
    await writeFile(join(project.dir, 'tufpm-root.json'), forgedHigherRoot(await readFile(join(project.dir, 'tufpm-root.json'))));
    for (const machine of ['same machine', 'fresh machine']) {
      if (machine === 'fresh machine') await project.freshMachine();
      const before = await project.state();
      const res = await project.tufpmNpm(['install']);
      assert.equal(res.code, 1, `${machine}: exit code 1 expected\n${res.stderr}`);
      assert.match(res.stderr, /TUF_PIN_ROOT/);
      assert.match(res.stderr, /trust anchor substitution/);
      assert.deepEqual(await project.state(), before, `${machine}: nothing touched`);
    }
    assert.deepEqual(await pinnedRoot(() => project.read('tufpm-lock.json')), pinned, 'the pin still names the genuine root');
  });

  test('rejects a forged higher root that replaced tufpm-root.json in a pull request (pinned root) with Yarn', async () => {
    const project = await YarnProject.create(world, { right: '1.0.0' });
    assert.equal((await project.yarn(['install'])).code, 0);
    await writeFile(join(project.dir, 'tufpm-root.json'), forgedHigherRoot(await readFile(join(project.dir, 'tufpm-root.json'))));
    project.machine = await world.tempDir("yarn-machine-");
    await mkdir(join(project.machine, "tmp"));
    const before = await project.state();
    const res = await project.yarn(['install']);
    assert.equal(res.code, 1, `exit code 1 expected\n${res.stdout}${res.stderr}`);
    assert.match(res.stdout, /TUF_PIN_ROOT/);
    assert.doesNotMatch(res.stdout, /Internal Error|\n\s+at /, 'a coded report, not a crash');
    assert.deepEqual(await project.state(), before, 'nothing touched');
  });

  test('a real root rotation (signed by the old root keys) still installs and moves the pin, on a fresh machine too', async () => {
    const project: Project = await world.project();
    assert.equal((await project.tufpmNpm(['install', 'right@1.0.0'])).code, 0);
    const v1 = await pinnedRoot(() => project.read('tufpm-lock.json'));
    const oldRootKey = Metadata.root(await readFile(join(project.dir, 'tufpm-root.json'))).signed.roles.get('root')!.keyids[0]!;
    await world.repo.rotateKey('root', oldRootKey);
    const rotated = await project.tufpmNpm(['install']);
    assert.equal(rotated.code, 0, rotated.stderr);
    const v2 = await pinnedRoot(() => project.read('tufpm-lock.json'));
    assert.equal(v2.version, v1.version + 1, 'the pin moved to the rotated root');
    // A fresh machine with the old tufpm-root.json: starts from the pinned root the registry serves (its
    // sha256 is the pin's), not from the project's older file.
    await project.freshMachine();
    const fresh = await project.tufpmNpm(['install']);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.deepEqual(await pinnedRoot(() => project.read('tufpm-lock.json')), v2);
  });
});
