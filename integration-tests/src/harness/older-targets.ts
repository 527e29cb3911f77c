import { TargetFile } from '@tufpm/models';
import { targetPathFor } from '@tufpm/registry';
import { readPackageTarball } from '@tufpm/repo';
import type { NpmWorld } from './npm-world.js';

/**
 * Re-signs name@version (same bytes) as a repository from before ADR 0010 did: the target carries its
 * hashes and the dependency maps (`custom.npm` of the tarball's package.json) but no manifest fields.
 * The role's own signers sign it, with a new snapshot and timestamp: a legitimate older target.
 */
export async function signAsOlderRepository(world: NpmWorld, role: string, name: string, version: string, tarball: Uint8Array): Promise<void> {
  const { custom } = (await readPackageTarball(tarball)).target;
  const npm = { ...((custom as { npm: Record<string, unknown> }).npm) };
  for (const key of Object.keys(npm)) if (!['dependencies', 'optionalDependencies', 'peerDependencies'].includes(key)) delete npm[key];
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
