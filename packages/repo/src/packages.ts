import { DelegatedRole, isTopLevelRole, releaseIndexPath, releaseIndexTarget, type Key, type Signer, type TargetFile } from '@tufpm/models';
import {
  InvalidInputError,
  KeyMismatchError,
  KeyMissingError,
  PackageClaimedError,
  PackageMismatchError,
  TargetExistsError,
  UnknownPackageError,
} from './errors.js';
import { NpmRepositoryCore, UNCLAIMED_ROLE, expiresIn } from './npm-repository.js';
import { checkPackageName, packageOfTargetPath, readPackageTarball, type PackageTarball } from './tarball.js';
import { clearUnclaimRecord } from './unclaim.js';
import { isReleaseIndexPath, readReleaseIndex, nextReleaseIndex, signedVersionsIn, updateReleaseIndex } from './release-index.js';

export interface AddPackageOptions {
  /** Maintainer private keys to sign the new package role right away. */
  signers?: Signer[];
  /** Write the package role even when it has fewer maintainer signatures than its threshold. */
  allowUnsigned?: boolean;
}

export interface AddPackageResult {
  name: string;
  keyids: string[];
  threshold: number;
  /** Versions that were in unclaimed bins and now live in the package's own role. */
  movedTargets: string[];
  signed: boolean;
}

export interface PublishOptions {
  /** Maintainer private keys: required for a claimed package, refused for an unclaimed one. */
  signers?: Signer[];
  /** The package the caller means to publish; the tarball's own package.json must agree. */
  expectedName?: string;
  expectedVersion?: string;
  /** Only the registry's online key may sign (npm publish through the registry): refuse claimed packages. */
  onlineOnly?: boolean;
  /**
   * The package's dist-tags once this publish is accepted (the registry's packument), signed into its
   * release list (ADR 0013). Default: the signed tags stay and `latest` is the highest release. Only for a
   * publish of one package.
   */
  distTags?: Record<string, string>;
  /**
   * Runs under the repository lock after every check and signature passed and before the new metadata is
   * written; if it throws, nothing is written. A registry that stores the files itself (the Verdaccio
   * plugin) stores them here, so the signed state becomes visible only once the store succeeded.
   */
  beforePersist?: () => Promise<void>;
}

export interface PublishResult {
  name: string;
  version: string;
  targetPath: string;
  /** the role the target was signed into: the package's own role, or an unclaimed bin */
  role: string;
  claimed: boolean;
  length: number;
  sha512: string;
  /** false when the same bytes were already signed (publishing is idempotent) */
  added: boolean;
}

/** Role names that a package cannot take: they would collide with a role of the npm profile. */
export function reservedRoleName(core: NpmRepositoryCore, name: string): boolean {
  return isTopLevelRole(name) || name === UNCLAIMED_ROLE || core.unclaimedBins().isDelegatedRole(name);
}

function sameTarget(a: TargetFile, b: TargetFile): boolean {
  return a.length === b.length && a.hashes['sha512'] === b.hashes['sha512'];
}

