import { structUtils, type Locator, type Package } from '@yarnpkg/core';

/** How the plugin treats a package of the resolved tree. */
export type LocatorKind =
  /** an npm registry tarball: verified against TUF */
  | { kind: 'npm'; name: string; version: string; archiveUrl: string | null }
  /** part of the project itself (workspaces): nothing downloaded */
  | { kind: 'project' }
  /** a virtual instance of another package of the tree (peer-dependency wiring): its base is checked */
  | { kind: 'virtual' }
  /** `patch:` over an npm package: the patch is the project's, the package underneath is verified */
  | { kind: 'patched'; source: Locator }
  /** git, file, link, portal, http(s) tarballs, exec ...: bytes no TUF role signs */
  | { kind: 'non-registry'; protocol: string };

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function protocolOf(reference: string): string {
  const colon = reference.indexOf(':');
  return colon === -1 ? '' : reference.slice(0, colon + 1);
}

/** classifyLocator's answers per locator object: each package is classified once per edge that reaches it. */
const classified = new WeakMap<Locator, LocatorKind>();

export function classifyLocator(locator: Locator | Package): LocatorKind {
  let kind = classified.get(locator);
  if (kind === undefined) {
    kind = classifyLocatorUncached(locator);
    classified.set(locator, kind);
  }
  return kind;
}

function classifyLocatorUncached(locator: Locator | Package): LocatorKind {
  if (structUtils.isVirtualLocator(locator)) return { kind: 'virtual' };
  const protocol = protocolOf(locator.reference);
  if (protocol === 'workspace:') return { kind: 'project' };
  if (protocol === 'npm:') {
    // `npm:1.2.3` (conventional tarball URL) or `npm:1.2.3::__archiveUrl=<url>` (the packument named
    // another tarball URL). Both are npm packages: the bytes are checked against name@version's target,
    // whichever URL served them.
    const range = structUtils.parseRange(locator.reference);
    const version = range.selector;
    if (!SEMVER.test(version)) return { kind: 'non-registry', protocol };
    const archive = range.params?.__archiveUrl;
    const archiveUrl = typeof archive === 'string' ? archive : null;
    return { kind: 'npm', name: structUtils.stringifyIdent(locator), version, archiveUrl };
  }
  if (protocol === 'patch:') {
    const { source } = parsePatchReference(locator);
    if (source !== null) return { kind: 'patched', source };
  }
  return { kind: 'non-registry', protocol: protocol || locator.reference };
}

/** `patch:lodash@npm%3A4.17.21#./my.patch::locator=...` -> the locator `lodash@npm:4.17.21`. */
function parsePatchReference(locator: Locator): { source: Locator | null } {
  const range = structUtils.parseRange(locator.reference);
  const sourceRaw = range.source;
  if (sourceRaw === null) return { source: null };
  try {
    const source = structUtils.parseLocator(sourceRaw, true);
    return { source };
  } catch (error) {
    if (error instanceof Error) return { source: null };
    throw error;
  }
}

export function packageKey(name: string, version: string): string {
  return `${name}@${version}`;
}

/**
 * The URLs Yarn's npm fetcher requests for name@version on `registry` (no trailing slash):
 * `<registry>/<name>/-/<base>-<version>.tgz`, a scope's slash encoded as `%2f` first, then (Yarn retries
 * when a registry rejects `%2f`) as `/`.
 */
export function conventionalTarballUrls(registry: string, name: string, version: string): string[] {
  const slash = name.indexOf('/');
  const base = slash === -1 ? name : name.slice(slash + 1);
  const identUrl = slash === -1
    ? `/${encodeURIComponent(name)}`
    : `/@${encodeURIComponent(name.slice(1, slash))}%2f${encodeURIComponent(base)}`;
  const path = `${identUrl}/-/${encodeURIComponent(base)}-${encodeURIComponent(version)}.tgz`;
  const urls = [`${registry}${path}`];
  if (slash !== -1) urls.push(`${registry}${path.replace(/%2f/g, '/')}`);
  return urls;
}
