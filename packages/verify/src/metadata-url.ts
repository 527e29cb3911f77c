// The TUF metadata URL a project names (overlay mode: the team's repository, docs/overlay.md): http(s), or
// a `file:` URL of a local metadata directory (offline CI), read by @tufpm/client's FileFetcher. One rule
// for tufpm-npm, the Yarn plugin and tufpm-verify, so the three agree on what a setting means.

/** The URL normalised (WHATWG, trailing slash), or why it cannot name TUF metadata. */
export function parseMetadataUrl(value: string): { url: string } | { problem: string } {
  if (value.length > 4096) return { problem: 'longer than 4096 characters' };
  // npm expands ${VAR} in .npmrc, Yarn in .yarnrc.yml; an unexpanded one here would be read literally
  if (value.includes('${')) return { problem: 'contains an unexpanded ${VAR}' };
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return { problem: 'not a URL' };
  }
  if (parsed.search !== '' || parsed.hash !== '') return { problem: 'has a query or fragment' };
  if (parsed.protocol === 'file:') {
    // `file:metadata` or `file:./metadata` parse as file:///metadata: a relative path would silently name
    // a directory at the file system's root, so only the absolute forms are taken.
    if (!/^file:\/\/(localhost)?\//i.test(value)) return { problem: 'a file: URL must be absolute: file:///path/to/metadata/' };
    if (parsed.host !== '' && parsed.host !== 'localhost') return { problem: `a file: URL must name this machine's files, not host ${parsed.host}` };
  } else if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return { problem: `scheme ${parsed.protocol} is not http:, https: or file:` };
  }
  return { url: parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/` };
}