/** Claims a package: a new role delegated from `targets` (offline key), before `unclaimed`, terminating. */
export async function addPackage(core: NpmRepositoryCore, name: string, keys: Key[], threshold: number, opts: AddPackageOptions = {}): Promise<AddPackageResult> {
  checkPackageName(name);
  const { result } = await core.transaction(async (repo) => {
    if (reservedRoleName(core, name)) throw new InvalidInputError(`"${name}" is a reserved role name of the npm profile and cannot be claimed`);
    if (core.claimedRole(name) !== undefined) throw new PackageClaimedError(`package ${name} is already claimed`);
    const keyids = [...new Set(keys.map((k) => k.keyid))];
    if (keyids.length === 0) throw new InvalidInputError(`package ${name}: at least one maintainer key is needed`);
    if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > keyids.length) {
      throw new InvalidInputError(`package ${name}: threshold ${threshold} needs between 1 and ${keyids.length} (the number of distinct keys)`);
    }
    for (const s of opts.signers ?? []) {
      if (!keyids.includes(s.key.keyid)) throw new KeyMismatchError(`signing key ${s.key.keyid} is not one of the maintainer keys of ${name}`);
    }
    const role = new DelegatedRole({ name, terminating: true, paths: [`${name}/-/*`], threshold });
    // A name unclaimed before (ADR 0026): the new role starts one above the retired one, and the claim ends the record.
    const md = repo.delegate('targets', role, keys, { expires: expiresIn(core.now(), core.config.expiries.package), before: UNCLAIMED_ROLE, replacesRetired: true });
    clearUnclaimRecord(repo, name);
    // Versions published before the claim move into the package role: once the claim is listed first
    // and terminating, a client would never look in the bin again.
    const moved: string[] = [];
    for (const bin of core.unclaimedBins().getRoles()) {
      const binMd = repo.targetsRole(bin);
      const mine = [...binMd.signed.targets.values()].filter((t) => packageOfTargetPath(t.path) === name);
      if (mine.length === 0) continue;
      for (const t of mine) {
        repo.removeTarget(bin, t.path);
        md.signed.targets.set(t.path, t);
        if (!isReleaseIndexPath(t.path)) moved.push(t.path);
      }
      await core.signRole(bin);
    }
    // ADR 0013: the release list moved with the targets (it lies under the package's path too); it now
    // lists exactly the versions the claimed role signs, keeping the tags it had in the bin.
    const index = readReleaseIndex(md.signed, name);
    md.signed.targets.set(releaseIndexPath(name), releaseIndexTarget(name, nextReleaseIndex(undefined, signedVersionsIn(md.signed, name), index?.distTags)));
    if ((opts.signers ?? []).length > 0) repo.sign(name, opts.signers!);
    const signed = repo.verification(name).verified;
    if (!signed && opts.allowUnsigned !== true) {
      throw new KeyMissingError(`package role ${name} needs ${threshold} maintainer signature(s), got ${repo.verification(name).distinctKeys}: pass the maintainers' private keys, or allow an unsigned (staged) role`);
    }
    await core.signRole('targets');
    await core.resignSnapshotAndTimestamp();
    return { name, keyids, threshold, movedTargets: moved, signed };
  }, { allowUnderThreshold: opts.allowUnsigned === true ? [name] : [] });
  return result;
}

/**
 * Signs already-read tarballs in one transaction: each into its package's role (maintainer signers)
 * or, for unclaimed packages, into its hash bin (online key); then snapshot and timestamp.
 */
export async function publishPrepared(core: NpmRepositoryCore, tarballs: readonly PackageTarball[], opts: PublishOptions = {}): Promise<PublishResult[]> {
  const { result } = await core.transaction(async (repo) => {
    const touched = new Set<string>();
    const out: PublishResult[] = [];
    const addedVersions = new Map<string, string[]>();
    if (opts.distTags !== undefined && new Set(tarballs.map((t) => t.name)).size > 1) {
      throw new InvalidInputError('distTags can only be given for a publish of one package');
    }
    for (const pkg of tarballs) {
      if (opts.expectedName !== undefined && pkg.name !== opts.expectedName) {
        throw new PackageMismatchError(`the tarball's package.json names "${pkg.name}", not "${opts.expectedName}"`);
      }
      if (opts.expectedVersion !== undefined && pkg.version !== opts.expectedVersion) {
        throw new PackageMismatchError(`the tarball's package.json has version ${pkg.version}, not ${opts.expectedVersion}`);
      }
      const claimed = core.claimedRole(pkg.name);
      let role: string;
      if (claimed !== undefined) {
        if (opts.onlineOnly === true) {
          throw new PackageClaimedError(`package ${pkg.name} is claimed by its maintainers: the registry's online key cannot sign it; the maintainers must sign the release (${claimed.threshold} of their keys)`);
        }
        if ((opts.signers ?? []).length === 0) {
          throw new KeyMissingError(`package ${pkg.name} is claimed: signing ${pkg.targetPath} needs ${claimed.threshold} maintainer key(s) (${claimed.keyids.join(', ')})`);
        }
        role = pkg.name;
      } else {
        if ((opts.signers ?? []).length > 0) {
          throw new UnknownPackageError(`package ${pkg.name} has no claimed role, so maintainer keys cannot sign it (claim it with add-package, or publish without keys to sign with the registry's online key)`);
        }
        role = core.unclaimedBins().getRoleForTarget(pkg.targetPath);
      }
      const existing = repo.targetsRole(role).signed.targets.get(pkg.targetPath);
      if (existing !== undefined && !sameTarget(existing, pkg.target)) {
        throw new TargetExistsError(`${pkg.targetPath} is already signed with other contents (npm versions are immutable)`);
      }
      if (existing === undefined) {
        repo.addTarget(role, pkg.target);
        touched.add(role);
      }
      addedVersions.set(pkg.name, [...(addedVersions.get(pkg.name) ?? []), pkg.version]);
      out.push({
        name: pkg.name, version: pkg.version, targetPath: pkg.targetPath, role, claimed: claimed !== undefined,
        length: pkg.target.length, sha512: pkg.target.hashes['sha512']!, added: existing === undefined,
      });
    }
    // ADR 0013: each package's signed release list follows its signed versions and dist-tags.
    for (const [name, versions] of addedVersions) {
      const indexRole = updateReleaseIndex(core, repo, name, versions, opts.distTags);
      if (indexRole !== undefined) touched.add(indexRole);
    }
    for (const role of touched) {
      if (core.claimedRole(role) !== undefined) {
        const keyids = repo.parentOf(role).role.keyids;
        const mine = (opts.signers ?? []).filter((s) => keyids.includes(s.key.keyid));
        if (mine.length === 0) throw new KeyMismatchError(`none of the given keys is a maintainer key of ${role} (it lists ${keyids.join(', ')})`);
        repo.sign(role, mine);
      } else {
        await core.signRole(role);
      }
    }
    if (touched.size > 0) await core.resignSnapshotAndTimestamp();
    return out;
  }, opts.beforePersist === undefined ? {} : { beforePersist: opts.beforePersist });
  return result;
}

