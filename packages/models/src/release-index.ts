// The signed release list of an npm package (ADR 0013): one target per package, beside its tarballs, that
// lists every signed version and the dist-tags. Installers compare a packument with it before a resolver
// chooses from the packument. One definition for the repository (which signs it) and the installers.
import { canonicalize } from './canonical-json.js';
import { digestHex } from './hashes.js';
import { TargetFile } from './target-file.js';

/** File name of the release-list target in the package's target directory (never a tarball: no `.tgz`). */
export const RELEASE_INDEX_FILE = 'tufpm-releases.json';
/** The key of the target's `custom` that carries the list (the target's bytes are its canonical form). */
export const RELEASE_INDEX_CUSTOM_KEY = 'releases';
/** Bounds for untrusted input: the most versions any npm package has is in the tens of thousands. */
export const MAX_RELEASE_VERSIONS = 100_000;
export const MAX_DIST_TAGS = 1_000;
const MAX_FIELD_LENGTH = 256;

export interface ReleaseIndex {
  /** every signed version, in code-point order */
  versions: string[];
  /** tag -> version; every version is one of `versions` */
  distTags: Record<string, string>;
}

/** `lodash` -> `lodash/-/tufpm-releases.json`; `@babel/core` -> `@babel/core/-/tufpm-releases.json`. */
export function releaseIndexPath(name: string): string {
  return `${name}/-/${RELEASE_INDEX_FILE}`;
}

export function isReleaseIndexPath(path: string): boolean {
  return path.endsWith(`/-/${RELEASE_INDEX_FILE}`);
}

function sortedTags(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of Object.keys(tags).sort()) out[tag] = tags[tag]!;
  return out;
}

/**
 * The target that signs `index` for package `name`: the bytes are the canonical JSON of
 * `{ name, versions, dist-tags }` (a registry may serve them), `custom.releases` carries the same list so an
 * installer reads it from the role it already verified, without downloading anything.
 */
export function releaseIndexTarget(name: string, index: ReleaseIndex): TargetFile {
  const versions = [...new Set(index.versions)].sort();
  const distTags = sortedTags(index.distTags);
  for (const [tag, version] of Object.entries(distTags)) {
    if (!versions.includes(version)) throw new RangeError(`dist-tag ${tag} of ${name} points at ${version}, which is not a signed version`);
  }
  const bytes = canonicalize({ 'dist-tags': distTags, name, versions });
  const path = releaseIndexPath(name);
  return new TargetFile(path, bytes.length, { sha512: digestHex('sha512', bytes) }, {
    [RELEASE_INDEX_CUSTOM_KEY]: { versions, 'dist-tags': distTags },
  });
}

export type ParsedReleaseIndex = { kind: 'signed'; value: ReleaseIndex } | { kind: 'malformed'; reason: string };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function boundedString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD_LENGTH;
}

/** Reads `custom.releases` of a release-list target strictly; anything unexpected is `malformed`. */
export function parseReleaseIndex(custom: unknown): ParsedReleaseIndex {
  const bad = (reason: string): ParsedReleaseIndex => ({ kind: 'malformed', reason });
  if (!isPlainObject(custom)) return bad('custom is not an object');
  const body = custom[RELEASE_INDEX_CUSTOM_KEY];
  if (!isPlainObject(body)) return bad(`custom.${RELEASE_INDEX_CUSTOM_KEY} is not an object`);
  const versions = body['versions'];
  const tags = body['dist-tags'];
  if (!Array.isArray(versions) || versions.length > MAX_RELEASE_VERSIONS) return bad('versions is not a bounded array');
  if (!versions.every(boundedString)) return bad('versions holds a non-string or overlong entry');
  const versionSet = new Set<string>(versions);
  if (versionSet.size !== versions.length) return bad('versions lists a version twice');
  if (!isPlainObject(tags)) return bad('dist-tags is not an object');
  const entries = Object.entries(tags);
  if (entries.length > MAX_DIST_TAGS) return bad('too many dist-tags');
  const distTags: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [tag, version] of entries) {
    if (!boundedString(tag) || !boundedString(version)) return bad(`dist-tag ${JSON.stringify(tag)} is not a bounded string`);
    if (!versionSet.has(version)) return bad(`dist-tag ${tag} points at ${version}, which the list does not sign`);
    distTags[tag] = version;
  }
  return { kind: 'signed', value: { versions: versions as string[], distTags } };
}
