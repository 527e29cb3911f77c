// InstallVerifier with its TUF session on a worker thread, as the Yarn plugin runs it on a cold machine
// (ADR 0008): the same verdicts and coded errors as in-process, and a dead worker vouches for nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
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

  it('fails every open request when the worker dies (nothing is taken as verified)', async (t) => {
    const { reg, project } = await setup(t);
    const p = pick(reg, false);
    const verifier = await inWorker(reg, project, await project.cache());
    await verifier.close();
    await assert.rejects(verifier.resolve(p.name, p.version), /TUF session closed|TUF worker exited/);
  });
});
