import {
  DelegatedRole,
  canonicalize,
  releaseIndexPath,
  getVerificationResult,
  type Key,
  type Metadata,
  type TargetFile,
  type Targets,
  type VerificationResult,
} from '@tufpm/models';
import { packageOfTargetPath } from '../tarball.js';
import { RepositoryStateError } from '../errors.js';
import { isReleaseIndexPath, readReleaseIndex, signedVersionsIn, versionOfTargetPath } from '../release-index.js';
import { RolePathError, RoleRefusedError, RoleTargetError, RoleVersionError } from './errors.js';

/** The tarball a release uploads, as the registry measured it. */
export interface UploadedTarball {
  /** TUF target path = registry path: `@scope/pkg/-/pkg-1.2.3.tgz` */
  path: string;
  length: number;
  /** lower-case hex */
  hashes: { sha512: string; sha256?: string };
  /**
   * The target's `custom` as the registry derives it from the tarball (`{ npm: <its dependency maps> }`,
   * see readPackageTarball). When given, the signed new target must carry exactly this: installers compare
   * the dependencies they resolve with it, and the registry builds packuments from the same package.json.
   */
  custom?: unknown;
}

export interface ReleaseCheckInput {
  /** package (and role) name */
  name: string;
  /** what the delegator (top-level targets, offline key) lists for the package: keys and threshold */
  delegation: { role: DelegatedRole; keys: ReadonlyMap<string, Key> };
  /** the package role the repository serves now (version N) */
  current: Metadata<Targets>;
  /** the maintainer-signed role of the release (must be version N + 1) */
  candidate: Metadata<Targets>;
  /** the uploaded tarball; the role must add exactly this target. Omit to check a role without a release. */
  tarball?: UploadedTarball;
  /**
   * The package's dist-tags the registry will serve once the release is accepted: the role's signed release
   * list must carry exactly these (ADR 0013). Omit where they are not known yet (`tufpm sign`).
   */
  distTags?: Record<string, string>;
  now: Date;
}

export interface ReleaseCheckResult {
  verification: VerificationResult;
  /** threshold reached: the role may be served */
  complete: boolean;
  /** targets the candidate adds to the current role */
  added: TargetFile[];
}

const HASHES_ALLOWED = new Set(['sha256', 'sha512']);

/** Same length and the same digests (both sides list the same algorithms). */
export function sameTarget(a: TargetFile, b: TargetFile): boolean {
  const ka = Object.keys(a.hashes).sort();
  const kb = Object.keys(b.hashes).sort();
  return a.length === b.length && ka.length === kb.length && ka.every((k, i) => k === kb[i] && a.hashes[k] === b.hashes[k]);
}

/** Exactly the same entry: length, hashes and `custom` (canonical JSON of the whole target). */
export function identicalTarget(a: TargetFile, b: TargetFile): boolean {
  return Buffer.compare(Buffer.from(canonicalize(a.toJSON())), Buffer.from(canonicalize(b.toJSON()))) === 0;
}

/**
 * Signatures of a maintainer-signed role against the keys its delegation lists. Unlike a plain threshold
 * count, a signature by a key the delegation does not list, or one that does not verify, refuses the
 * role outright: the publisher used the wrong key, or the role was altered after signing, and should be
 * told instead of seeing it staged forever.
 */
export function checkRoleSignatures(name: string, delegation: ReleaseCheckInput['delegation'], candidate: Metadata<Targets>): VerificationResult {
  // TUF 5.6.3: only keys the delegator lists for this role count, each distinct key once.
  const result = getVerificationResult(delegation.keys, delegation.role, candidate);
  for (const keyid of candidate.signatures.keys()) {
    if (!delegation.role.keyids.includes(keyid)) {
      throw new RoleRefusedError(`${name}: the role is signed by key ${keyid}, which is not a maintainer key of ${name} (its keys: ${delegation.role.keyids.join(', ')})`);
    }
    if (!result.signedBy.includes(keyid)) {
      throw new RoleRefusedError(`${name}: the signature of key ${keyid} does not verify (was the role changed after signing?)`);
    }
  }
  if (result.distinctKeys === 0) throw new RoleRefusedError(`${name}: the role carries no maintainer signature`);
  return result;
}

/**
 * Every check the registry makes before it accepts a maintainer-signed release of a claimed package
 * (DESIGN.md 2): signatures against the delegation, version = current + 1, not expired, no further
 * delegations, every target under the package's own path, old targets unchanged, and exactly one new
 * target that is the uploaded tarball byte for byte. Below threshold the result is not `complete`
 * (the caller stages it); everything else that is wrong throws.
 */
