import { RegistryError } from './errors.js';
import { assertPackageName } from './names.js';

export type Route =
  | { kind: 'ping' }
  | { kind: 'whoami' }
  | { kind: 'tuf'; file: string }
  | { kind: 'merkle'; root: string; rest: string[] }
  | { kind: 'packument'; name: string }
  | { kind: 'version'; name: string; versionOrTag: string }
  | { kind: 'tarball'; name: string; file: string }
  | { kind: 'unknown' };

const MAX_PATH_LENGTH = 2048;
// Tarball file names: `<unscoped>-<version>.tgz`, optionally prefixed by a hex digest (consistent
// snapshots, TUF 5.7.3). No leading dot, no separators, so the name stays one path component.
const TARBALL_FILE = /^[a-z0-9~-][A-Za-z0-9._~+-]*\.tgz$/;

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (err) {
    throw new RegistryError('REGISTRY_BAD_REQUEST', 'malformed percent-encoding in URL', { cause: err });
  }
}

/**
 * Maps a request path (without query) to a route. Scoped names arrive as `/@scope%2fname` (npm),
 * `/@scope%2Fname` or `/@scope/name`; all three mean the same package.
 */
export function parseRoute(rawPath: string): Route {
  if (rawPath.length > MAX_PATH_LENGTH || !rawPath.startsWith('/')) throw new RegistryError('REGISTRY_BAD_REQUEST', 'bad request path');
  const raw = rawPath.slice(1).split('/');
  if (raw[0] === '-') {
    if (raw.length === 2 && raw[1] === 'ping') return { kind: 'ping' };
    if (raw.length === 2 && raw[1] === 'whoami') return { kind: 'whoami' };
    // The raw (still encoded) segment is kept: TUF file names contain '%' (encoded role names).
    if (raw.length === 4 && raw[1] === 'tuf' && raw[2] === 'metadata') return { kind: 'tuf', file: raw[3]! };
    // Merkle snapshot profile (ADR 0021): /-/tuf/metadata/merkle/<root>/<role>.proof.json, delta.json, auditors/<keyid>.json
    if ((raw.length === 6 || raw.length === 7) && raw[1] === 'tuf' && raw[2] === 'metadata' && raw[3] === 'merkle') {
      return { kind: 'merkle', root: raw[4]!, rest: raw.slice(5) };
    }
    return { kind: 'unknown' };
  }
  const segs = raw.map(decode);
  let name: string;
  let rest: string[];
  if (segs[0]!.startsWith('@') && segs[0]!.includes('/')) {
    name = segs[0]!;
    rest = segs.slice(1);
  } else if (segs[0]!.startsWith('@')) {
    if (segs.length < 2) return { kind: 'unknown' };
    name = `${segs[0]}/${segs[1]}`;
    rest = segs.slice(2);
  } else {
    name = segs[0]!;
    rest = segs.slice(1);
  }
  assertPackageName(name);
  if (rest.length === 0) return { kind: 'packument', name };
  if (rest.length === 1 && rest[0]!.length > 0 && rest[0]!.length <= 256 && !rest[0]!.includes('/')) {
    return { kind: 'version', name, versionOrTag: rest[0]! };
  }
  if (rest.length === 2 && rest[0] === '-' && TARBALL_FILE.test(rest[1]!) && rest[1]!.length <= 400) {
    return { kind: 'tarball', name, file: rest[1]! };
  }
  return { kind: 'unknown' };
}
