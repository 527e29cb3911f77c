import { isBundledInsideParent } from '@tufpm/verify';
import { isObject, malformedLock, MAX_LOCK_ENTRIES, type LockEntry } from './lock-entries.js';

/**
 * package-lock.json / npm-shrinkwrap.json (lockfileVersion 2 and 3: the `packages` map npm 7+ writes),
 * read the way Arborist's loadVirtual reads it, without Arborist: the key is the install location, the
 * name is the entry's `name` (an alias target) or the folder after the last `node_modules/`.
 */
export function parsePackageLock(path: string, text: string): LockEntry[] {
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch (error) {
    throw malformedLock(path, `not JSON (${(error as Error).message.slice(0, 100)})`);
  }
  if (!isObject(lock)) throw malformedLock(path, 'not a JSON object');
  const version = lock['lockfileVersion'];
  if (version !== 2 && version !== 3) {
    // Only a scalar is shown: JSON.stringify of a nested value blew the stack (a RangeError, not
    // TUF_LOCK_MALFORMED; found by fuzzing, issue 19).
    const shown = typeof version === 'object' && version !== null ? (Array.isArray(version) ? 'an array' : 'an object') : String(JSON.stringify(version)).slice(0, 40);
    throw malformedLock(path, `lockfileVersion ${shown} is not 2 or 3 (npm 7 and later write them; run tufpm-npm install to upgrade it)`);
  }
  const packages = lock['packages'];
  if (!isObject(packages)) throw malformedLock(path, 'has no `packages` map');
  const keys = Object.keys(packages);
  if (keys.length > MAX_LOCK_ENTRIES) throw malformedLock(path, `lists ${keys.length} packages (more than ${MAX_LOCK_ENTRIES})`);
  const entries: LockEntry[] = [];
  for (const location of keys) {
    if (location === '') continue; // the project itself
    const entry = packages[location];
    if (!isObject(entry)) throw malformedLock(path, `packages[${JSON.stringify(location.slice(0, 200))}] is not an object`);
    entries.push(classify(path, location, entry, isBundledInsideParent(packages, location)));
  }
  return entries;
}

function stringField(path: string, location: string, entry: Record<string, unknown>, field: string): string | undefined {
  const value = entry[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 4096) throw malformedLock(path, `packages[${JSON.stringify(location.slice(0, 200))}].${field} is not a string`);
  return value;
}

function classify(path: string, location: string, entry: Record<string, unknown>, bundled: boolean): LockEntry {
  const at = location.lastIndexOf('node_modules/');
  const folderName = at === -1 ? location : location.slice(at + 'node_modules/'.length);
  const name = stringField(path, location, entry, 'name') ?? folderName;
  const version = stringField(path, location, entry, 'version') ?? '';
  const resolved = stringField(path, location, entry, 'resolved');
  const integrity = stringField(path, location, entry, 'integrity');
  const base = { name, version, location, ...(resolved === undefined ? {} : { source: resolved }), ...(integrity === undefined ? {} : { integrity }), fields: entry };
  // A workspace folder (`packages/a`) or the link to it (`node_modules/a`, link: true): the project's own code.
  if (at === -1 || entry['link'] === true) return { ...base, kind: 'workspace' };
  // Inside a registry parent's tarball, whose signed hash covers it; npm never fetches it on its own. Any
  // other entry flagged inBundle (top-level, with a URL or integrity) is checked as a registry entry.
  if (bundled) return { ...base, kind: 'bundled' };
  if (resolved === undefined) return { ...base, kind: 'registry' }; // omit-lockfile-registry-resolved: the configured registry
  if (/^(git\+|git:|github:|gitlab:|bitbucket:|gist:)/.test(resolved)) return { ...base, kind: 'git' };
  if (/^(file:|link:)/.test(resolved) || !/^[a-z][a-z0-9+.-]*:/i.test(resolved)) return { ...base, kind: 'file' };
  if (/^https?:\/\//i.test(resolved)) return { ...base, kind: 'registry' }; // checked against the registry's tarball URL
  return { ...base, kind: 'remote' };
}
