import type { VersionManifest } from './hooks.js';

/** A packument as stored on disk: `dist.tarball` is the target path, made absolute when served. */
export interface StoredPackument {
  _id: string;
  name: string;
  description?: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, VersionManifest>;
  time: Record<string, string>;
}

// The fields npm's abbreviated ("corgi") format keeps, from npm/registry's package-metadata docs.
const ABBREVIATED_FIELDS = [
  'name',
  'version',
  'deprecated',
  'dependencies',
  'optionalDependencies',
  'devDependencies',
  'bundleDependencies',
  'bundledDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'acceptDependencies',
  'bin',
  'directories',
  'dist',
  'engines',
  'cpu',
  'os',
  'libc',
  'funding',
  'license',
  '_hasShrinkwrap',
  'hasInstallScript',
] as const;

function absoluteDist(manifest: VersionManifest, baseUrl: string): VersionManifest {
  return { ...manifest, dist: { ...manifest.dist, tarball: `${baseUrl}/${manifest.dist.tarball}` } };
}

/** The full packument, as `GET /<name>` with `Accept: application/json` expects it. */
export function renderFullPackument(stored: StoredPackument, baseUrl: string): Record<string, unknown> {
  const versions: Record<string, VersionManifest> = {};
  for (const [v, m] of Object.entries(stored.versions)) versions[v] = absoluteDist(m, baseUrl);
  return { ...stored, versions };
}

/**
 * The abbreviated packument (`application/vnd.npm.install-v1+json`). We keep `time` in it as well
 * (as verdaccio and the pnpm RFC do), because minimum-release-age gates read it from whichever
 * document they fetched.
 */
export function renderAbbreviatedPackument(stored: StoredPackument, baseUrl: string): Record<string, unknown> {
  const versions: Record<string, Record<string, unknown>> = {};
  for (const [v, m] of Object.entries(stored.versions)) {
    const full = absoluteDist(m, baseUrl) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const field of ABBREVIATED_FIELDS) if (full[field] !== undefined) out[field] = full[field];
    versions[v] = out;
  }
  return {
    name: stored.name,
    modified: stored.time['modified'],
    'dist-tags': stored['dist-tags'],
    versions,
    time: stored.time,
  };
}

/** One version manifest, for `GET /<name>/<version|tag>`. */
export function renderVersion(stored: StoredPackument, versionOrTag: string, baseUrl: string): VersionManifest | undefined {
  const version = Object.hasOwn(stored['dist-tags'], versionOrTag) ? stored['dist-tags'][versionOrTag]! : versionOrTag;
  if (!Object.hasOwn(stored.versions, version)) return undefined;
  return absoluteDist(stored.versions[version]!, baseUrl);
}
