// URL construction for metadata and targets. Role names are always encodeURIComponent'ed (they may contain
// '/', '?', '#', '..'); target paths keep their '/' separators but every segment is escaped.
import { encodeRoleName } from '@tufpm/models';

/** base + '/' + name, whether or not base ends with '/' */
export function joinUrl(base: string, name: string): string {
  return base.endsWith('/') ? base + name : `${base}/${name}`;
}

/** TUF 5.3.2 / 5.5.1 / 5.6.1: `<v>.<role>.json` with consistent snapshots, `<role>.json` otherwise */
export function metadataFileName(roleName: string, version: number | undefined): string {
  const encoded = encodeRoleName(roleName);
  return version === undefined ? `${encoded}.json` : `${version}.${encoded}.json`;
}

function encodeSegment(segment: string): string {
  // keep '@' readable: npm scopes (@babel/core) appear in registry tarball paths as-is
  return encodeURIComponent(segment).replace(/%40/g, '@');
}

/**
 * One flat file name per target path inside a target directory: encodeURIComponent keeps '/' out, and the
 * names '', '.' and '..' (which encodeURIComponent leaves as they are) are escaped so that they cannot
 * point at the directory itself or its parent.
 */
export function targetFileName(targetPath: string): string {
  const encoded = encodeURIComponent(targetPath);
  if (encoded === '') return '%';
  return encoded === '.' || encoded === '..' ? encoded.replace(/\./g, '%2E') : encoded;
}

/** TUF 5.7.3: `<dir>/<hash>.<basename>` with consistent snapshots (when hashPrefix is given) */
export function targetUrl(base: string, targetPath: string, hashPrefix: string | undefined): string {
  const segments = targetPath.split('/');
  if (hashPrefix !== undefined) segments[segments.length - 1] = `${hashPrefix}.${segments[segments.length - 1]}`;
  return joinUrl(base, segments.map(encodeSegment).join('/'));
}
