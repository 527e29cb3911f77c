import type { ArboristNode } from '@npmcli/arborist';
import type { DeclaredDependencies } from '@tufpm/verify';
import { servedEdges } from './edge-check.js';
import { declaredManifestFields } from './manifest-fields.js';

/**
 * The version of this file's reading of a node's inputs: bump it with any change of what tree-verify's
 * per-package checks (declaredDependencies, declaredManifestFields, checkEdgesFrom) read from Arborist
 * (ADR 0023).
 */
const NPM_INPUTS_VERSION = 1;

/**
 * The dependency maps Arborist builds the tree from: the packument's manifest (install) or the
 * package-lock.json entry (ci, and install with a lockfile). These, not the tarball's package.json, decide
 * what gets installed, so they must match the dependencies signed with the tarball (TUF: extraneous
 * dependencies).
 */
export function declaredDependencies(node: ArboristNode): DeclaredDependencies {
  const pkg = node.package;
  return { dependencies: pkg['dependencies'], optionalDependencies: pkg['optionalDependencies'], peerDependencies: pkg['peerDependencies'] };
}

/**
 * Everything the per-package checks of one registry node read from Arborist, as one string for
 * InstallVerifier.packageChecksDigest (ADR 0023): its dependency maps and install-relevant manifest fields as
 * Arborist read them (packument or package-lock.json), and each edge it serves from, with the spec before
 * and after the project's overrides and, for the node serving it, whether it is a registry node and its
 * version. Any change here is another digest: the node is checked again. The whole-tree name check
 * (checkIdentities) is not covered: it runs on every install. In memory, no request.
 */
export function npmCheckInputs(node: ArboristNode, isRegistry: (node: ArboristNode) => boolean): string {
  const edges = servedEdges(node).map((edge) => {
    const to = edge.to!;
    return [edge.type, edge.name, edge.spec, edge.rawSpec, isRegistry(to), to.version];
  });
  // `undefined` values of the field maps are written as null by JSON.stringify: both mean "resolved none"
  const fields = declaredManifestFields(node);
  return JSON.stringify([NPM_INPUTS_VERSION, node.packageName, node.version, declaredDependencies(node), fields, edges]);
}
