import type { ArboristEdge, ArboristNode } from '@npmcli/arborist';
import semver from 'semver';
import { VerifyError, type SignedTarget, type TagEdge } from '@tufpm/verify';

/**
 * The dependency edges of an Arborist tree, checked against what asked for them (DESIGN §9, threat model
 * "Dependency graph: edges and identity"). Arborist checks an edge's version against its range only, never
 * the served package's name: a lockfile entry `node_modules/foo` holding bar's name, URL and integrity, or a
 * packument that puts another package's manifest under foo's version, installs bar as foo. Two checks, both
 * over the tree already in memory:
 * - identity (before any lookup): a registry node is verified, pinned and policed under the name its edges ask
 *   for (the edge's name, or an `npm:` alias's target), never its manifest's own `name`;
 * - ranges (once the signed targets are known): every edge served by a registry node is served by a version
 *   that satisfies the range the signed manifest of the depending package declares (target `custom.npm`),
 *   the root's and workspaces' own package.json for them, or the project's `overrides`.
 */

/** What one edge spec asks for, in npm's reading (npm-package-arg), for registry specs. */
export type EdgeRequest =
  | { kind: 'range'; name: string; range: string }
  /** A dist-tag (`latest`, `next`): its version is compared with the signed tag, see checkTagEdge. */
  | { kind: 'tag'; name: string; tag: string }
  /** git, file, URL ...: served by a non-registry node, which tree-verify refuses or lets through by an unsafe setting. */
  | { kind: 'other'; name: string };

const ALIAS = 'npm:';
const MAX_SPEC_CHARS = 2048;
/** npm's rule: `semver.satisfies(version, range, true)` (dep-valid.js, loose, no prereleases unless named). */
const NPM_SEMVER = { loose: true } as const;

/** `npm:bar@^1` -> bar, ^1; `npm:@s/bar` -> @s/bar, '*'. A non-alias spec keeps the edge's name. */
export function parseEdgeSpec(edgeName: string, spec: string): EdgeRequest {
  let name = edgeName;
  let rest = spec.trim();
  if (rest.length > MAX_SPEC_CHARS) return { kind: 'other', name };
  if (rest.startsWith(ALIAS)) {
    rest = rest.slice(ALIAS.length);
    const at = rest.indexOf('@', rest.startsWith('@') ? 1 : 0);
    name = at === -1 ? rest : rest.slice(0, at);
    rest = at === -1 ? '' : rest.slice(at + 1);
  }
  if (rest === '') return { kind: 'range', name, range: '*' };
  if (semver.validRange(rest, NPM_SEMVER) !== null) return { kind: 'range', name, range: rest };
  // npm-package-arg reads any other URI-safe word as a dist-tag.
  if (encodeURIComponent(rest) === rest) return { kind: 'tag', name, tag: rest };
  return { kind: 'other', name };
}

function edgeLabel(edge: ArboristEdge): string {
  const from = edge.from;
  const who = from === null ? '(none)' : from.isProjectRoot ? 'the project' : `${from.packageName}@${from.version} (${from.location})`;
  return `${who} -> ${edge.name}@${edge.spec.slice(0, 120)}`;
}

function substituted(edge: ArboristEdge, wanted: string, to: ArboristNode): VerifyError {
  return new VerifyError('TUF_EDGE_PACKAGE', `dependency ${edgeLabel(edge)} asks for ${wanted}, but ${to.location} holds ${to.packageName}@${to.version}`, {
    packageName: wanted,
    version: to.version,
    attack: 'package substitution (a dependency served by another package: an edited lockfile, or a manifest naming another package)',
    recovery: 'nothing was installed; restore package-lock.json from version control, retry against the real registry, and report it',
  });
}

function outOfRange(edge: ArboristEdge, name: string, range: string, whose: string, to: ArboristNode, role?: string): VerifyError {
  return new VerifyError('TUF_EDGE_RANGE', `dependency ${edgeLabel(edge)} is served by ${name}@${to.version} (${to.location}), outside the range ${range.slice(0, 120)} ${whose}`, {
    packageName: name,
    version: to.version,
    ...(role === undefined ? {} : { role }),
    attack: 'version substitution (a dependency served by a version outside its signed range: an edited lockfile)',
    recovery: 'nothing was installed; restore package-lock.json from version control (or run `tufpm-npm install` to resolve it again) and report it',
  });
}

/** Edges that lead somewhere: Arborist keeps unmet ones (to === null) for its own report, and skipped optional ones. */
export function servedEdges(node: ArboristNode): ArboristEdge[] {
  return [...node.edgesOut.values()].filter((edge) => edge.to !== null && edge.type !== 'workspace');
}

