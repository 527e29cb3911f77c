import { semverUtils, structUtils, type Descriptor, type Package, type Project } from '@yarnpkg/core';
import { VerifyError, type SignedTarget, type TagEdge } from '@tufpm/verify';
import { NPM, parseEdge, parseNpmRange, type EdgeRequest } from './edge-spec.js';
import { classifyLocator } from './locators.js';

/**
 * The dependency edges of the resolved project, checked against what asked for them (DESIGN §9, threat model
 * "Dependency graph: edges and identity"). `yarn install --immutable` takes yarn.lock's resolution of each
 * descriptor as it is: a pull request that maps `foo@npm:^1.0.0` to `bar@npm:1.0.0` (with bar's genuine
 * checksum), or `vuln@npm:^1.0.1` to `vuln@npm:1.0.0`, passes every per-package check. Here, over the
 * project's stored resolutions (in memory, no request):
 * - every edge is served by a package of the edge's name (or its `npm:` alias target's);
 * - its version satisfies the edge's range: the workspace's package.json (after the project's own
 *   `resolutions`), or, for an npm package, the range its signed manifest declares (target `custom.npm`).
 * Peer edges of virtual instances are served by an ancestor's edge, itself checked; how well a provided peer
 * fits its range stays Yarn's rule (a warning).
 */

/** satisfies() answers by range and version: a tree asks the same pairs many times (one per dependent). */
const satisfied = new Map<string, boolean>();
const SATISFIED_MAX = 100_000;

/** Yarn's reading of a range: semver's, plus prereleases for `*` (NpmSemverResolver, yarnpkg/berry#6469). */
function satisfies(version: string, range: string): boolean {
  const key = `${range}\0${version}`;
  let answer = satisfied.get(key);
  if (answer === undefined) {
    answer = satisfiesUncached(version, range);
    if (satisfied.size >= SATISFIED_MAX) satisfied.clear();
    satisfied.set(key, answer);
  }
  return answer;
}

function satisfiesUncached(version: string, range: string): boolean {
  const parsed = semverUtils.validRange(range);
  if (parsed === null) return false;
  try {
    if (parsed.test(version)) return true;
  } catch (error) {
    if (error instanceof TypeError) return false;
    throw error;
  }
  return range.trim() === '*' && semverUtils.satisfiesWithPrereleases(version, '*');
}

/** name and version of the package serving an edge: through virtual and `patch:` wrappers; null if not npm/project. */
export function served(packages: Packages, pkg: Package): { name: string; version: string | null } {
  const base = structUtils.isVirtualLocator(pkg) ? packages.get(structUtils.devirtualizeLocator(pkg).locatorHash) ?? pkg : pkg;
  const kind = classifyLocator(base);
  if (kind.kind === 'npm') return { name: kind.name, version: kind.version };
  if (kind.kind === 'patched') {
    const inner = classifyLocator(kind.source);
    if (inner.kind === 'npm') return { name: inner.name, version: inner.version };
    return { name: structUtils.stringifyIdent(kind.source), version: null };
  }
  return { name: structUtils.stringifyIdent(base), version: null };
}

function describeFrom(pkg: Package): string {
  return classifyLocator(pkg).kind === 'project' ? `workspace ${structUtils.stringifyIdent(pkg)}` : structUtils.stringifyLocator(structUtils.isVirtualLocator(pkg) ? structUtils.devirtualizeLocator(pkg) : pkg);
}

function substituted(from: Package, descriptor: Descriptor, wanted: string, got: { name: string; version: string | null }): VerifyError {
  const edge = `${structUtils.stringifyIdent(descriptor)}@${parseEdgeRange(descriptor)}`;
  return new VerifyError('TUF_EDGE_PACKAGE', `dependency ${describeFrom(from)} -> ${edge} asks for ${wanted}, but yarn.lock resolves it to ${got.name}${got.version === null ? '' : `@${got.version}`}`, {
    packageName: wanted,
    ...(got.version === null ? {} : { version: got.version }),
    attack: 'package substitution (a dependency served by another package: an edited yarn.lock)',
    recovery: 'nothing was linked; restore yarn.lock from version control and report the change that edited it',
  });
}

function parseEdgeRange(descriptor: Descriptor): string {
  const plain = structUtils.isVirtualDescriptor(descriptor) ? structUtils.devirtualizeDescriptor(descriptor) : descriptor;
  return plain.range.slice(0, 120);
}

function outOfRange(from: Package, descriptor: Descriptor, name: string, version: string, range: string, whose: string, role?: string): VerifyError {
  return new VerifyError('TUF_EDGE_RANGE', `dependency ${describeFrom(from)} -> ${structUtils.stringifyIdent(descriptor)}@${parseEdgeRange(descriptor)} resolves to ${name}@${version}, outside the range ${range.slice(0, 120)} ${whose}`, {
    packageName: name,
    version,
    ...(role === undefined ? {} : { role }),
    attack: 'version substitution (a dependency served by a version outside its signed range: an edited yarn.lock)',
    recovery: 'nothing was linked; restore yarn.lock from version control (or let `yarn install` resolve it again) and report the change that edited it',
  });
}

/** The edges of one package that lead to a stored package, with the package serving each. */
function edgesOf(project: Project, packages: Packages, pkg: Package): Array<{ descriptor: Descriptor; to: Package }> {
  const out: Array<{ descriptor: Descriptor; to: Package }> = [];
  for (const descriptor of pkg.dependencies.values()) {
    const locatorHash = project.storedResolutions.get(descriptor.descriptorHash);
    const to = locatorHash === undefined ? undefined : packages.get(locatorHash);
    // Unresolved: Yarn reports it itself.
    if (to !== undefined) out.push({ descriptor, to });
  }
  return out;
}

