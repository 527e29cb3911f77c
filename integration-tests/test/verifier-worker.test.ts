// InstallVerifier with its TUF session on a worker thread, as the Yarn plugin runs it on a cold machine
// (ADR 0008): the same verdicts and coded errors as in-process, and a dead worker vouches for nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { TufError } from '@tufpm/models';
import { InstallVerifier } from '@tufpm/verify';
import type { SignedRegistry } from '../src/harness/index.js';
import { closure, pick, setupVerifierProject as setup, type Project } from '../src/harness/verifier-project.js';

describe('InstallVerifier with its TUF session on a worker thread (as the Yarn plugin runs it)', () => {
  const workerFile = new URL('tuf-worker.js', import.meta.resolve('@tufpm/verify'));
  const inWorker = (reg: SignedRegistry, project: Project, cacheDir: string): Promise<InstallVerifier> =>
    InstallVerifier.open({ projectDir: project.dir, registryUrl: reg.url, stateDir: cacheDir, tufWorker: () => new Worker(workerFile) });

  it('gives the same signed targets as the in-process session, and persists the roles it verified (the next, warm session reads them in-process)', async (t) => {
    const { reg, project } = await setup(t);
    const pkgs = closure(reg);
    const cacheDir = await project.cache();
    const worker = await inWorker(reg, project, cacheDir);
    const viaWorker = await worker.resolveAll(pkgs);
    await worker.commit();
    await worker.close();
    const local = await InstallVerifier.open({ projectDir: project.dir, registryUrl: reg.url, stateDir: await project.cache() });
    assert.deepEqual(viaWorker, await local.resolveAll(pkgs));
    const before = reg.counts().tuf;
    const again = await inWorker(reg, project, cacheDir);
    await again.resolveAll(pkgs);
    await again.close();
    assert.ok(reg.counts().tuf - before <= 4, 'the second session read the roles from the pack the worker wrote');
  });

  it('rejects tarball signed by a key outside the package\'s delegation, with the same coded error through the worker', async (t) => {
    const { reg, project } = await setup(t);
    const p = pick(reg, true);
    await reg.signWithWrongKey(p.name, p.version);
    const verifier = await inWorker(reg, project, await project.cache());
    await assert.rejects(verifier.resolve(p.name, p.version), (error: unknown) => {
      assert.ok(error instanceof TufError, 'a TufError, rebuilt on this side of the thread boundary');
      assert.equal(error.code, 'TUF_THRESHOLD');
      assert.match(error.message, new RegExp(`${p.name}@${p.version}`));
      return true;
    });
    await verifier.close();
  });

  it('rejects a lookup after the session was released (the plugin ends it once its tree check passed), and still persists the roles and writes the pins', async (t) => {
    const { reg, project } = await setup(t);
    const pkgs = closure(reg);
    const cacheDir = await project.cache();
    const verifier = await inWorker(reg, project, cacheDir);
    const [first, ...rest] = pkgs;
    const resolved = await verifier.resolve(first!.name, first!.version);
    await verifier.releaseTufSession();
    // what was resolved stays answered; anything else is refused, never passed unverified
    assert.deepEqual(await verifier.resolve(first!.name, first!.version), resolved);
    assert.ok(rest.length > 0, 'the closure has more than one package');
    await assert.rejects(verifier.resolve(rest[0]!.name, rest[0]!.version), /TUF session released/);
    await verifier.releaseTufSession(); // twice: nothing more happens
    await verifier.commit([`${first!.name}@${first!.version}`]);
    await verifier.close();
    const pins = JSON.parse(await readFile(project.lockfile, 'utf8')) as { packages: Record<string, unknown> };
    assert.deepEqual(Object.keys(pins.packages), [`${first!.name}@${first!.version}`]);
    // the role it verified was persisted at the release: a new session reads it from this machine's pack
    const before = reg.counts().tuf;
    const again = await inWorker(reg, project, cacheDir);
    assert.deepEqual(await again.resolve(first!.name, first!.version), resolved);
    await again.close();
    assert.ok(reg.counts().tuf - before <= 4, 'the role came from the pack written at the release');
  });

  it('fails every open request when the worker dies (nothing is taken as verified)', async (t) => {
    const { reg, project } = await setup(t);
    const p = pick(reg, false);
    const verifier = await inWorker(reg, project, await project.cache());
    await verifier.close();
    await assert.rejects(verifier.resolve(p.name, p.version), /TUF session closed|TUF worker exited/);
  });
});
