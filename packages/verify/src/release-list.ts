// ADR 0013: the versions and dist-tags a resolver chooses from must be the signed ones. A packument is
// compared, before the resolver reads it, with the package's signed release list; pure functions here,
// the TUF lookup is InstallVerifier.checkReleaseList.
import { MAX_DIST_TAGS, MAX_RELEASE_VERSIONS, TufError, parseReleaseIndex, releaseIndexPath, type ReleaseIndex } from '@tufpm/models';
import { VerifyError, describeFailure } from './errors.js';
import { isValidPackageName } from './target-path.js';
import type { TufSession } from './tuf-session.js';

/** What a packument offers a resolver: its version keys and its dist-tags (untrusted). */
export interface OfferedReleases {
  versions: string[];
  distTags: Record<string, string>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MAX_SHOWN = 5;

function shown(list: readonly string[]): string {
  return list.length <= MAX_SHOWN ? list.join(', ') : `${list.slice(0, MAX_SHOWN).join(', ')} and ${list.length - MAX_SHOWN} more`;
}

/**
 * The release list of a packument as Yarn and pacote read it (`versions` keys, `dist-tags`), checked for
 * shape and size only. A document without `versions` offers nothing and is left to the installer to reject.
 */
export function offeredReleases(name: string, packument: unknown, opts: { versionFieldOptional?: boolean } = {}): OfferedReleases {
  const malformed = (what: string): VerifyError =>
    new VerifyError('TUF_PACKAGE_NOT_SIGNED', `the packument of ${name} is malformed: ${what}`, {
      packageName: name,
      attack: 'malformed package metadata from the registry',
      recovery: 'nothing was installed; retry against the real registry and report the registry or mirror that served it',
    });
  if (!isPlainObject(packument)) throw malformed('not a JSON object');
  const versions = packument['versions'] ?? {};
  const tags = packument['dist-tags'] ?? {};
  if (!isPlainObject(versions)) throw malformed('versions is not an object');
  if (!isPlainObject(tags)) throw malformed('dist-tags is not an object');
  const versionKeys = Object.keys(versions);
  if (versionKeys.length > MAX_RELEASE_VERSIONS) throw malformed(`more than ${MAX_RELEASE_VERSIONS} versions`);
  // The resolver picks a key but installs the manifest under it: a key must hold its own version's manifest
  // (else `versions["1.0.1"]` can carry 1.0.0, and the signed key list still matches). Yarn's npm plugin
  // keeps no `version` in its picked metadata (it installs a key's tarball, verified against that key's
  // target), so there `version` is compared when present.
  for (const key of versionKeys) {
    const manifest = versions[key];
    if (!isPlainObject(manifest)) throw malformed(`versions[${JSON.stringify(key)}] is not an object`);
    const versionOk = manifest['version'] === key || (opts.versionFieldOptional === true && !Object.hasOwn(manifest, 'version'));
    if (!versionOk || manifest['name'] !== name) {
      const held = `${typeof manifest['name'] === 'string' ? manifest['name'] : '?'}@${typeof manifest['version'] === 'string' ? manifest['version'] : '?'}`;
      // Another package's manifest is the identity attack of the edges check (issue 14 case 0): same code.
      const otherPackage = manifest['name'] !== name;
      throw new VerifyError(otherPackage ? 'TUF_EDGE_PACKAGE' : 'TUF_RELEASE_KEY_MISMATCH', `the packument of ${name} offers ${name}@${key}, but that entry holds the manifest of ${held.slice(0, 200)}`, {
        packageName: name,
        version: key,
        attack: otherPackage
          ? 'package substitution (a version key of the packument holding the manifest of another package)'
          : 'release swapped in the packument (a version key holding another version\'s manifest, e.g. a vulnerable release served as its fix)',
        recovery: 'nothing was installed; the registry, a mirror or a cached packument is tampered: clear the metadata cache, retry against the real registry and report the one that served it',
      });
    }
  }
  const tagEntries = Object.entries(tags);
  if (tagEntries.length > MAX_DIST_TAGS) throw malformed(`more than ${MAX_DIST_TAGS} dist-tags`);
  const distTags: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [tag, version] of tagEntries) {
    if (typeof version !== 'string') throw malformed(`dist-tag ${JSON.stringify(tag)} is not a string`);
    distTags[tag] = version;
  }
  return { versions: versionKeys, distTags };
}