/**
 * The packages edges are read from and resolved to: `project.storedPackages` once Yarn resolved the project
 * (install), `project.originalPackages` when only yarn.lock was read (`yarn tuf verify`).
 */
export type Packages = ReadonlyMap<Package['locatorHash'], Package>;

/**
 * Before any download: every edge of the project is served by a package of the name it asks for, and each
 * workspace's own edges by a version in its package.json range (after `resolutions`). The edges of npm
 * packages get their range checked against their signed manifest by checkSignedEdges, once it is loaded.
 */
export function checkEdgeNames(project: Project, packages: Packages = project.storedPackages, tagEdges: TagEdge[] = []): VerifyError[] {
  const failures: VerifyError[] = [];
  for (const pkg of packages.values()) {
    const isProject = classifyLocator(pkg).kind === 'project' || (structUtils.isVirtualLocator(pkg) && classifyLocator(structUtils.devirtualizeLocator(pkg)).kind === 'project');
    for (const { descriptor, to } of edgesOf(project, packages, pkg)) {
      const request = parseEdge(descriptor);
      const got = served(packages, to);
      // TUF 1.5.2 (arbitrary installation): a validly signed package is not the one asked for.
      if (request.name !== got.name) {
        failures.push(substituted(pkg, descriptor, request.name, got));
        continue;
      }
      if (!isProject || got.version === null) continue;
      if (request.kind === 'tag') tagEdges.push(checkTagEdge(pkg, descriptor, request, got.version));
      else if (request.kind === 'range' && !satisfies(got.version, request.range)) {
        failures.push(outOfRange(pkg, descriptor, got.name, got.version, request.range, 'of package.json'));
      }
    }
  }
  return failures;
}

/** The range `signed` declares for a dependency (regular or optional), in Yarn's spelling. */
function signedRange(signed: SignedTarget, name: string): string | undefined {
  const range = signed.dependencies?.dependencies?.[name] ?? signed.dependencies?.optionalDependencies?.[name];
  if (range === undefined) return undefined;
  return /^[a-z][a-z0-9+.-]*:/i.test(range) ? range : `${NPM}${range}`;
}

/**
 * The edges of one npm package of the tree (its base locator: virtual instances share its dependencies)
 * against the ranges its signed manifest declares. A dependency the project rewrote (its `resolutions`, a
 * packageExtension) is held to the project's range instead; a target signed without `custom.npm` to the
 * resolved manifest's range (checkDependencies has nothing to compare either).
 */
export function checkSignedEdges(project: Project, pkg: Package, signed: SignedTarget, packages: Packages = project.storedPackages, tagEdges: TagEdge[] = []): VerifyError[] {
  const failures: VerifyError[] = [];
  const original = project.originalPackages.get(pkg.locatorHash);
  for (const { descriptor, to } of edgesOf(project, packages, pkg)) {
    const got = served(packages, to);
    if (got.version === null) continue;
    const stored = parseEdge(descriptor);
    const originalDescriptor = original?.dependencies.get(descriptor.identHash);
    const rewritten = originalDescriptor === undefined || !sameRequest(parseEdge(originalDescriptor), stored);
    const signedSpelling = rewritten ? undefined : signedRange(signed, structUtils.stringifyIdent(descriptor));
    const request = signedSpelling === undefined ? stored : parseNpmRange(structUtils.stringifyIdent(descriptor), signedSpelling);
    // The name was checked by checkEdgeNames; a signed alias must name the same target.
    if (request.name !== got.name) {
      failures.push(substituted(pkg, descriptor, request.name, got));
      continue;
    }
    if (request.kind === 'tag') tagEdges.push(checkTagEdge(pkg, descriptor, request, got.version));
    // TUF 1.5.2 (extraneous dependencies), through 4.5 (the signed `custom.npm`): the signers decide the range.
    else if (request.kind === 'range' && !satisfies(got.version, request.range)) {
      const whose = signedSpelling !== undefined ? `signed by role ${signed.role}` : rewritten ? 'of the project\'s resolutions' : 'of the resolved manifest (no signed dependencies recorded)';
      failures.push(outOfRange(pkg, descriptor, got.name, got.version, request.range, whose, signedSpelling === undefined ? undefined : signed.role));
    }
  }
  return failures;
}

function sameRequest(a: EdgeRequest, b: EdgeRequest): boolean {
  if (a.kind !== b.kind || a.name !== b.name) return false;
  if (a.kind === 'range' && b.kind === 'range') return a.range === b.range;
  if (a.kind === 'tag' && b.kind === 'tag') return a.tag === b.tag;
  return true;
}

/**
 * A dist-tag edge must be served by the version the signed tags name (ADR 0013), frozen installs included.
 * The comparison needs the package's signed release list (a TUF lookup): the edge is handed to
 * InstallVerifier.checkTagEdges, so a tree without tag edges pays nothing.
 */
function checkTagEdge(from: Package, descriptor: Descriptor, request: Extract<EdgeRequest, { kind: 'tag' }>, version: string): TagEdge {
  return { name: request.name, tag: request.tag, version, edge: `${describeFrom(from)} -> ${structUtils.stringifyIdent(descriptor)}@${parseEdgeRange(descriptor)}` };
}
