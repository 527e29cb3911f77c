import type { ArboristNode } from '@npmcli/arborist';

/**
 * Where the bytes of a tree node come from, which decides how it is verified:
 * - registry: a package version of the registry; verified through its delegated TUF role;
 * - bundled: shipped inside a dependency's tarball, so covered by that tarball's signed hash;
 * - workspace: the project's own code (workspace packages and the links to them);
 * - git / file / remote: signed by nobody; refused unless the matching `unsafe` setting allows it.
 * Link targets outside the project count as `file` (`file:../dir` dependencies, `npm link`).
 */
export type NodeSource =
  | { kind: 'registry'; name: string; version: string }
  | { kind: 'bundled' }
  | { kind: 'workspace' }
  | { kind: 'link-target' }
  | { kind: 'git' | 'file' | 'remote'; spec: string };

const GIT_PREFIXES = ['git+', 'git:', 'github:', 'gitlab:', 'bitbucket:', 'gist:'];

/** `/lodash/-/lodash-4.17.21.tgz`, `/@babel/core/-/core-7.24.0.tgz` (scope separator maybe %2f). */
function isCanonicalTarballPath(pathname: string, name: string, version: string): boolean {
  const path = pathname.replace(/%2f/gi, '/');
  const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  const suffix = `/${name}/-/${base}-${version}.tgz`;
  if (!path.endsWith(suffix)) return false;
  // `/@x/other/-/other-1.0.0.tgz` ends like `other`'s tarball but is @x/other's: the segment before an
  // unscoped name must not be a scope.
  const before = path.slice(0, path.length - suffix.length);
  return !before.slice(before.lastIndexOf('/') + 1).startsWith('@');
}

export function classifyNode(node: ArboristNode): NodeSource {
  if (node.isLink) {
    return node.target?.isWorkspace ? { kind: 'workspace' } : { kind: 'file', spec: node.resolved ?? `file:${node.path}` };
  }
  if (node.isWorkspace) return { kind: 'workspace' };
  // The directory a Link points to is listed too; the Link itself carries the decision.
  if ((node as ArboristNode & { linksIn?: Set<ArboristNode> }).linksIn?.size) return { kind: 'link-target' };
  // Arborist's own rule (inDepBundle): only a dependency's bundle ships inside a signed tarball; what the
  // root project bundles is installed from the registry like any dependency (and verified as one).
  if (node.inDepBundle) return { kind: 'bundled' };
  const resolved = node.resolved;
  if (resolved === null || resolved === undefined || resolved === '') {
    // Old lockfiles may omit `resolved` for registry packages; the signed target path is built from
    // name and version, and the caller writes the registry URL into `resolved`.
    return { kind: 'registry', name: node.packageName, version: node.version };
  }
  if (GIT_PREFIXES.some((p) => resolved.startsWith(p))) return { kind: 'git', spec: resolved };
  if (resolved.startsWith('file:')) return { kind: 'file', spec: resolved };
  let url: URL;
  try {
    url = new URL(resolved);
  } catch (error) {
    if (error instanceof TypeError) return { kind: 'remote', spec: resolved };
    throw error;
  }
  if ((url.protocol === 'https:' || url.protocol === 'http:') && isCanonicalTarballPath(url.pathname, node.packageName, node.version)) {
    // A registry tarball URL, on this registry or another one (a lockfile written against
    // registry.npmjs.org). Which host does not matter: the caller fetches the signed target from the
    // configured registry and pins the signed sha512, so only the signed bytes can be installed.
    return { kind: 'registry', name: node.packageName, version: node.version };
  }
  return { kind: 'remote', spec: resolved };
}
