import { parseSyml } from '@yarnpkg/parsers';
import { isObject, malformedLock, MAX_LOCK_ENTRIES, type LockEntry } from './lock-entries.js';

/**
 * yarn.lock of Yarn 2 and later (`__metadata` first), parsed with Yarn's own lockfile parser
 * (@yarnpkg/parsers, no Yarn runtime). Each entry's `resolution` (`name@npm:1.2.3`, an alias already resolved
 * to the package it installs) names the package; `checksum` is Yarn's archive checksum. Classified as the
 * Yarn plugin classifies locators (yarn-plugin-tuf locators.ts).
 */
export function parseYarnLock(path: string, text: string): LockEntry[] {
  let lock: unknown;
  try {
    lock = parseSyml(text);
  } catch (error) {
    throw malformedLock(path, `does not parse (${(error as Error).message.slice(0, 100)})`);
  }
  if (!isObject(lock)) throw malformedLock(path, 'is not a map of entries');
  if (!isObject(lock['__metadata'])) throw malformedLock(path, 'has no __metadata (a Yarn 1 lockfile? tufpm supports Yarn 4)');
  const keys = Object.keys(lock).filter((k) => k !== '__metadata');
  if (keys.length > MAX_LOCK_ENTRIES) throw malformedLock(path, `lists ${keys.length} entries (more than ${MAX_LOCK_ENTRIES})`);
  const entries: LockEntry[] = [];
  for (const key of keys) {
    const entry = lock[key];
    if (!isObject(entry)) throw malformedLock(path, `entry ${JSON.stringify(key.slice(0, 200))} is not a map`);
    const resolution = entry['resolution'];
    if (typeof resolution !== 'string' || resolution.length > 4096) throw malformedLock(path, `entry ${JSON.stringify(key.slice(0, 200))} has no resolution`);
    const checksum = entry['checksum'];
    if (checksum !== undefined && typeof checksum !== 'string') throw malformedLock(path, `entry ${JSON.stringify(key.slice(0, 200))}: checksum is not a string`);
    entries.push(classify(path, resolution, checksum));
  }
  return entries;
}

/** `@scope/name@npm:1.2.3` -> ident and reference (the ident's own `@` is the first character). */
export function splitLocator(locator: string): { name: string; reference: string } | null {
  const at = locator.indexOf('@', locator.startsWith('@') ? 1 : 0);
  if (at <= 0) return null;
  return { name: locator.slice(0, at), reference: locator.slice(at + 1) };
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function classify(path: string, resolution: string, checksum: string | undefined): LockEntry {
  const locator = splitLocator(resolution);
  if (locator === null) throw malformedLock(path, `resolution ${JSON.stringify(resolution.slice(0, 200))} names no package`);
  const { name, reference } = locator;
  const base = { name, version: '', location: resolution, source: reference, ...(checksum === undefined ? {} : { checksum }) };
  const colon = reference.indexOf(':');
  const protocol = colon === -1 ? '' : reference.slice(0, colon + 1);
  if (protocol === 'workspace:') return { ...base, kind: 'workspace' };
  if (protocol === 'npm:') {
    // `npm:1.2.3`, or `npm:1.2.3::__archiveUrl=<url>` when the packument named another tarball URL
    const [selector, params] = splitParams(reference.slice(colon + 1));
    if (!SEMVER.test(selector)) return { ...base, kind: 'remote' };
    const archiveUrl = params.get('__archiveUrl');
    return { ...base, version: selector, kind: 'registry', ...(archiveUrl === null ? {} : { source: archiveUrl }) };
  }
  if (protocol === 'patch:') {
    // `patch:lodash@npm%3A4.17.21#./my.patch::...`: the patch is the project's; the package underneath is
    // looked up in TUF, but the patched archive's checksum binds to nothing signed (as in the plugin).
    const hash = reference.indexOf('#');
    const inner = splitLocator(safeDecode(reference.slice(colon + 1, hash === -1 ? undefined : hash)));
    if (inner !== null && inner.reference.startsWith('npm:')) {
      const [selector] = splitParams(inner.reference.slice(4));
      if (SEMVER.test(selector)) return { name: inner.name, version: selector, location: resolution, source: reference, kind: 'registry', patched: true };
    }
    return { ...base, kind: 'file' };
  }
  if (protocol === 'git:' || protocol === 'git+ssh:' || protocol === 'git+https:' || protocol === 'github:' || reference.includes('.git#')) return { ...base, kind: 'git' };
  if (protocol === 'file:' || protocol === 'link:' || protocol === 'portal:' || protocol === 'exec:') return { ...base, kind: 'file' };
  return { ...base, kind: 'remote' };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch (error) {
    if (error instanceof URIError) return text;
    throw error;
  }
}

function splitParams(reference: string): [string, URLSearchParams] {
  const sep = reference.indexOf('::');
  if (sep === -1) return [reference, new URLSearchParams()];
  return [reference.slice(0, sep), new URLSearchParams(reference.slice(sep + 2))];
}
