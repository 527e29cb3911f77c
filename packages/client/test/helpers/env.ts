// Per-test environment: a served RepoSim, a temp dir with metadata/ (initialized with root v1, as the
// conformance `init` does) and targets/, and an Updater factory. Everything is cleaned up after the test.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Updater, type UpdaterOptions } from '../../src/index.js';
import { RepoSim } from './simulator.js';

export interface Env {
  sim: RepoSim;
  dir: string;
  metadataDir: string;
  targetDir: string;
  updater(options?: Partial<UpdaterOptions>): Updater;
}

export async function newEnv(t: TestContext, sim: RepoSim = new RepoSim()): Promise<Env> {
  await sim.serve();
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-client-'));
  t.after(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });
  const metadataDir = join(dir, 'metadata');
  const targetDir = join(dir, 'targets');
  mkdirSync(metadataDir);
  writeFileSync(join(metadataDir, 'root.json'), sim.rootBytes(1));
  return {
    sim,
    dir,
    metadataDir,
    targetDir,
    updater: (options = {}) =>
      new Updater({
        metadataDir,
        metadataBaseUrl: sim.metadataUrl,
        targetBaseUrl: sim.targetsUrl,
        targetDir,
        retry: { retries: 0, backoffMs: () => 0 },
        ...options,
      }),
  };
}

/** assert that `promise` rejects with a TufError of `code` */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, `expected ${code}, got ${String((err as Error).stack ?? err)}`);
    return true;
  });
}

export const DAY = 86_400_000;
/** a clock `days` days in the future (the conformance suite does this with libfaketime) */
export function daysAhead(days: number): () => Date {
  return () => new Date(Date.now() + days * DAY);
}

/** `bytes` followed by `extra` spaces: a file over its bound that still parses as the same JSON. */
export function padded(bytes: Uint8Array, extra: number): Uint8Array {
  const out = new Uint8Array(bytes.length + extra).fill(0x20);
  out.set(bytes);
  return out;
}
