import { semverUtils, structUtils, type Descriptor, type Package, type Project } from '@yarnpkg/core';
import type { DeclaredDependencies, SignedTarget } from '@tufpm/verify';

/**
 * The dependencies Yarn resolved for an npm package, in npm's spelling, for InstallVerifier.checkDependencies.
 *
 * Read from `project.originalPackages`: what the resolver returned from the packument or yarn.lock (and what
 * yarn.lock stores), before packageExtensions and reduceDependency hooks (builtin compat patches, the
 * project's own extensions) add to it. Yarn rewrites a package's ranges on the way in, so each range is
 * mapped back to the signed one where that rewrite explains the difference; any other difference is left
 * for the verifier to report.
 */
export function declaredDependencies(project: Project, pkg: Package, signed: SignedTarget): DeclaredDependencies {
  const original = project.originalPackages.get(pkg.locatorHash) ?? pkg;
  const protocol = String(project.configuration.get('defaultProtocol'));
  const signedRegular = { ...signed.dependencies?.optionalDependencies, ...signed.dependencies?.dependencies };
  const signedOptional = signed.dependencies?.optionalDependencies ?? {};
  const signedPeers = signed.dependencies?.peerDependencies ?? {};
  const dependencies: Record<string, string> = {};
  for (const descriptor of original.dependencies.values()) {
    const name = structUtils.stringifyIdent(descriptor);
    // Yarn's npm resolver adds node-gyp@latest itself to a package whose scripts run node-gyp.
    if (name === 'node-gyp' && descriptor.range === `${protocol}latest` && !Object.hasOwn(signedRegular, name)) continue;
    const candidates = [signedRegular[name], signedOptional[name]].filter((r): r is string => r !== undefined);
    dependencies[name] = npmRange(descriptor, candidates, protocol);
  }
  const peerDependencies: Record<string, string> = {};
  for (const descriptor of original.peerDependencies.values()) {
    const name = structUtils.stringifyIdent(descriptor);
    const signedPeer = signedPeers[name];
    // Yarn reads a peer range it cannot parse as `*`.
    if (descriptor.range === '*' && signedPeer !== undefined && semverUtils.validRange(signedPeer) === null) peerDependencies[name] = signedPeer;
    else peerDependencies[name] = npmRange(descriptor, signedPeer === undefined ? [] : [signedPeer], protocol);
  }
  return { dependencies, peerDependencies };
}

/**
 * Yarn's Configuration.normalizeDependency prefixes the default protocol (`npm:`) to semver ranges and tags:
 * without it, the range is the one npm would read. A signed range spelled with the protocol matches as is.
 */
function npmRange(descriptor: Descriptor, signed: string[], protocol: string): string {
  const range = descriptor.range;
  if (signed.includes(range)) return range;
  return range.startsWith(protocol) ? range.slice(protocol.length) : range;
}
