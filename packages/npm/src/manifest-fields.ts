import type { ArboristNode } from '@npmcli/arborist';
import type { DeclaredManifestFields } from '@tufpm/verify';

/**
 * The manifest fields Arborist acts on for a registry node, as it read them from the packument (install)
 * or the package-lock.json entry (ci): bin-links links `bin`; os/cpu/libc and engines decide whether an
 * (optional) node is installed; bundleDependencies decides what is expected inside the tarball;
 * peerDependenciesMeta which peers are installed; `scripts` (a packument may carry them) and
 * `hasInstallScript` what rebuild runs. Each must equal the field signed with the tarball (InstallVerifier
 * checkManifestFields). Absent fields are passed as null: "resolved none", which is compared too (except
 * engines, below).
 */
export function declaredManifestFields(node: ArboristNode): DeclaredManifestFields {
  const pkg = node.package as Record<string, unknown>;
  const field = (name: string): unknown => (Object.prototype.hasOwnProperty.call(pkg, name) ? pkg[name] : null);
  return {
    bin: field('bin'),
    os: field('os'),
    cpu: field('cpu'),
    libc: field('libc'),
    // The release-list guard drops a packument's unsigned engines before Arborist resolves (so a registry
    // cannot steer the choice with them): none resolved is not a difference. Engines that are there (a
    // lockfile entry, a packument the guard did not edit) must be the signed ones; install.ts applies npm's
    // engine check to the signed engines (engines.ts).
    engines: field('engines') ?? undefined,
    bundleDependencies: field('bundleDependencies'),
    bundledDependencies: field('bundledDependencies'),
    peerDependenciesMeta: field('peerDependenciesMeta'),
    scripts: field('scripts'),
    hasInstallScript: field('hasInstallScript'),
  };
}
