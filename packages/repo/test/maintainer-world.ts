import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { generateEd25519KeyPair, type Signer, type Key } from '@tufpm/models';
import { NpmRepository, initRepository } from '../src/index.js';
import { approveClaim, createClaimRequest } from '../src/maintainer/claims.js';
import { createMaintainerPublishHook } from '../src/maintainer/publish-hook.js';
import { createMaintainerRoutes } from '../src/maintainer/routes.js';
import { signRole } from '../src/maintainer/role-build.js';
import { tempDir } from './helpers.js';

export interface Maintainer {
  signer: Signer;
  key: Key;
  privateKeyPem: string;
}

export function maintainer(): Maintainer {
  const p = generateEd25519KeyPair();
  return { signer: p.signer, key: p.key, privateKeyPem: p.privateKeyPem };
}

interface RegistryModule {
  startRegistry(opts: { dir: string; hooks?: unknown; intercept?: unknown }): Promise<{ url: string; close(): Promise<void> }>;
  addToken(dir: string, opts: { user: string; token?: string; packages?: string[] }): Promise<string>;
  readStoredPackument(dir: string, name: string): Promise<{ versions: Record<string, unknown> } | undefined>;
}

/** @tufpm/registry depends on repo, so it is loaded at run time (no build-time cycle). */
export async function registryModule(): Promise<RegistryModule> {
  const specifier = '@tufpm/registry';
  return (await import(specifier)) as RegistryModule;
}

/**
 * A loopback registry whose TUF repository has maintainer keys wired in: the maintainer publish hook
 * and routes, an operator (offline keys in `keys/offline`, used only for claims), and a token per user.
 */
export interface World {
  dir: string;
  /** registry directory */
  R: string;
  /** metadata dir */
  M: string;
  /** repository keys dir (outside the registry dir) */
  K: string;
  /** registry URL with a trailing slash */
  url: string;
  /** a copy of 1.root.json: what maintainers and installers trust initially */
  rootFile: string;
  repo: NpmRepository;
  token: string;
  released: Array<{ name: string; version: string; outcome: string }>;
  claim(name: string, keys: Maintainer[], threshold: number, signers?: Maintainer[]): Promise<void>;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const t = await tempDir('tufpm-maint-');
  const R = join(t.path, 'registry');
  const M = join(R, 'tuf', 'metadata');
  const K = join(t.path, 'keys');
  await mkdir(R, { recursive: true });
  const repo = await initRepository({ dir: M, keysDir: K, bitLength: 2 });
  const rootFile = join(t.path, 'tufpm-root.json');
  await copyFile(join(M, '1.root.json'), rootFile);
  const { startRegistry, addToken } = await registryModule();
  const token = await addToken(R, { user: 'alice' });
  const released: World['released'] = [];
  const hook = createMaintainerPublishHook({ keysDir: K, onRelease: (r) => released.push(r) });
  const routes = createMaintainerRoutes({ registryDir: R, keysDir: K });
  const reg = await startRegistry({ dir: R, hooks: [hook], intercept: (req: unknown, res: unknown) => routes(req as never, res as never) });
  return {
    dir: t.path, R, M, K, url: `${reg.url}/`, rootFile, repo, token, released,
    async claim(name, keys, threshold, signers = keys) {
      await repo.reloadIfChanged();
      const existing = repo.coverage(name).targets.map((x) => repo.repo.targetsRole(x.role).signed.targets.get(x.path)!);
      const req = createClaimRequest({ name, keys: keys.map((k) => k.key), threshold, existing, now: new Date() });
      signRole(req.role, signers.map((s) => s.signer));
      await approveClaim(repo, req);
    },
    async close() {
      await reg.close();
      await t.cleanup();
    },
  };
}
