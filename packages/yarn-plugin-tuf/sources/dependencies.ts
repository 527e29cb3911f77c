import { Manifest, semverUtils, structUtils, type Descriptor, type Package, type Project } from '@yarnpkg/core';
import type { DeclaredDependencies, DeclaredManifestFields, SignedTarget } from '@tufpm/verify';

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
    // Yarn's npm resolver adds node-gyp@latest itself to a package whose (packument) scripts run node-gyp:
    // exempt only where the signed facts say the package builds with node-gyp. Otherwise (a registry that
    // adds the script or the dependency, or a target signed without the facts) it is an extraneous dependency.
    if (name === 'node-gyp' && descriptor.range === `${protocol}latest` && !Object.hasOwn(signedRegular, name) && signed.manifestFields?.nodeGyp === true) continue;
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

/**
 * The manifest fields Yarn acts on for an npm package, as resolved from the packument or yarn.lock (before
 * packageExtensions): its bins (linked by both linkers), its platform conditions (which optional packages
 * are skipped) and its optional peers. Yarn reads scripts from the fetched archive, not from the packument,
 * and ignores engines and bundleDependencies of dependencies, so those are not compared here.
 */
export function declaredManifestFields(project: Project, pkg: Package, signed: SignedTarget): DeclaredManifestFields {
  const original = project.originalPackages.get(pkg.locatorHash) ?? pkg;
  const peerMeta: Record<string, { optional?: boolean }> = {};
  for (const [name, meta] of original.peerDependenciesMeta) peerMeta[name] = { ...meta };
  return {
    bin: Object.fromEntries(original.bin),
    peerDependenciesMeta: peerMeta,
    yarnConditions: { resolved: original.conditions ?? null, signed: signedConditions(signed) },
  };
}

/** Condition strings by their signed os/cpu/libc: a Manifest is a large object, and most packages share none. */
const conditionStrings = new Map<string, string | null>();

/** Yarn's own condition string (Manifest.getConditions) for the signed os/cpu/libc. */
function signedConditions(signed: SignedTarget): string | null {
  const fields = signed.manifestFields;
  if (fields === undefined) return null;
  // Yarn reads only arrays (a string `os` restricts nothing for Yarn), as Manifest.load does.
  const os = Array.isArray(fields.os) ? fields.os : null;
  const cpu = Array.isArray(fields.cpu) ? fields.cpu : null;
  const libc = Array.isArray(fields.libc) ? fields.libc : null;
  // Manifest.getConditions joins the non-empty lists only: none, no condition.
  if (!os?.length && !cpu?.length && !libc?.length) return null;
  const key = JSON.stringify([os, cpu, libc]);
  let conditions = conditionStrings.get(key);
  if (conditions === undefined) {
    const manifest = new Manifest();
    manifest.os = os;
    manifest.cpu = cpu;
    manifest.libc = libc;
    conditions = manifest.getConditions();
    if (conditionStrings.size >= 10_000) conditionStrings.clear();
    conditionStrings.set(key, conditions);
  }
  return conditions;
}
