// The registry packages a project's lockfile resolves, read strictly: package-lock.json (v2/v3),
// yarn.lock (Yarn 2+, `resolution: name@npm:version`) or tufpm-lock.json. Everything that is not a
// package of the upstream registry (git, file:, link:, workspace:, patch:, another registry) is listed
// with the reason it cannot be approved.
import { basename } from 'node:path';
import { parseSyml } from '@yarnpkg/parsers';
import { readBoundedFile } from '@tufpm/merkle';
import { parseJsonStrict } from '@tufpm/models';
import { integrityToSha512Hex, isBundledInsideParent, isValidPackageName, isValidVersion, targetPathFor } from '@tufpm/verify';
import { OverlayError } from './errors.js';

export interface LockedPackage {
  name: string;
  version: string;
  targetPath: string;
  /** sha512 (hex) the lockfile records for the tarball, when it records one (package-lock.json) */
  sha512?: string;
}

export interface Unapprovable {
  /** how the lockfile names it */
  spec: string;
  reason: string;
}

export interface LockedTree {
  kind: 'package-lock' | 'yarn-lock' | 'tufpm-lock';
  packages: LockedPackage[];
  unapprovable: Unapprovable[];
}

const MAX_LOCKFILE_BYTES = 256 * 1024 * 1024;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function readLockedTree(file: string, upstream: string): Promise<LockedTree> {
  const read = await readBoundedFile(file, MAX_LOCKFILE_BYTES);
  if (read.kind === 'missing') throw read.error;
  if (read.kind === 'not-a-file') throw new OverlayError('TUF_LOCKFILE_FORMAT', `${file} is not a regular file`);
  if (read.kind === 'too-large') throw new OverlayError('TUF_LOCKFILE_FORMAT', `${file} is larger than ${MAX_LOCKFILE_BYTES} bytes`);
  const bytes = read.bytes;
  const name = basename(file);
  if (name === 'yarn.lock') {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (cause) {
      // A TypeError from the decoder: was an untyped crash of `tufpm-overlay approve` (found by fuzzing, issue 19).
      if (!(cause instanceof TypeError)) throw cause;
      throw new OverlayError('TUF_LOCKFILE_FORMAT', `${file} is not valid UTF-8`, { cause });
    }
    return yarnLock(text, upstream);
  }
  let json: unknown;
  try {
    json = parseJsonStrict(bytes, MAX_LOCKFILE_BYTES, { allowFloats: true });
  } catch (cause) {
    throw new OverlayError('TUF_LOCKFILE_FORMAT', `${file} is not valid JSON`, { cause });
  }
  if (name === 'tufpm-lock.json') return tufpmLock(json);
  return packageLock(json, upstream, file);
}

class Collector {
  private readonly seen = new Map<string, LockedPackage>();
  readonly unapprovable: Unapprovable[] = [];

  add(spec: string, name: string, version: string, sha512?: string): void {
    if (!isValidPackageName(name) || !isValidVersion(version)) {
      this.unapprovable.push({ spec, reason: `not a valid npm package name and version (${name}@${version})` });
      return;
    }
    const key = `${name}@${version}`;
    const had = this.seen.get(key);
    if (had !== undefined) {
      if (sha512 !== undefined && had.sha512 !== undefined && had.sha512 !== sha512) {
        throw new OverlayError('TUF_LOCKFILE_FORMAT', `the lockfile records two different integrities for ${key}`);
      }
      if (had.sha512 === undefined && sha512 !== undefined) had.sha512 = sha512;
      return;
    }
    this.seen.set(key, { name, version, targetPath: targetPathFor(name, version), ...(sha512 === undefined ? {} : { sha512 }) });
  }

  tree(kind: LockedTree['kind']): LockedTree {
    const packages = [...this.seen.values()].sort((a, b) => (a.targetPath < b.targetPath ? -1 : a.targetPath > b.targetPath ? 1 : 0));
    return { kind, packages, unapprovable: this.unapprovable };
  }
}

/** The package name a `node_modules/...` key installs (the last `node_modules/<name>` segment). */
function nameOfLockKey(key: string): string | undefined {
  const at = key.lastIndexOf('node_modules/');
  return at < 0 ? undefined : key.slice(at + 'node_modules/'.length);
}