/** A dependency edge asking for a dist-tag (`foo@latest`, `npm:foo@next`) and the version that serves it. */
export interface TagEdge {
  name: string;
  tag: string;
  version: string;
  /** The edge, as the error names it ("the project -> foo@latest"). */
  edge: string;
}

/** The signed tag must name the version that serves the edge (lockfile edits included); else the error. */
export function tagEdgeMismatch(role: string, signed: ReleaseIndex, tagEdge: TagEdge): VerifyError | undefined {
  // TUF 1.5.2 (arbitrary installation / rollback): a tag resolves only to what the signers tagged.
  const { name, tag, version, edge } = tagEdge;
  const want = Object.hasOwn(signed.distTags, tag) ? signed.distTags[tag] : undefined;
  if (want === version) return undefined;
  return new VerifyError('TUF_DIST_TAG_MISMATCH', `dependency ${edge} asks for ${name}@${tag}, which role ${role} signs as ${want ?? 'no such tag'}, but ${name}@${version} serves it`, {
    packageName: name,
    version,
    role,
    attack: 'dist-tag edge pinned to another version (an edited lockfile, or a tag moved by the registry)',
    recovery: 'nothing was installed; restore the lockfile from version control, or re-resolve the tag against the real registry',
  });
}

/** Per-version fields a resolver ranks candidates by, that no signature covers in the packument. */
const UNSIGNED_PREFERENCES = ['deprecated', 'engines'] as const;

/**
 * Removes, in place, the packument fields by which Yarn and npm-pick-manifest steer a range away from a
 * version (`deprecated`; `engines` for npm) before a resolver reads them: unsigned, so a registry could
 * hide a signed fix without touching the release list. `deprecated` is informational; a release's signed
 * engines are in its target's `custom.npm`, which lives in one hash bin per version (ADR 0013), so copying
 * them here would cost a request per version: they are dropped instead (see docs/threat-model.md).
 * Call after offeredReleases accepted the shape. Returns whether anything was removed.
 */
export function dropUnsignedPreferences(packument: unknown): boolean {
  if (!isPlainObject(packument) || !isPlainObject(packument['versions'])) return false;
  let changed = false;
  for (const manifest of Object.values(packument['versions'])) {
    if (!isPlainObject(manifest)) continue;
    for (const field of UNSIGNED_PREFERENCES) {
      if (Object.hasOwn(manifest, field)) {
        delete manifest[field];
        changed = true;
      }
    }
  }
  return changed;
}

/**
 * Compares what a packument offers with the signed release list; throws the first difference:
 * a version nobody signed (TUF_PACKAGE_NOT_SIGNED), a signed version left out (TUF_RELEASE_HIDDEN), a tag that
 * differs from the signed one (TUF_DIST_TAG_MISMATCH).
 */
