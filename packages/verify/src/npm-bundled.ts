/**
 * When a package-lock.json entry marked `inBundle: true` may go unchecked: only when its bytes really come
 * inside a registry package's tarball, whose signed hash then covers them. `inBundle` is the lockfile's
 * claim, not a fact: a pull request can flag any entry, and plain `npm ci` still fetches a top-level one
 * (its "bundler" is the project itself) from its `resolved` URL, and a root `bundleDependencies` entry comes
 * from the registry with resolved and integrity like any other. So an entry is skipped only when
 *   - it records neither `resolved` nor `integrity` (npm fetches nothing for it), and
 *   - the nearest enclosing package that is not itself bundled is a registry package (not the project, a
 *     workspace or a link) that declares bundleDependencies (the gate / approval check that declaration
 *     against the signed manifest with the parent).
 * Everything else is checked like any registry entry (ADR 0015). Shared by tufpm-verify and overlay approve.
 */
export function isBundledInsideParent(packages: Record<string, unknown>, location: string): boolean {
  const entry = packages[location];
  if (!isObject(entry) || entry['inBundle'] !== true) return false;
  if (entry['resolved'] !== undefined || entry['integrity'] !== undefined) return false;
  let at = location;
  for (;;) {
    const cut = at.lastIndexOf('/node_modules/');
    // a top-level entry (`node_modules/x`) or one inside a workspace folder: the project bundles it, npm fetches it
    if (cut === -1) return false;
    at = at.slice(0, cut);
    if (!at.includes('node_modules/')) return false; // a workspace folder (`packages/a`): the project's own
    const parent = packages[at];
    if (!isObject(parent)) return false;
    if (parent['inBundle'] === true) continue; // a bundled package's own dependency: look further up
    if (parent['link'] === true) return false;
    const resolved = parent['resolved'];
    const registry = resolved === undefined ? typeof parent['integrity'] === 'string' : typeof resolved === 'string' && /^https?:\/\//i.test(resolved);
    const bundles = parent['bundleDependencies'] ?? parent['bundledDependencies'];
    return registry && (bundles === true || (Array.isArray(bundles) && bundles.length > 0));
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
