import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Arborist from '@npmcli/arborist';
import type { TufError } from '@tufpm/models';
import type { SignedTarget, VerifierSummary } from '@tufpm/verify';
import type { NpmConfig } from './config.js';
import { NpmUsageError } from './errors.js';
import { arboristOptions, openVerifier, treeVerifyOptions } from './install.js';
import type { Progress } from './progress.js';
import { verifyTree } from './tree-verify.js';

export interface VerifyLockResult {
  verified: SignedTarget[];
  exempt: string[];
  unsafeAllowed: string[];
  /** Lock entries without the signed sha512 (sha1-only or missing integrity): not wrong, but not bound. */
  unbound: string[];
  failures: TufError[];
  summary: VerifierSummary;
}

/**
 * `tufpm-npm verify`: checks package-lock.json against the current signed repository state and the pins
 * in tufpm-lock.json, without installing or writing anything. Every failure is collected, not only the first.
 */
export async function runVerifyLock(config: NpmConfig, progress: Progress): Promise<VerifyLockResult> {
  if (!existsSync(join(config.prefix, 'package-lock.json')) && !existsSync(join(config.prefix, 'npm-shrinkwrap.json'))) {
    throw new NpmUsageError(`no package-lock.json or npm-shrinkwrap.json in ${config.prefix}`);
  }
  const verifier = await openVerifier(config, progress);
  progress.done();
  const tree = await new Arborist(arboristOptions(config)).loadVirtual();
  const result = await verifyTree(tree, verifier, treeVerifyOptions(config, 'verify', progress));
  progress.done();
  return {
    verified: [...result.signed.values()],
    exempt: result.exempt,
    unsafeAllowed: result.unsafeAllowed,
    unbound: result.integrityReplaced.map((r) => r.pkg),
    failures: result.failures,
    summary: verifier.summary(),
  };
}
