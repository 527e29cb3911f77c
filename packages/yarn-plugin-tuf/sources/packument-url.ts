// Which of Yarn's requests are packument requests (ADR 0013); pure, so it is unit-tested on its own.

/**
 * `<registry>/<name>` or `<registry>/@scope%2fname` (how Yarn's npm plugin asks for a packument) of the
 * registry our TUF repository covers -> the package name; null for anything else (tarballs, `/-/` APIs).
 */
export function packumentName(url: string, registry: string): string | null {
  const base = `${registry.replace(/\/+$/, '')}/`;
  if (!url.startsWith(base)) return null;
  let rest = url.slice(base.length);
  const query = rest.search(/[?#]/);
  if (query !== -1) rest = rest.slice(0, query);
  if (rest.startsWith('@')) rest = rest.replace(/%2f/i, '/');
  if (rest.length === 0 || rest.includes('%') || rest.startsWith('-/') || rest.includes('/-/')) return null;
  const slashes = rest.split('/').length - 1;
  if (slashes !== (rest.startsWith('@') ? 1 : 0)) return null;
  return rest;
}