function packageLock(json: unknown, upstream: string, file: string): LockedTree {
  if (!isObject(json) || !isObject(json['packages'])) {
    throw new OverlayError('TUF_LOCKFILE_FORMAT', `${file} has no "packages" map (lockfileVersion 2 or 3 is required; run npm install with npm 7 or later)`);
  }
  const out = new Collector();
  const packages = json['packages'];
  for (const [key, entry] of Object.entries(packages)) {
    if (key === '' || !isObject(entry)) continue;
    if (entry['link'] === true) continue; // a workspace or file: link: its own packages are listed separately
    const installedAs = nameOfLockKey(key);
    if (installedAs === undefined) continue; // a workspace's own entry
    const name = typeof entry['name'] === 'string' ? entry['name'] : installedAs; // npm: aliases record the real name
    const version = entry['version'];
    const resolved = entry['resolved'];
    // inside a registry parent's tarball: approved with the parent; any other inBundle claim is checked (ADR 0015)
    if (isBundledInsideParent(packages, key)) continue;
    if (typeof version !== 'string') {
      out.unapprovable.push({ spec: key, reason: 'no version recorded' });
      continue;
    }
    // npm's omit-lockfile-registry-resolved writes registry packages with an integrity and no URL: they
    // install from whatever registry the project is configured with, the upstream in overlay mode.
    const registryWithoutUrl = resolved === undefined && typeof entry['integrity'] === 'string';
    if (typeof resolved !== 'string' && !registryWithoutUrl) {
      out.unapprovable.push({ spec: `${name}@${version}`, reason: 'no resolved URL and no integrity (a file: or git dependency?)' });
      continue;
    }
    if (typeof resolved === 'string' && !/^https?:\/\//.test(resolved)) {
      out.unapprovable.push({ spec: `${name}@${version}`, reason: `not a registry package (${resolved.slice(0, 120)})` });
      continue;
    }
    if (!isValidPackageName(name) || !isValidVersion(version) || (typeof resolved === 'string' && resolved !== `${upstream}${targetPathFor(name, version)}`)) {
      out.unapprovable.push({ spec: `${name}@${version}`, reason: `resolved from another registry or path (${String(resolved).slice(0, 120)}), not the upstream ${upstream}` });
      continue;
    }
    const integrity = entry['integrity'];
    let sha512: string | undefined;
    if (typeof integrity === 'string') sha512 = integrityToSha512Hex(integrity) ?? undefined;
    if (sha512 === undefined) {
      out.unapprovable.push({ spec: `${name}@${version}`, reason: 'the lockfile records no sha512 integrity for it (run npm install to refresh the lockfile)' });
      continue;
    }
    out.add(`${name}@${version}`, name, version, sha512);
  }
  return out.tree('package-lock');
}

/** `name@npm:version` (the resolution Yarn 2+ records for a registry package). */
const NPM_RESOLUTION = /^((?:@[^/@]+\/)?[^/@]+)@npm:([^/@:#]+)$/;

function yarnLock(text: string, upstream: string): LockedTree {
  let doc: Record<string, unknown>;
  try {
    doc = parseSyml(text) as Record<string, unknown>;
  } catch (cause) {
    throw new OverlayError('TUF_LOCKFILE_FORMAT', 'yarn.lock does not parse', { cause });
  }
  if (!isObject(doc['__metadata'])) throw new OverlayError('TUF_LOCKFILE_FORMAT', 'yarn.lock has no __metadata: a Yarn 1 lockfile? (overlay mode supports Yarn 2+ lockfiles and package-lock.json)');
  const out = new Collector();
  for (const [key, entry] of Object.entries(doc)) {
    if (key === '__metadata' || !isObject(entry)) continue;
    const resolution = entry['resolution'];
    if (typeof resolution !== 'string') {
      out.unapprovable.push({ spec: key, reason: 'no resolution recorded' });
      continue;
    }
    if (/@workspace:/.test(resolution)) continue; // the project's own workspaces
    const m = NPM_RESOLUTION.exec(resolution);
    if (m === null) {
      out.unapprovable.push({ spec: resolution, reason: 'not a package of the npm registry (git, file:, patch:, link: or a URL)' });
      continue;
    }
    // Yarn records tarballs of the configured registry only by name and version; a package from another
    // registry (a scope's npmRegistryServer) looks the same: the install verifies it against the
    // upstream's path, so approving it here makes it installable only from the upstream.
    void upstream;
    out.add(resolution, m[1]!, m[2]!);
  }
  return out.tree('yarn-lock');
}

function tufpmLock(json: unknown): LockedTree {
  if (!isObject(json) || !isObject(json['packages'])) throw new OverlayError('TUF_LOCKFILE_FORMAT', 'tufpm-lock.json has no "packages" map');
  const out = new Collector();
  for (const [key, entry] of Object.entries(json['packages'])) {
    const at = key.lastIndexOf('@');
    if (at <= 0 || !isObject(entry)) {
      out.unapprovable.push({ spec: key, reason: 'not name@version' });
      continue;
    }
    const sha512 = typeof entry['sha512'] === 'string' && /^[0-9a-f]{128}$/.test(entry['sha512']) ? entry['sha512'] : undefined;
    out.add(key, key.slice(0, at), key.slice(at + 1), sha512);
  }
  return out.tree('tufpm-lock');
}
