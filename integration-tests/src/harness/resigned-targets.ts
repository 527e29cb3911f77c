// A package's own signers re-signing one of its targets (same tarball bytes) with other signed facts
// (`custom.npm`): what a legitimate change of the signed dependencies or manifest fields looks like to the
// installers, with a new snapshot and timestamp over it.
import { TargetFile } from '@tufpm/models';
import { targetPathFor } from '@tufpm/registry';
import { readPackageTarball } from '@tufpm/repo';
import type { NpmWorld } from './npm-world.js';

/**
 * The role's own signers re-sign name@version (same bytes) with the `custom.npm` of its tarball's
 * package.json as `edit` changes it (`edit` gets a copy), then a new snapshot and timestamp.
 */
export async function resignTargetFacts(
  world: NpmWorld, role: string, name: string, version: string, tarball: Uint8Array, edit: (npm: Record<string, unknown>) => void,
): Promise<void> {
  const { custom } = (await readPackageTarball(tarball)).target;
  const npm = structuredClone((custom as { npm: Record<string, unknown> }).npm);
  edit(npm);
  const signers = await world.repo.signersFor(role);
  await world.repo.transaction(async (repo) => {
    const target = TargetFile.fromData(targetPathFor(name, version), tarball, ['sha512', 'sha256']);
    target.custom = { npm };
    repo.addTarget(role, target);
    const md = repo.role(role);
    md.signatures.clear();
    for (const s of signers) md.sign(s, true);
    await world.repo.resignSnapshotAndTimestamp();
  });
}

/**
 * Re-signs name@version (same bytes) as a repository from before ADR 0010 did: the target carries its
 * hashes and the dependency maps (`custom.npm` of the tarball's package.json) but no manifest fields.
 * The role's own signers sign it, with a new snapshot and timestamp: a legitimate older target.
 */
export async function signAsOlderRepository(world: NpmWorld, role: string, name: string, version: string, tarball: Uint8Array): Promise<void> {
  await resignTargetFacts(world, role, name, version, tarball, (npm) => {
    for (const key of Object.keys(npm)) if (!['dependencies', 'optionalDependencies', 'peerDependencies'].includes(key)) delete npm[key];
  });
}
