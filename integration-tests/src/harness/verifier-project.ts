// Helpers shared by the InstallVerifier suites (verifier-attacks, verifier-worker): a project directory that
// trusts the shared signed registry, fresh TUF caches (fresh machines), and packages of the install closure.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createSignedRegistry, type SignedRegistry } from './signed-registry.js';

export interface Pkg {
  name: string;
  version: string;
}

export interface Project {
  dir: string;
  lockfile: string;
  /** a fresh TUF cache directory (a fresh machine); pass one to reuse it */
  cache(): Promise<string>;
}

export const split = (key: string): Pkg => ({ name: key.slice(0, key.lastIndexOf('@')), version: key.slice(key.lastIndexOf('@') + 1) });

export async function setupVerifierProject(t: TestContext, opts: Parameters<typeof createSignedRegistry>[0] = {}): Promise<{ reg: SignedRegistry; project: Project }> {
  const reg = await createSignedRegistry(opts);
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-verifier-project-'));
  t.after(async () => {
    await reg.close();
    await rm(dir, { recursive: true, force: true });
    for (let i = 0; i < n; i++) await rm(`${dir}-state-${i}`, { recursive: true, force: true });
  });
  await reg.writeTrustedRoot(dir);
  let n = 0;
  return { reg, project: { dir, lockfile: join(dir, 'tufpm-lock.json'), cache: async () => `${dir}-state-${n++}` } };
}

export const closure = (reg: SignedRegistry): Pkg[] => reg.universe.closure.map(split);

/** A package in the install closure that is claimed (or not), at its closure version. */
export function pick(reg: SignedRegistry, claimed: boolean | string): Pkg {
  const pkgs = closure(reg);
  const found = typeof claimed === 'string'
    ? pkgs.find((p) => p.name === claimed)
    : pkgs.find((p) => reg.claims.some((c) => c.name === p.name) === claimed);
  assert.ok(found, `no ${String(claimed)} package in the closure`);
  return found;
}
