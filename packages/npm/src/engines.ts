import { checkEngine } from 'npm-install-checks';
import type { SignedTarget } from '@tufpm/verify';
import { NpmVerifyError } from './errors.js';

/**
 * npm's engine check on the SIGNED engines. The release-list guard drops every packument version's
 * unsigned `engines` before Arborist ranks candidates (a registry could otherwise steer `^1.0.0` away from a
 * fix by marking it engine-incompatible: threat model, "Unsigned ranking fields dropped"), so Arborist's own
 * check no longer sees them. Here each verified package's engines come from its target's `custom.npm`
 * (ADR 0010) and get npm's treatment: `engine-strict` refuses, otherwise npm's EBADENGINE warning. Only
 * `engines.node` is checked: tufpm-npm is not the npm whose version `engines.npm` names.
 */
export function checkSignedEngines(signed: Iterable<SignedTarget>, strict: boolean, nodeVersion = process.version): string[] {
  const warnings: string[] = [];
  for (const target of signed) {
    const engines = target.manifestFields?.engines;
    if (engines === undefined) continue;
    try {
      checkEngine({ _id: `${target.name}@${target.version}`, engines }, undefined, nodeVersion);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EBADENGINE') throw error;
      const message = `${target.name}@${target.version}: unsupported engine: wants node ${JSON.stringify(engines['node'])}, this is ${nodeVersion}`;
      if (!strict) {
        warnings.push(`EBADENGINE ${message}`);
        continue;
      }
      throw new NpmVerifyError('TUF_NPM_EBADENGINE', `${message} (engine-strict)`, {
        packageName: target.name,
        version: target.version,
        role: target.role,
        attack: 'none detected: engine-strict refuses a package whose signed engines exclude this Node',
        recovery: 'use a Node the package supports, pick another version, or drop engine-strict',
      });
    }
  }
  return warnings;
}