export function checkOfferedReleases(name: string, role: string, signed: ReleaseIndex, offered: OfferedReleases): void {
  // TUF 1.5.2 (arbitrary installation): every version a resolver may pick is one the signers published.
  const signedSet = new Set(signed.versions);
  const unsigned = offered.versions.filter((v) => !signedSet.has(v)).sort();
  if (unsigned.length > 0) {
    throw new VerifyError('TUF_PACKAGE_NOT_SIGNED', `${name}@${unsigned[0]} is offered by the packument but not signed: the signed release list of ${name} (role ${role}) does not list ${shown(unsigned)}`, {
      packageName: name,
      version: unsigned[0]!,
      role,
      attack: 'arbitrary package (a version its signers never published, added to the packument)',
      recovery: 'nothing was installed; the registry or a mirror offers a forged version: report it, and retry against the real registry',
    });
  }
  // TUF 1.5.2 (indefinite freeze, malicious mirrors preventing updates): a signed version cannot be hidden.
  const offeredSet = new Set(offered.versions);
  const hidden = signed.versions.filter((v) => !offeredSet.has(v)).sort();
  if (hidden.length > 0) {
    throw new VerifyError('TUF_RELEASE_HIDDEN', `the packument of ${name} hides ${shown(hidden)}, which role ${role} signs in the current snapshot`, {
      packageName: name,
      version: hidden[0]!,
      role,
      attack: 'indefinite freeze of a package (a signed release hidden from the packument, e.g. a security fix)',
      recovery: 'nothing was installed; the registry, a mirror or a cached packument is stale or tampered: clear the package manager\'s metadata cache and retry against the real registry',
    });
  }
  // Dist-tags: `latest`, `next`, ... resolve only to what the signers tagged.
  const tags = [...new Set([...Object.keys(signed.distTags), ...Object.keys(offered.distTags)])].sort();
  for (const tag of tags) {
    const want = Object.hasOwn(signed.distTags, tag) ? signed.distTags[tag] : undefined;
    const got = Object.hasOwn(offered.distTags, tag) ? offered.distTags[tag] : undefined;
    if (want === got) continue;
    throw new VerifyError('TUF_DIST_TAG_MISMATCH', `the packument's dist-tag ${name}@${tag} is ${got ?? 'missing'}, but role ${role} signs ${tag} -> ${want ?? 'no such tag'}`, {
      packageName: name,
      ...(got === undefined ? {} : { version: got }),
      role,
      attack: 'dist-tag moved by the registry (a tag its signers did not set: an old or unintended release)',
      recovery: 'nothing was installed; the registry, a mirror or a cached packument is stale or tampered: clear the metadata cache and retry, or ask for an exact version',
    });
  }
}

/**
 * The signed release list of `name`, through the delegation search for its path (TUF 5.6.7: the same
 * pre-order search as for a tarball, so a claimed package's list comes from its maintainers' role).
 */
export async function findReleaseList(tuf: Pick<TufSession, 'findTarget'>, name: string): Promise<{ role: string; index: ReleaseIndex }> {
  if (!isValidPackageName(name)) {
    throw new VerifyError('TUF_BAD_TARBALL_URL', `invalid package name ${JSON.stringify(name)}`, {
      attack: 'malformed package name',
      recovery: 'check the dependency name',
    });
  }
  const path = releaseIndexPath(name);
  let found: Awaited<ReturnType<TufSession['findTarget']>>;
  try {
    found = await tuf.findTarget(path);
  } catch (error) {
    // Name the package whose lookup met the failure; the client's code (TUF_THRESHOLD, ...) is kept.
    if (!(error instanceof TufError) || error instanceof VerifyError) throw error;
    const { attack, recovery } = describeFailure(error.code);
    throw new VerifyError(error.code, `${name} (signed release list): ${error.message}`, { packageName: name, attack, recovery, cause: error });
  }
  const parsed = found === undefined ? undefined : parseReleaseIndex(found.target.custom);
  if (found === undefined || parsed === undefined || parsed.kind === 'malformed') {
    const why = parsed?.kind === 'malformed' ? `a malformed signed release list (${parsed.reason})` : `no signed release list (${path})`;
    throw new VerifyError('TUF_PACKAGE_NOT_SIGNED', `${name}: the repository has ${why}, so no version of it can be chosen`, {
      packageName: name,
      ...(found === undefined ? {} : { role: found.role }),
      attack: 'arbitrary package (versions and dist-tags nobody signed)',
      recovery: 'nothing was installed; the package is not in the TUF repository, or its operator must re-sign its release list (tufpm-repo); an exact version already in the lockfile installs without it',
    });
  }
  return { role: found.role, index: parsed.value };
}
