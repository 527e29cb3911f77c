// Concurrency and load against one tufpm-registry (docs/reliability.md, "Concurrency and load"):
// publishers send npm publish documents over HTTP (the registry signs each into its bin, under the
// repository lock), installers at the same time open an InstallVerifier (the engine of the Yarn plugin and
// tufpm-npm: a fresh TUF refresh on a machine of their own) and verify a published package's tarball.
// Every accepted publish must end up signed in the final snapshot, every installer must see a consistent
// signed state, nothing may be lost. npm test runs 4 publishers and 8 installers for 4 s; TUFPM_STRESS=1
// runs the 20 and 50 for 60 s. The figures are printed (`registry-load figures {...}`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMaintainerPublishHook, initRepository, publishRelease, readPackageTarball } from '@tufpm/repo';
import { addToken, buildPackageTarball, startRegistry, tarballFile, targetPathFor } from '@tufpm/registry';
import { InstallVerifier } from '@tufpm/verify';

const STRESS = process.env.TUFPM_STRESS === '1';
const PUBLISHERS = Number(process.env.TUFPM_LOAD_PUBLISHERS ?? (STRESS ? 20 : 4));
const INSTALLERS = Number(process.env.TUFPM_LOAD_INSTALLERS ?? (STRESS ? 50 : 8));
const SECONDS = Number(process.env.TUFPM_LOAD_SECONDS ?? (STRESS ? 60 : 4));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

test(`${PUBLISHERS} publishers and ${INSTALLERS} installers against one tufpm-registry for ${SECONDS} s: every accepted publish signed and listed, no installer sees an inconsistent state`, { timeout: (SECONDS + 240) * 1000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-load-'));
  const R = join(dir, 'registry');
  const M = join(R, 'tuf', 'metadata');
  const K = join(dir, 'keys');
  await initRepository({ dir: M, keysDir: K, bitLength: 4 });
  const reg = await startRegistry({ dir: R, hooks: [createMaintainerPublishHook({ keysDir: K })] });
  const url = `${reg.url}/`;
  const token = await addToken(R, { user: 'load' });
  const project = join(dir, 'project');
  await mkdir(project);
  await copyFile(join(M, '1.root.json'), join(project, 'tufpm-root.json'));
  try {
    const accepted: Array<{ name: string; version: string }> = [];
    const publishErrors: string[] = [];
    const installErrors: string[] = [];
    const installMs: number[] = [];
    // a first release, so installers have something from the start
    const seed = buildPackageTarball({ name: 'load-seed', version: '1.0.0' });
    await publishRelease({ registryUrl: url, token, tarball: seed, pkg: await readPackageTarball(seed) });
    accepted.push({ name: 'load-seed', version: '1.0.0' });
    const deadline = Date.now() + SECONDS * 1000;
    let machines = 0;

    const publisher = async (p: number): Promise<void> => {
      for (let i = 0; Date.now() < deadline; i++) {
        const name = `load-p${p}`;
        const version = `1.0.${i}`;
        const tarball = buildPackageTarball({ name, version });
        try {
          await publishRelease({ registryUrl: url, token, tarball, pkg: await readPackageTarball(tarball) });
          accepted.push({ name, version });
        } catch (error) {
          publishErrors.push(`${name}@${version}: ${(error as Error).message}`);
        }
      }
    };

    const installer = async (n: number): Promise<void> => {
      for (let i = 0; Date.now() < deadline; i++) {
        const pick = accepted[(n * 7919 + i * 104729) % accepted.length]!;
        const started = Date.now();
        let verifier: InstallVerifier | undefined;
        try {
          verifier = await InstallVerifier.open({ projectDir: project, registryUrl: url, stateDir: join(dir, 'machines', String(machines++)) });
          const bytes = new Uint8Array(await readFile(tarballFile(R, targetPathFor(pick.name, pick.version))));
          await verifier.verifyTarball(pick.name, pick.version, bytes);
          installMs.push(Date.now() - started);
        } catch (error) {
          installErrors.push(`${pick.name}@${pick.version}: ${(error as { code?: string }).code ?? ''} ${(error as Error).message}`);
        } finally {
          await verifier?.close();
        }
      }
    };

    const started = Date.now();
    await Promise.all([
      ...Array.from({ length: PUBLISHERS }, (_, p) => publisher(p)),
      ...Array.from({ length: INSTALLERS }, (_, n) => installer(n)),
    ]);
    const elapsed = (Date.now() - started) / 1000;

    // Nothing lost: a fresh machine after the run finds every accepted release signed, with the stored bytes.
    const final = await InstallVerifier.open({ projectDir: project, registryUrl: url, stateDir: join(dir, 'machines', 'final') });
    let missing = 0;
    try {
      for (const r of accepted) {
        const bytes = new Uint8Array(await readFile(tarballFile(R, targetPathFor(r.name, r.version))));
        try {
          await final.verifyTarball(r.name, r.version, bytes);
        } catch (error) {
          missing++;
          installErrors.push(`final: ${r.name}@${r.version}: ${(error as Error).message}`);
        }
      }
    } finally {
      await final.close();
    }
    installMs.sort((a, b) => a - b);
    const figures = {
      publishers: PUBLISHERS, installers: INSTALLERS, seconds: Number(elapsed.toFixed(1)),
      publishesAccepted: accepted.length - 1, publishesPerSecond: Number(((accepted.length - 1) / elapsed).toFixed(2)), publishErrors: publishErrors.length,
      installs: installMs.length, installP50Ms: percentile(installMs, 50), installP99Ms: percentile(installMs, 99), installErrors: installErrors.length,
      acceptedButNotSigned: missing,
    };
    process.stdout.write(`registry-load figures ${JSON.stringify(figures)}\n`);
    assert.deepEqual(publishErrors, [], 'every publish accepted');
    assert.deepEqual(installErrors, [], 'no installer saw an inconsistent state, nothing lost');
    assert.ok(accepted.length > PUBLISHERS, 'publishes happened');
    assert.ok(installMs.length >= INSTALLERS, 'installs happened');
  } finally {
    await reg.close();
    await rm(dir, { recursive: true, force: true });
  }
});