/**
 * The name each registry node is verified under: the one its edges ask for. Returns the refusals for nodes
 * whose manifest names another package (they must not be looked up, let alone extracted). A node no edge
 * points at (nothing asks for it) is held to the directory it is installed into.
 */
export function checkIdentities(nodes: Iterable<ArboristNode>, isRegistry: (node: ArboristNode) => boolean): { refused: Set<ArboristNode>; failures: VerifyError[] } {
  const refused = new Set<ArboristNode>();
  const failures: VerifyError[] = [];
  for (const node of nodes) {
    if (!isRegistry(node)) continue;
    let asked = false;
    for (const edge of node.edgesIn) {
      if (edge.from === null || edge.type === 'workspace') continue;
      asked = true;
      const wanted = parseEdgeSpec(edge.name, edge.spec).name;
      // TUF 1.5.2 (arbitrary installation): a validly signed package is not the one asked for.
      if (wanted !== node.packageName) {
        failures.push(substituted(edge, wanted, node));
        refused.add(node);
      }
    }
    if (!asked && node.name !== node.packageName && !node.isProjectRoot) {
      failures.push(new VerifyError('TUF_EDGE_PACKAGE', `${node.location} holds a manifest named ${node.packageName}@${node.version}, and no dependency asks for it under that name`, {
        packageName: node.name,
        version: node.version,
        attack: 'package substitution (a manifest naming another package than its install location)',
        recovery: 'nothing was installed; restore package-lock.json from version control and report it',
      }));
      refused.add(node);
    }
  }
  return { refused, failures };
}

/** The range the signed manifest of `from` declares for an edge of this type, if the target recorded one. */
function signedRange(edge: ArboristEdge, signed: SignedTarget | undefined): string | undefined {
  const deps = signed?.dependencies;
  if (deps === undefined) return undefined;
  switch (edge.type) {
    case 'peer':
    case 'peerOptional':
      return deps.peerDependencies?.[edge.name];
    case 'optional':
      return deps.optionalDependencies?.[edge.name] ?? deps.dependencies?.[edge.name];
    default:
      return deps.dependencies?.[edge.name] ?? deps.optionalDependencies?.[edge.name];
  }
}

/**
 * Every edge of `from` served by a registry node must be served by a version in its range. The range is the
 * signed one for an edge of a registry package (`fromSigned`, its signed target), unless the project's
 * `overrides` replaced it (then the override, from the root package.json, is the project's decision); the
 * package.json's for the root and workspaces; the lockfile's for a package whose target recorded no
 * dependencies (checkDependencies then had nothing to compare either). A dist-tag edge is collected into
 * `tagEdges`, see checkTagEdge. Reads only what npmCheckInputs (check-inputs.ts) records for `from`.
 */
export function checkEdgesFrom(
  from: ArboristNode,
  isRegistry: (node: ArboristNode) => boolean,
  fromSigned: SignedTarget | undefined,
  tagEdges: TagEdge[],
): VerifyError[] {
  const failures: VerifyError[] = [];
  for (const edge of servedEdges(from)) {
    const to = edge.to!;
    if (!isRegistry(to)) continue;
    const overridden = edge.spec !== edge.rawSpec;
    const signed = overridden ? undefined : signedRange(edge, fromSigned);
    const spec = signed ?? edge.spec;
    const request = parseEdgeSpec(edge.name, spec);
    if (request.kind === 'tag') {
      tagEdges.push(checkTagEdge(edge, request, to));
      continue;
    }
    // A non-registry spec served by a registry node: the name check already held; there is no range.
    if (request.kind === 'other') continue;
    // TUF 1.5.2 (extraneous dependencies), through 4.5 (the signed `custom.npm`): the signers decide the range.
    if (!semver.satisfies(to.version, request.range, NPM_SEMVER)) {
      const whose = overridden ? 'of the project\'s overrides' : signed !== undefined ? `signed by role ${fromSigned!.role}` : from.isProjectRoot || from.isWorkspace ? 'of package.json' : 'of the lockfile (no signed dependencies recorded)';
      failures.push(outOfRange(edge, request.name, request.range, whose, to, signed !== undefined ? fromSigned!.role : undefined));
    }
  }
  return failures;
}

/**
 * A dist-tag edge must be served by the version the signed tags name (ADR 0013). The comparison needs the
 * package's signed release list, a TUF lookup: the edge is handed to InstallVerifier.checkTagEdges, so a tree
 * without tag edges pays nothing.
 */
function checkTagEdge(edge: ArboristEdge, request: Extract<EdgeRequest, { kind: 'tag' }>, to: ArboristNode): TagEdge {
  return { name: request.name, tag: request.tag, version: to.version, edge: edgeLabel(edge) };
}
