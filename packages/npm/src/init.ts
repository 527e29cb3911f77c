import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { bootstrapTrustedRoot, npmProjectPackageNames, recordProjectFloors, type BootstrapResult, type FloorsResult } from '@tufpm/verify';
import type { NpmConfig } from './config.js';
import { setUpNpmGuard, type GuardResult } from './guard.js';
import { verifierOptions } from './install.js';
import type { Progress } from './progress.js';
import { writeProjectNpmrc, type NpmrcResult } from './init-npmrc.js';

export interface InitArgs {
  rootSha256?: string;
  rootFile?: string;
  force: boolean;
}

export interface InitResult {
  /** the root written now, or undefined when the project's committed tufpm-root.json was kept */
  root: BootstrapResult | undefined;
  floors: FloorsResult;
  npmrc: NpmrcResult;
  /** the plain-npm guard (ADR 0015) */
  guard: GuardResult;
}

/**
 * `tufpm-npm init`: the project's trust starts here. Writes tufpm-root.json (unless the project already has
 * one and no new root was asked for), then verifies the registry's current state once and records its
 * floors and the claims of the project's packages in tufpm-lock.json (DESIGN.md 7, threat-model.md "First
 * install"), so the first install refuses what later installs refuse.
 */
export async function runInit(config: NpmConfig, args: InitArgs, progress?: Progress): Promise<InitResult> {
  const newRoot = args.force || args.rootSha256 !== undefined || args.rootFile !== undefined || !existsSync(config.tufpmRoot);
  let root: BootstrapResult | undefined;
  if (newRoot) {
    const rootBytes = args.rootFile === undefined ? undefined : new Uint8Array(await readFile(args.rootFile));
    root = await bootstrapTrustedRoot({
      registryUrl: config.registry,
      projectDir: config.prefix,
      trustedRootPath: config.tufpmRoot,
      ...(config.tufpmMetadataUrl !== undefined ? { metadataUrl: config.tufpmMetadataUrl } : {}),
      ...(args.rootSha256 !== undefined ? { expectedSha256: args.rootSha256 } : {}),
      ...(rootBytes !== undefined ? { rootBytes } : {}),
      force: args.force,
    });
  }
  const floors = await recordProjectFloors({ ...verifierOptions(config, progress), packageNames: await npmProjectPackageNames(config.prefix) });
  // Only once the registry's state verified: a mistyped registry is not written into the project.
  const npmrc = await writeProjectNpmrc(config);
  // Last: from now on plain npm refuses to install here (ADR 0015).
  const guard = await setUpNpmGuard(config.prefix);
  return { root, floors, npmrc, guard };
}
