import { YarnVersion, type Descriptor, type Package, type Project } from '@yarnpkg/core';
import { served, type Packages } from './edge-check.js';

/**
 * The version of this file's reading of a package's inputs: bump it with any change of what
 * declaredDependencies, declaredManifestFields or checkSignedEdges read from Yarn (ADR 0023).
 */
const YARN_INPUTS_VERSION = 1;

function descriptorFields(descriptor: Descriptor): [string | null, string, string] {
  return [descriptor.scope, descriptor.name, descriptor.range];
}

/**
 * Everything the per-package checks of checkEntry read from Yarn for one npm package, as one string for
 * InstallVerifier.packageChecksDigest (ADR 0023): the resolved manifest Yarn read from the packument or
 * yarn.lock (its dependency and peer ranges, bins, optional peers, platform conditions), the dependencies
 * after the project's rewrites, and, for each edge, the name and version of the package that serves it.
 * Also Yarn's own version and default protocol, which decide how ranges are spelled and read. Any change
 * here is another digest: the package is checked again. In memory, no request.
 */
export function yarnCheckInputs(project: Project, pkg: Package, packages: Packages = project.storedPackages): string {
  const original = project.originalPackages.get(pkg.locatorHash);
  const manifest = original ?? pkg;
  const dependencies = [...manifest.dependencies.values()].map(descriptorFields);
  const peers = [...manifest.peerDependencies.values()].map(descriptorFields);
  const peerMeta = [...manifest.peerDependenciesMeta].map(([name, meta]) => [name, meta]);
  const bins = [...manifest.bin];
  // Every edge as stored (after `resolutions` and packageExtensions), each with what serves it (null: none).
  const edges = [...pkg.dependencies.values()].map((descriptor) => {
    const locatorHash = project.storedResolutions.get(descriptor.descriptorHash);
    const to = locatorHash === undefined ? undefined : packages.get(locatorHash);
    if (to === undefined) return [...descriptorFields(descriptor), null];
    const got = served(packages, to);
    return [...descriptorFields(descriptor), got.name, got.version];
  });
  return JSON.stringify([
    YARN_INPUTS_VERSION, YarnVersion, String(project.configuration.get('defaultProtocol')),
    pkg.scope, pkg.name, pkg.reference, original !== undefined,
    dependencies, peers, peerMeta, bins, manifest.conditions ?? null, edges,
  ]);
}
