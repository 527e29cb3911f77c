/**
 * Role names become file names and URL path segments through encodeURIComponent, except that "@"
 * is kept as is ('@babel/core' -> '@babel%2Fcore', as DESIGN.md 2 specifies and as npm spells scoped
 * names in URLs). "@" is a legal URL path character and harmless in file names; "/" and "%" are
 * escaped, so a role name can never add a path segment or escape the metadata directory.
 */
export function encodeRoleName(name: string): string {
  return encodeURIComponent(name).replace(/%40/g, '@');
}

export function decodeRoleName(encoded: string): string {
  return decodeURIComponent(encoded);
}