/** Reads one tarball and signs it (see publishPrepared). */
export async function publishTarball(core: NpmRepositoryCore, tarball: Uint8Array, opts: PublishOptions = {}): Promise<PublishResult> {
  const pkg = await readPackageTarball(tarball);
  const [res] = await publishPrepared(core, [pkg], opts);
  return res!;
}

export interface PackageCoverage {
  name: string;
  claimed: boolean;
  /** keys and threshold of the package role, when claimed */
  keyids?: string[];
  threshold?: number;
  /** every signed target of the package (its versions and its release list) and the role that signs it */
  targets: Array<{ path: string; role: string }>;
  /** the package's signed release list (ADR 0013) and the role that signs it, when there is one */
  releaseList?: { path: string; role: string };
  /** for an unclaimed package and a given version: the bin that would sign it */
  binForVersion?: { version: string; path: string; role: string };
}

/** Which role covers a package (its own, or which unclaimed bins hold its versions). */
export function packageCoverage(core: NpmRepositoryCore, name: string, version?: string): PackageCoverage {
  checkPackageName(name);
  const claimed = core.claimedRole(name);
  const listPath = releaseIndexPath(name);
  if (claimed !== undefined) {
    const paths = [...core.repo.targetsRole(name).signed.targets.keys()];
    const targets = paths.map((path) => ({ path, role: name }));
    return {
      name, claimed: true, keyids: [...claimed.keyids], threshold: claimed.threshold, targets,
      ...(paths.includes(listPath) ? { releaseList: { path: listPath, role: name } } : {}),
    };
  }
  const bins = core.unclaimedBins();
  const targets: Array<{ path: string; role: string }> = [];
  for (const bin of bins.getRoles()) {
    for (const path of core.repo.targetsRole(bin).signed.targets.keys()) if (packageOfTargetPath(path) === name) targets.push({ path, role: bin });
  }
  const listBin = bins.getRoleForTarget(listPath);
  const out: PackageCoverage = {
    name, claimed: false, targets,
    ...(core.repo.targetsRole(listBin).signed.targets.has(listPath) ? { releaseList: { path: listPath, role: listBin } } : {}),
  };
  if (version !== undefined) {
    const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
    const path = `${name}/-/${base}-${version}.tgz`;
    out.binForVersion = { version, path, role: bins.getRoleForTarget(path) };
  }
  return out;
}