export function checkRelease(input: ReleaseCheckInput): ReleaseCheckResult {
  const { name, delegation, current, candidate, now } = input;
  const verification = checkRoleSignatures(name, delegation, candidate);
  const cur = current.signed;
  const cand = candidate.signed;
  // TUF 5.6.4-style rollback/replay rule, stricter: exactly the next version, so a stale or replayed
  // role (signed for an older state) cannot be accepted, and no version number can be skipped.
  if (cand.version !== cur.version + 1) {
    throw new RoleVersionError(`${name}: the role has version ${cand.version}, but the current role is version ${cur.version}: sign a role of version ${cur.version + 1} (run tufpm sign again on the current role)`);
  }
  // TUF 5.6.5: an expired role would be refused by every client.
  if (cand.expires.getTime() <= now.getTime()) throw new RoleRefusedError(`${name}: the role expired at ${cand.expires.toISOString()}`);
  if (cand.delegations !== undefined) throw new RoleRefusedError(`${name}: a package role may not delegate further`);
  for (const path of cand.targets.keys()) {
    // The delegation's own paths pattern (`<name>/-/*`) and the npm layout rule must both hold.
    if (packageOfTargetPath(path) !== name || !path.startsWith(`${name}/-/`) || !delegation.role.isDelegatedPath(path)) {
      throw new RolePathError(`${name}: target ${JSON.stringify(path)} lies outside the package's path ${name}/-/`);
    }
  }
  for (const [path, old] of cur.targets) {
    if (isReleaseIndexPath(path)) continue; // the release list changes with every release: checked below
    const now2 = cand.targets.get(path);
    if (now2 === undefined) throw new RoleTargetError(`${name}: the role drops ${path}, which the current role signs (published versions are immutable)`);
    if (!identicalTarget(old, now2)) throw new RoleTargetError(`${name}: the role changes the length, hashes or custom data of the published ${path}`);
  }
  const added = [...cand.targets.values()].filter((t) => !cur.targets.has(t.path) && !isReleaseIndexPath(t.path));
  for (const t of added) {
    for (const alg of Object.keys(t.hashes)) {
      if (!HASHES_ALLOWED.has(alg)) throw new RoleTargetError(`${name}: target ${t.path} uses hash ${alg}; only sha512 and sha256 are accepted`);
    }
    if (t.hashes['sha512'] === undefined) throw new RoleTargetError(`${name}: target ${t.path} has no sha512 (npm's dist.integrity is sha512)`);
  }
  const tb = input.tarball;
  if (tb !== undefined) {
    if (added.length !== 1 || added[0]!.path !== tb.path) {
      throw new RoleTargetError(`${name}: the role must add exactly the uploaded ${tb.path}; it adds ${added.map((t) => t.path).join(', ') || 'nothing'}`);
    }
    const t = added[0]!;
    const shaOk = t.hashes['sha512'] === tb.hashes.sha512 && (t.hashes['sha256'] === undefined || t.hashes['sha256'] === tb.hashes.sha256);
    if (t.length !== tb.length || !shaOk) {
      throw new RoleTargetError(`${name}: the signed target ${t.path} (${t.length} bytes) does not match the uploaded tarball (${tb.length} bytes): sign the tarball you publish`);
    }
    // TUF 1.5.2 (extraneous dependencies): the signed dependency declarations must be the tarball's own.
    if (tb.custom !== undefined && (t.custom === undefined || Buffer.compare(Buffer.from(canonicalize(t.custom as never)), Buffer.from(canonicalize(tb.custom as never))) !== 0)) {
      throw new RoleTargetError(`${name}: the signed custom data of ${t.path} differs from the tarball's package.json dependencies (custom.npm); sign with tufpm sign`);
    }
  }
  if (tb !== undefined) checkReleaseList(name, cur, cand, versionOfTargetPath(name, tb.path), input.distTags);
  return { verification, complete: verification.verified, added };
}

/**
 * ADR 0013: a release re-signs the package's release list: every version the current role lists plus the
 * new one, nothing else, and (when the registry knows them) exactly the dist-tags it will serve. A
 * maintainer role without it would make every installer refuse the package, so it is refused here.
 */
function checkReleaseList(name: string, cur: Targets, cand: Targets, version: string | undefined, distTags: Record<string, string> | undefined): void {
  let signed;
  try {
    signed = readReleaseIndex(cand, name);
  } catch (err) {
    throw new RoleTargetError(`${name}: ${(err as Error).message}`, { cause: err });
  }
  if (signed === undefined) throw new RoleTargetError(`${name}: the role carries no release list (${releaseIndexPath(name)}); sign the release with a current tufpm sign`);
  const before = readReleaseIndexQuiet(cur, name)?.versions ?? signedVersionsIn(cur, name);
  const expected = new Set([...before, ...(version === undefined ? [] : [version])]);
  const got = new Set(signed.versions);
  const missing = [...expected].filter((v) => !got.has(v));
  const extra = [...got].filter((v) => !expected.has(v));
  if (missing.length > 0 || extra.length > 0) {
    throw new RoleTargetError(`${name}: the signed release list must list the published versions plus ${version ?? 'nothing'}; it ${missing.length > 0 ? `misses ${missing.join(', ')}` : ''}${missing.length > 0 && extra.length > 0 ? ' and ' : ''}${extra.length > 0 ? `adds ${extra.join(', ')}` : ''}`);
  }
  if (distTags !== undefined) {
    const tags = new Set([...Object.keys(distTags), ...Object.keys(signed.distTags)]);
    for (const tag of tags) {
      if (distTags[tag] !== signed.distTags[tag]) {
        throw new RoleTargetError(`${name}: the signed dist-tag ${tag} is ${signed.distTags[tag] ?? 'absent'}, but this publish sets it to ${distTags[tag] ?? 'nothing'}: sign and publish with the same --tag`);
      }
    }
  }
}

function readReleaseIndexQuiet(role: Targets, name: string): ReturnType<typeof readReleaseIndex> {
  try {
    return readReleaseIndex(role, name);
  } catch (err) {
    if (err instanceof RepositoryStateError) return undefined; // a malformed current list is replaced by the new one
    throw err;
  }
}

/** The delegation a top-level targets role lists for `name`, or undefined when the package is not claimed. */
export function delegationFor(targets: Targets, name: string): ReleaseCheckInput['delegation'] | undefined {
  const role = targets.delegations?.roles?.find((r) => r.name === name);
  if (role === undefined || targets.delegations === undefined) return undefined;
  return { role, keys: targets.delegations.keys };
}
