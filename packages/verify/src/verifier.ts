import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TufError, type ReleaseIndex } from '@tufpm/models';
import { checkOfferedReleases, dropUnsignedPreferences, findReleaseList, offeredReleases, tagEdgeMismatch, type TagEdge } from './release-list.js';
import { VerifyError, describeFailure } from './errors.js';
import { DEFAULT_LOCKFILE_NAME, LOCKFILE_VERSION, readLockfile, roleKeysName, rootDigestKind, writeLockfile, type PinnedPackage, type RecordedClaim, type RoleKeys, type SideLockfile, type UnclaimPin } from './lockfile.js';
import { sha512HexToIntegrity } from './sri.js';
import { parseTarballUrl, targetPathFor } from './target-path.js';
import { hasVerifiedRoles, openTufSession, type TufSession } from './tuf-session.js';
import { DEFAULT_AUDITORS_NAME, readAuditorPolicy } from './auditors.js';
import { auditorsRecord, checkAuditorsAgainstPins } from './auditors-pin.js';
import { openTufSessionInWorker } from './worker-session.js';
import { releasedSession } from './released-session.js';
import { MachineBindings, isBindableKey, patchedBindingKey } from './machine-bindings.js';
import { CheckedTarballs } from './checked-tarballs.js';
import { CheckedPackages, packageCheckDigest } from './checked-packages.js';
import { checkTarballEntries } from './tarball-entries.js';
import { exactVersion, notApprovedError, restrictToApproved } from './overlay.js';
import { checkStateTree, openMachineState, registryStateDir } from './state-dir.js';
import { checkPackageAgainstPin, checkProvenRolesAgainstPins, checkRecordedClaim, checkSignerPolicy, checkStateAgainstPins, equalHex } from './pin-checks.js';
import type { SignedTarget, VerifierOptions, VerifierSummary, VerifyMode } from './types.js';
import { extraneousDependencies, extraneousDependencyError, parseSignedDependencies, type DeclaredDependencies } from './signed-dependencies.js';
import {
  binEscapeError,
  escapingBins,
  manifestFieldError,
  manifestFieldProblems,
  parseManifestFields,
  uncheckableFields,
  unsignedFieldsError,
  type DeclaredManifestFields,
} from './manifest-fields.js';

export type { VerifyMode, ProgressEvent, VerifierOptions, SignedTarget, VerifierSummary } from './types.js';

export const DEFAULT_TRUSTED_ROOT_NAME = 'tufpm-root.json';

function pkgKey(name: string, version: string): string {
  return `${name}@${version}`;
}


/**
 * The install-time verification engine shared by the Yarn plugin and tufpm-npm: a package version maps to
 * its target path, the target is looked up through the package's delegated role in the current signed
 * snapshot, and the signed length/sha512 are checked against the bytes and against the project's pins.
 */
export class InstallVerifier {
  readonly registryUrl: string;
  readonly mode: VerifyMode;
  readonly lockfilePath: string;
  /** where the pins were read from (lockfilePath unless `pinsPath`), as named in errors */
  private readonly pinsFile: string;
  private readonly resolved = new Map<string, SignedTarget>();
  private readonly pending = new Map<string, Promise<SignedTarget>>();
  private readonly yarnChecksums = new Map<string, string>();
  /** `patch:` archives compared in this session: binding key -> { package key, archive checksum } */
  private readonly patchedChecksums = new Map<string, { key: string; checksum: string }>();
  private readonly exemptNames: Set<string>;
  private readonly exemptScopes: string[];
  private readonly maintainerSignedNames = new Set<string>();
  /** ADR 0026: names the trusted top-level targets records as unclaimed on purpose (offline targets key) */
  private readonly unclaimed: ReadonlySet<string>;
  /** names of this session whose registry-signed release was accepted because of their unclaim record */
  private readonly acceptedUnclaims = new Set<string>();
  /** name@version -> why its signed `custom.npm` does not parse (reported only by checkDependencies). */
  private readonly malformedDependencies = new Map<string, string>();
  /** claims seen by recordClaims (init): replace the pinned ones on commit */
  private recordedClaims: Map<string, RecordedClaim> | undefined;
  /** name@version -> why its signed manifest fields do not parse (reported only by checkManifestFields). */
  private readonly malformedFields = new Map<string, string>();
  /** name@version -> the signed facts its per-package checks read, as one string (ADR 0023). */
  private readonly signedFacts = new Map<string, string>();
  /** the keys of the roles that signed the targets resolved in this session, by their `roles` entry name */
  private readonly signingKeys = new Map<string, RoleKeys>();
  /** package name -> its signed release list (ADR 0013), looked up once per install */
  private readonly releaseLists = new Map<string, Promise<{ role: string; index: ReleaseIndex }>>();
  /** the project's tufpm-auditors.json as recorded in the pins (merkle.auditors), when it has one */
  private auditors: RoleKeys | undefined;

  private constructor(
    private readonly options: VerifierOptions,
    private tuf: TufSession,
    private readonly pins: SideLockfile | undefined,
    private readonly machineBindings: MachineBindings,
    private readonly checkedTarballs: CheckedTarballs,
    private readonly checkedPackages: CheckedPackages,
  ) {
    this.registryUrl = normalizeRegistry(options.registryUrl);
    this.mode = options.mode ?? 'enforce';
    this.lockfilePath = join(options.projectDir, options.lockfileName ?? DEFAULT_LOCKFILE_NAME);
    this.pinsFile = options.pinsPath ?? this.lockfilePath;
    const exempt = options.unsafeUnverifiedPackages ?? [];
    this.exemptNames = new Set(exempt.filter((e) => !e.endsWith('/*')));
    this.exemptScopes = exempt.filter((e) => e.endsWith('/*')).map((e) => e.slice(0, -1));
    for (const [key, pin] of pins?.packages ?? []) if (pin.maintainerSigned) this.maintainerSignedNames.add(key.slice(0, key.lastIndexOf('@')));
    this.unclaimed = new Set(tuf.state().unclaimed ?? []);
  }

  static targetPathFor(name: string, version: string): string {
    return targetPathFor(name, version);
  }

  /**
   * Loads the pins and the trusted root, refreshes the TUF metadata and refuses a repository state older
   * than the pins. Nothing is written to the project.
   */
  static async open(options: VerifierOptions): Promise<InstallVerifier> {
    const registryUrl = normalizeRegistry(options.registryUrl);
    const lockfilePath = join(options.projectDir, options.lockfileName ?? DEFAULT_LOCKFILE_NAME);
    const pins = await readLockfile(options.pinsPath ?? lockfilePath);
    if (pins && normalizeRegistry(pins.registry) !== registryUrl) {
      throw new VerifyError('TUF_LOCKFILE', `${options.pinsPath ?? lockfilePath} pins registry ${pins.registry}, but the install uses ${registryUrl}`, {
        attack: 'registry substitution',
        recovery: 'point the install at the pinned registry, or delete tufpm-lock.json deliberately to re-pin',
      });
    }
    const auditors = await readAuditorPolicy(join(options.projectDir, DEFAULT_AUDITORS_NAME));
    // ADR 0022: the pins recorded that auditors are required; a project without them (or with weaker ones) is refused
    if (pins) checkAuditorsAgainstPins(pins, auditors?.policy, options.pinsPath ?? lockfilePath);
    options.onProgress?.({ phase: 'refresh', done: 0, total: 1 });
    const machine = await openMachineState(options.stateDir, options.packageCaches, options.stateDirIsDefault === true ? undefined : options.projectDir);
    const metadataUrl = options.metadataUrl ?? `${registryUrl}-/tuf/metadata/`;
    // What this install reads from the state directory: no symlinks, nothing writable by others (ADR 0011).
    await checkStateTree(machine.dir, registryStateDir(machine.dir, metadataUrl));
    const sessionOptions = {
      registryUrl,
      metadataUrl,
      trustedRootPath: options.trustedRootPath ?? join(options.projectDir, DEFAULT_TRUSTED_ROOT_NAME),
      cacheDir: registryStateDir(machine.dir, metadataUrl),
      recordKey: machine.recordKey,
      ...(options.snapshotMaxLength !== undefined ? { snapshotMaxLength: options.snapshotMaxLength } : {}),
      ...(options.networkTimeoutMs !== undefined ? { networkTimeoutMs: options.networkTimeoutMs } : {}),
      // ADR 0022: the project's own auditors (never the registry's word); plain JSON, it may cross to the worker
      ...(auditors !== undefined ? { auditors: auditors.raw } : {}),
      ...(pins ? { pinnedRoot: { version: pins.root.version, sha256: pins.root.sha256, digest: rootDigestKind(pins) } } : {}),
    };
    const useWorker = options.tufWorker !== undefined && options.clock === undefined && !(await hasVerifiedRoles(sessionOptions));
    const tuf = useWorker
      ? await openTufSessionInWorker(sessionOptions, options.tufWorker!())
      : await openTufSession({ ...sessionOptions, ...(options.clock ? { clock: options.clock } : {}) });
    options.onProgress?.({ phase: 'refresh', done: 1, total: 1 });
    try {
      const [bindings, checked, checkedPackages] = await Promise.all([
        MachineBindings.load(sessionOptions.cacheDir, machine.recordKey),
        CheckedTarballs.load(sessionOptions.cacheDir, machine.recordKey),
        CheckedPackages.load(sessionOptions.cacheDir, machine.recordKey),
      ]);
      const verifier = new InstallVerifier(options, tuf, pins, bindings, checked, checkedPackages);
      if (auditors !== undefined) verifier.auditors = auditorsRecord(auditors.policy);
      if (pins) checkStateAgainstPins(pins, tuf.state(), tuf.rootChain(), verifier.pinsFile);
      // Merkle profile (TAP 16): the roles of the pinned packages are known now; their proofs are fetched
      // concurrently here instead of one round trip per package lookup later. Classic profile: the same roles
      // tell the session which role bundles (ADR 0024) the lookups will need.
      if (pins) {
        const proven = new Map(await tuf.prefetch([...new Set([...pins.packages.values()].map((p) => p.role))]));
        if (tuf.state().merkle !== undefined) checkProvenRolesAgainstPins(pins, proven, verifier.pinsFile);
      }
      return verifier;
    } catch (error) {
      await tuf.close();
      throw error;
    }
  }

  parseTarballUrl(url: string): { name: string; version: string; targetPath: string } | null {
    return parseTarballUrl(url, this.registryUrl);
  }

  isExempt(name: string): boolean {
    return this.exemptNames.has(name) || this.exemptScopes.some((scope) => name.startsWith(scope));
  }

  pinned(name: string, version: string): PinnedPackage | undefined {
    return this.pins?.packages.get(pkgKey(name, version));
  }

  /** True when tufpm-lock.json pins this `name@version` (a frozen install refuses any it does not, ADR 0015). */
  isPinnedKey(key: string): boolean {
    return this.pins?.packages.has(key) ?? false;
  }

  /** The signed target of name@version through its delegated role, checked against its pin. */
  resolve(name: string, version: string): Promise<SignedTarget> {
    const key = pkgKey(name, version);
    const done = this.resolved.get(key);
    if (done) return Promise.resolve(done);
    let promise = this.pending.get(key);
    if (!promise) {
      promise = this.resolveUncached(name, version).finally(() => this.pending.delete(key));
      this.pending.set(key, promise);
    }
    return promise;
  }

  private async resolveUncached(name: string, version: string): Promise<SignedTarget> {
    const targetPath = targetPathFor(name, version);
    let found: Awaited<ReturnType<TufSession['findTarget']>>;
    try {
      found = await this.tuf.findTarget(targetPath);
    } catch (error) {
      // Name the package whose lookup met the failure; the client's code (TUF_THRESHOLD, ...) is kept.
      if (!(error instanceof TufError) || error instanceof VerifyError) throw error;
      const { attack, recovery } = describeFailure(error.code);
      throw new VerifyError(error.code, `${name}@${version}: ${error.message}`, { packageName: name, version, attack, recovery, cause: error });
    }
    if (!found) {
      // TUF 1.5.2 (arbitrary installation), ADR 0017: in an overlay repository a target nobody signed is a
      // version the reviewers never approved.
      if (this.tuf.state().overlay) throw notApprovedError(name, version);
      throw new VerifyError('TUF_PACKAGE_NOT_SIGNED', `${name}@${version} is not listed by its delegated role (target ${targetPath})`, {
        packageName: name,
        version,
        attack: 'arbitrary package (a version its signers never published)',
        recovery: 'the version may be unpublished or forged; pick a version that its maintainers signed',
      });
    }
    const { target, role, roleVersion, maintainerSigned, threshold, keys } = found;
    const sha512 = target.hashes.sha512;
    if (sha512 === undefined) {
      throw new VerifyError('TUF_PACKAGE_NOT_SIGNED', `the signed target ${targetPath} in role ${role} carries no sha512`, {
        packageName: name,
        version,
        role,
        attack: 'weakly signed package (no sha512 in the signed target)',
        recovery: 'the registry must re-sign this target with sha512; report it to the registry operator',
      });
    }
    const parsedDependencies = parseSignedDependencies(target.custom);
    if (parsedDependencies.kind === 'malformed') this.malformedDependencies.set(pkgKey(name, version), parsedDependencies.reason);
    const parsedFields = parseManifestFields(target.custom);
    if (parsedFields.kind === 'malformed') this.malformedFields.set(pkgKey(name, version), parsedFields.reason);
    const signed: SignedTarget = {
      name,
      version,
      targetPath,
      role,
      roleVersion,
      length: target.length,
      sha512,
      ...(target.hashes.sha256 === undefined ? {} : { sha256: target.hashes.sha256 }),
      integrity: sha512HexToIntegrity(sha512),
      maintainerSigned,
      threshold,
      ...(parsedDependencies.kind === 'signed' ? { dependencies: parsedDependencies.value } : {}),
      ...(parsedFields.kind === 'signed' ? { manifestFields: parsedFields.value } : {}),
    };
    // Everything of the target that checkDependencies / checkManifestFields and the installers' edge checks
    // read, parse results included (ADR 0023): another signed byte here is another check record.
    this.signedFacts.set(pkgKey(name, version), JSON.stringify([name, version, targetPath, role, target.length, sha512, parsedDependencies, parsedFields]));
    const pin = this.pinned(name, version);
    checkPackageAgainstPin(signed, pin, this.pinsFile);
    checkSignerPolicy(signed, pin, this.maintainerSignedNames, this.options, this.unclaimed);
    checkRecordedClaim(signed, this.pins?.claims, this.pinsFile, this.unclaimed);
    if (!maintainerSigned && this.unclaimed.has(name) && (pin?.maintainerSigned === true || this.maintainerSignedNames.has(name) || this.pins?.claims?.has(name) === true)) {
      this.acceptedUnclaims.add(name);
    }
    this.signingKeys.set(keys.name, { keyids: keys.keyids, threshold: keys.threshold });
    this.resolved.set(pkgKey(name, version), signed);
    return signed;
  }

  async resolveAll(pkgs: Array<{ name: string; version: string }>): Promise<Map<string, SignedTarget>> {
    const out = new Map<string, SignedTarget>();
    const unique = [...new Map(pkgs.map((p) => [pkgKey(p.name, p.version), p])).values()];
    let next = 0;
    let done = 0;
    const total = unique.length;
    const worker = async (): Promise<void> => {
      while (next < unique.length) {
        const pkg = unique[next++]!;
        out.set(pkgKey(pkg.name, pkg.version), await this.resolve(pkg.name, pkg.version));
        done++;
        this.options.onProgress?.({ phase: 'resolve', done, total, name: pkg.name });
      }
    };
    const workers = Math.max(1, Math.min(this.options.concurrency ?? 8, unique.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return out;
  }

  /**
   * ADR 0013: a packument must offer exactly the signed versions and dist-tags of its package, before a
   * resolver chooses from it. Throws TUF_PACKAGE_NOT_SIGNED / TUF_RELEASE_HIDDEN / TUF_DIST_TAG_MISMATCH.
   * One role lookup per package and install (usually the role its tarballs need anyway). Also throws
   * TUF_RELEASE_KEY_MISMATCH, and removes the unsigned `deprecated` / `engines` of every version IN PLACE,
   * so the caller must hand the resolver this same object (or its re-serialisation).
   */
  async checkReleaseList(name: string, packument: unknown, opts: { versionFieldOptional?: boolean } = {}): Promise<void> {
    if (this.isExempt(name)) return;
    const offered = offeredReleases(name, packument, opts);
    // TUF 1.5.2 (indefinite freeze): unsigned ranking fields cannot steer a range off a signed fix.
    dropUnsignedPreferences(packument);
    let list: { role: string; index: ReleaseIndex };
    try {
      list = await this.signedReleaseList(name);
    } catch (error) {
      // TUF 5.6.7 / ADR 0017: no approved release list = no approved version of the package (before any download).
      if (this.tuf.state().overlay && error instanceof VerifyError && error.code === 'TUF_PACKAGE_NOT_SIGNED' && error.role === undefined) throw notApprovedError(name, undefined);
      throw error;
    }
    const { role, index } = list;
    if (this.tuf.state().overlay) {
      // TUF 1.5.2 (arbitrary installation): the upstream offers versions the team never reviewed; the resolver
      // sees only the approved ones and the team's tags (ADR 0017). An approved version the upstream hides is still refused below.
      restrictToApproved(packument, index);
      checkOfferedReleases(name, role, index, { versions: offered.versions.filter((v) => index.versions.includes(v)), distTags: { ...index.distTags } });
      return;
    }
    checkOfferedReleases(name, role, index, offered);
  }

  private signedReleaseList(name: string): Promise<{ role: string; index: ReleaseIndex }> {
    let signed = this.releaseLists.get(name);
    if (signed === undefined) {
      signed = findReleaseList(this.tuf, name);
      this.releaseLists.set(name, signed);
    }
    return signed;
  }

  /**
   * Overlay mode (ADR 0017): a version asked for exactly (`npm install pkg@1.2.3`, `yarn add pkg@1.2.3`)
   * that the reviewers did not approve is TUF_NOT_APPROVED naming it and the approve command, not the
   * resolver's "no matching version" (the upstream's unapproved versions are hidden from the resolver).
   * Undefined outside overlay mode, for a spec that is not one exact version, and for an approved version.
   */
  async unapprovedExactVersion(name: string, spec: string): Promise<VerifyError | undefined> {
    const version = exactVersion(spec);
    if (version === undefined || this.isExempt(name) || !this.tuf.state().overlay) return undefined;
    try {
      const { index } = await this.signedReleaseList(name);
      return index.versions.includes(version) ? undefined : notApprovedError(name, version);
    } catch (error) {
      if (error instanceof VerifyError && error.code === 'TUF_PACKAGE_NOT_SIGNED' && error.role === undefined) return notApprovedError(name, version);
      throw error;
    }
  }

  /**
   * Dist-tag edges (`foo@latest`) against the signed tags (TUF_DIST_TAG_MISMATCH), also on frozen installs,
   * where nothing else compares a tag with the version the lockfile recorded for it. Rare: one release-list
   * lookup per package asked for by tag, none when the tree has no tag edge. Returns every failure.
   */
  async checkTagEdges(edges: readonly TagEdge[]): Promise<VerifyError[]> {
    const failures: VerifyError[] = [];
    for (const tagEdge of edges) {
      if (this.isExempt(tagEdge.name)) continue;
      const signed = this.signedReleaseList(tagEdge.name);
      try {
        const { role, index } = await signed;
        const failure = tagEdgeMismatch(role, index, tagEdge);
        if (failure !== undefined) failures.push(failure);
      } catch (error) {
        if (!(error instanceof VerifyError)) throw error;
        failures.push(error);
      }
    }
    return failures;
  }

  /** Checks downloaded tarball bytes against the signed target before anything uses them. */
  async verifyTarball(name: string, version: string, bytes: Uint8Array): Promise<SignedTarget> {
    const signed = await this.resolve(name, version);
    // Fewer bytes than signed is what a download cut short with a matching Content-Length looks like: the
    // same refusal, worded so that a flaky network is not reported as a proven attack.
    const short = bytes.length < signed.length;
    const mismatch = (what: string): never => {
      throw new VerifyError('TUF_TARBALL_MISMATCH', `${name}@${version}: the downloaded tarball's ${what} differs from the one signed by role ${signed.role}`, {
        packageName: name,
        version,
        role: signed.role,
        attack: short
          ? 'tampered tarball, or one cut short in transit (fewer bytes than signed arrived)'
          : 'tampered tarball (registry, mirror, CDN or network altered the bytes)',
        recovery: 'nothing was installed; clear the package cache and retry, and report the mirror or registry that served it',
      });
    };
    // TUF 5.7.3: length first (cheap), then the hash.
    if (bytes.length !== signed.length) mismatch(`length (${bytes.length} bytes, signed ${signed.length})`);
    const actual = createHash('sha512').update(bytes).digest('hex');
    if (!equalHex(actual, signed.sha512)) mismatch('sha512');
    await checkTarballEntries(name, version, signed.role, bytes);
    return signed;
  }

  /**
   * The dependencies an installer resolved for name@version (from the packument, package-lock.json or
   * yarn.lock) must be ones its signed package.json declares, with the same ranges; throws
   * TUF_EXTRANEOUS_DEPENDENCY otherwise. A target signed without `custom.npm` (by a repository that did not
   * record dependencies yet) is not checked.
   */
  async checkDependencies(name: string, version: string, declared: DeclaredDependencies): Promise<void> {
    const signed = await this.resolve(name, version);
    const malformed = this.malformedDependencies.get(pkgKey(name, version));
    // TUF 1.5.2 (extraneous dependencies), through 4.5 (a target's signed `custom`): the dependency
    // declarations are signed with the tarball, so only the signers decide what it pulls in.
    if (malformed !== undefined) throw extraneousDependencyError(name, version, signed.role, [`the signed dependency declarations are malformed (${malformed})`]);
    if (signed.dependencies === undefined) return;
    const problems = extraneousDependencies(signed.dependencies, declared);
    if (problems.length > 0) throw extraneousDependencyError(name, version, signed.role, problems);
  }

  /**
   * The install-relevant manifest fields an installer resolved for name@version (bins, os/cpu/libc,
   * engines, bundled dependencies, optional peers, install scripts) must be the ones signed with its
   * tarball: TUF_MANIFEST_FIELD otherwise; a bin leaving the package directory is TUF_BIN_ESCAPE whatever
   * was signed. A target signed without these fields (older repository) cannot vouch for any of them: an
   * installer that would act on one is refused with TUF_MANIFEST_UNSIGNED (docs/adr/0010). In memory only.
   */
  async checkManifestFields(name: string, version: string, declared: DeclaredManifestFields): Promise<void> {
    const signed = await this.resolve(name, version);
    // TUF 1.5.2 (extraneous dependencies and arbitrary installation), through 4.5 (a target's signed
    // `custom`): what gets linked and run is decided by the signers, not by the packument or the lockfile.
    const escaping = escapingBins(name, declared);
    if (escaping.length > 0) throw binEscapeError(name, version, signed.role, escaping);
    const malformed = this.malformedFields.get(pkgKey(name, version));
    if (malformed !== undefined) throw manifestFieldError(name, version, signed.role, [`the signed manifest fields are malformed (${malformed})`]);
    if (signed.manifestFields === undefined) {
      const unchecked = uncheckableFields(name, declared);
      if (unchecked.length > 0) throw unsignedFieldsError(name, version, signed.role, unchecked);
      return;
    }
    const problems = manifestFieldProblems(name, signed.manifestFields, declared);
    if (problems.length > 0) throw manifestFieldError(name, version, signed.role, problems);
  }

  /**
   * ADR 0023: the record of name@version's per-package checks (checkDependencies, checkManifestFields and
   * the installer's edge check) over its signed facts and `declaredInputs`, everything the installer's side
   * of those checks reads, as one string. Call after resolve(name, version).
   */
  packageChecksDigest(name: string, version: string, installer: string, declaredInputs: string): string {
    const facts = this.signedFacts.get(pkgKey(name, version));
    if (facts === undefined) throw new Error(`packageChecksDigest(${pkgKey(name, version)}) before the package was resolved`);
    return packageCheckDigest(installer, facts, declaredInputs);
  }

  /** True when this machine sealed a pass of the per-package checks with exactly these inputs (ADR 0023). */
  packageChecksPassed(digest: string): boolean {
    return this.checkedPackages.has(digest);
  }

  /** Records that every per-package check with these inputs passed; saved (sealed) with the machine cache. */
  recordPackageChecks(digest: string): void {
    this.checkedPackages.add(digest);
  }

  /** Binds Yarn's zip checksum to a tarball verified in this session. */
  bindYarnChecksum(name: string, version: string, checksum: string): void {
    const key = pkgKey(name, version);
    if (!this.resolved.has(key)) {
      throw new Error(`bindYarnChecksum(${key}) before the tarball was verified`);
    }
    this.yarnChecksums.set(key, checksum);
  }

  /**
   * Checks a Yarn checksum (from yarn.lock or the cache) against the binding recorded when the tarball was
   * verified. Returns 'bound' when it matches, 'unbound' when there is no binding yet (the caller must then
   * verify the tarball bytes itself); throws TUF_CHECKSUM_BINDING on a mismatch.
   */
  checkYarnChecksum(name: string, version: string, checksum: string): 'bound' | 'unbound' {
    const key = pkgKey(name, version);
    // A session binding (verified download now) decides both ways. A pinned checksum comes from the project,
    // which a pull request can edit: it can refuse an archive, never vouch for one.
    const expected = this.yarnChecksums.get(key) ?? this.pinned(name, version)?.yarnChecksum;
    if (expected !== undefined && expected !== checksum) {
      throw new VerifyError('TUF_CHECKSUM_BINDING', `${key}: Yarn checksum ${checksum.slice(0, 24)}... differs from the one bound to the TUF-verified tarball`, {
        packageName: name,
        version,
        ...(this.pinned(name, version) ? { role: this.pinned(name, version)!.role } : {}),
        attack: 'poisoned cache or mirror, or an edited yarn.lock checksum',
        recovery: 'restore yarn.lock from version control, clear the Yarn cache (yarn cache clean --mirror) and reinstall',
      });
    }
    if (this.yarnChecksums.get(key) === checksum) return 'bound';
    // Otherwise only a binding this machine made after a verified download of the same signed tarball counts.
    const signed = this.resolved.get(key);
    if (signed !== undefined && this.machineBindings.has(key, signed.sha512, checksum)) return 'bound';
    return 'unbound';
  }

  /**
   * A `patch:` archive (Yarn's patch `locator` applied to the verified archive of name@version) that this
   * machine rebuilt from that verified archive and compared: bound, like an npm archive, to the signed
   * sha512 under it, keyed by the full patch locator (which names the patch by its content hash), so later
   * installs need not rebuild it (ADR 0020). Only after the comparison; saved with the machine's bindings.
   */
  bindPatchedChecksum(name: string, version: string, locator: string, checksum: string): void {
    const key = pkgKey(name, version);
    if (!this.resolved.has(key)) throw new Error(`bindPatchedChecksum(${key}) before the package was verified`);
    this.patchedChecksums.set(patchedBindingKey(key, locator), { key, checksum });
  }

  /**
   * True only when this machine bound exactly this checksum to this patch locator over the same signed
   * tarball (a sealed binding, ADR 0011); otherwise the caller rebuilds the patched archive and compares.
   */
  hasPatchedBinding(name: string, version: string, locator: string, checksum: string): boolean {
    const key = pkgKey(name, version);
    const signed = this.resolved.get(key);
    if (signed === undefined) return false;
    const bindingKey = patchedBindingKey(key, locator);
    if (this.patchedChecksums.get(bindingKey)?.checksum === checksum) return true;
    return this.machineBindings.has(bindingKey, signed.sha512, checksum);
  }

  /**
   * Saves what this session verified in the machine's cache: the delegated roles (so the next install reads
   * them from one file) and the Yarn bindings. Also for frozen installs, which keep the project's pins.
   */
  async saveMachineCache(): Promise<void> {
    await this.tuf.persist();
    for (const [key, checksum] of this.yarnChecksums) {
      const signed = this.resolved.get(key);
      if (signed !== undefined) this.machineBindings.set(key, { sha512: signed.sha512, checksum });
    }
    for (const [bindingKey, { key, checksum }] of this.patchedChecksums) {
      const signed = this.resolved.get(key);
      if (signed !== undefined && isBindableKey(bindingKey)) this.machineBindings.set(bindingKey, { sha512: signed.sha512, checksum });
    }
    await this.machineBindings.save();
    await this.checkedTarballs.save();
    await this.checkedPackages.save();
  }

  /** True when this machine already walked the entries of this signed tarball (ADR 0012; sealed, ADR 0011). */
  tarballEntriesChecked(target: SignedTarget): boolean {
    return this.checkedTarballs.has(target.sha512);
  }

  /**
   * The one-manifest entry rules (ADR 0012) over a signed tarball's bytes, which the caller read through a
   * path that checked them against the signed sha512; a pass is recorded for this machine.
   */
  async checkTarballEntriesOnce(target: SignedTarget, bytes: Uint8Array): Promise<void> {
    await checkTarballEntries(target.name, target.version, target.role, bytes);
    this.checkedTarballs.add(target.sha512);
  }

  /**
   * init: looks up which of `names` (the project's packages) the verified top-level targets delegates to
   * a role of their own; commit() then records them as the project's claims (replacing earlier ones).
   */
  async recordClaims(names: readonly string[]): Promise<ReadonlyMap<string, RecordedClaim>> {
    this.recordedClaims = new Map(await this.tuf.claims(names));
    return this.recordedClaims;
  }

  /** Writes tufpm-lock.json atomically. Call only once the whole install succeeded. */
  async commit(keep?: Iterable<string>): Promise<void> {
    await this.saveMachineCache();
    const state = this.tuf.state();
    const packages = new Map<string, PinnedPackage>(this.pins?.packages ?? []);
    for (const [key, signed] of this.resolved) {
      const checksum = this.yarnChecksums.get(key) ?? packages.get(key)?.yarnChecksum;
      packages.set(key, {
        targetPath: signed.targetPath,
        role: signed.role,
        roleVersion: signed.roleVersion,
        length: signed.length,
        sha512: signed.sha512,
        ...(checksum === undefined ? {} : { yarnChecksum: checksum }),
        maintainerSigned: signed.maintainerSigned,
      });
    }
    if (keep) {
      const wanted = new Set(keep);
      for (const key of [...packages.keys()]) if (!wanted.has(key)) packages.delete(key);
    }
    // ADR 0026: a name the signed top-level targets records as unclaimed is no claim any more; the unclaims the
    // install accepted are noted for review (kept while the record stands, dropped once it is claimed again).
    const recorded = this.recordedClaims ?? this.pins?.claims;
    const claims = recorded === undefined ? undefined : new Map([...recorded].filter(([name]) => !this.unclaimed.has(name)));
    const unclaims = new Map<string, UnclaimPin>();
    for (const [name, u] of this.pins?.unclaims ?? []) if (this.unclaimed.has(name)) unclaims.set(name, u);
    for (const name of this.acceptedUnclaims) if (!unclaims.has(name)) unclaims.set(name, { targetsVersion: state.targets.version });
    // The keys of every role a kept pin names: as verified now, else as recorded before (ADR 0016).
    const roles = new Map<string, RoleKeys>();
    for (const pin of packages.values()) {
      const resolvedName = roleKeysName(pin.role, this.signingKeys);
      const name = resolvedName ?? roleKeysName(pin.role, this.pins?.roles);
      if (name !== undefined) roles.set(name, this.signingKeys.get(name) ?? this.pins!.roles!.get(name)!);
    }
    const top = (pin: { version: number; keyids: string[]; threshold: number }) => ({ version: pin.version, keyids: pin.keyids, threshold: pin.threshold });
    await writeLockfile(this.lockfilePath, {
      lockfileVersion: LOCKFILE_VERSION,
      registry: this.registryUrl,
      root: { version: state.root.version, sha256: state.root.sha256, keyids: state.root.keyids, threshold: state.root.threshold },
      timestamp: top(state.timestamp),
      snapshot: top(state.snapshot),
      targets: top(state.targets),
      // ADR 0022: the Merkle tree root and size this install was verified under (the snapshot pin's epoch)
      // and the auditors the project required for it (ADR 0022): a later change that drops them is refused
      ...(state.merkle === undefined
        ? {}
        : { merkle: { root: state.merkle.root, size: state.merkle.size, ...(this.auditors === undefined ? {} : { auditors: this.auditors }) } }),
      packages,
      roles,
      ...(claims === undefined ? {} : { claims }),
      ...(unclaims.size === 0 ? {} : { unclaims }),
    });
  }

  /**
   * Called once every package of the install was resolved (the Yarn plugin: when its tree check passed): the
   * roles verified in this session are written to the machine's cache now, as saveMachineCache would at the
   * end, and the session ends, so its worker thread (~17 MiB of resident memory on the bench's real tree)
   * is not held through the rest of the install. Resolved targets, pins and bindings are kept; a lookup of
   * anything not resolved yet is refused from now on (released-session.ts).
   */
  async releaseTufSession(): Promise<void> {
    const session = this.tuf;
    await session.persist();
    this.tuf = releasedSession(session);
    await session.close();
  }

  /** Ends the TUF session (stops its worker thread). The verifier answers nothing new afterwards. */
  async close(): Promise<void> {
    await this.tuf.close();
  }

  /** Session results, for status output. */
  verifiedTargets(): SignedTarget[] {
    return [...this.resolved.values()];
  }

  summary(): VerifierSummary {
    const state = this.tuf.state();
    const verified = [...this.resolved.values()];
    const maintainerSigned = verified.filter((t) => t.maintainerSigned).length;
    return {
      registry: this.registryUrl,
      mode: this.mode,
      root: { version: state.root.version, sha256: state.root.sha256, expires: state.root.expires.toISOString() },
      timestamp: { version: state.timestamp.version, expires: state.timestamp.expires.toISOString() },
      snapshot: { version: state.snapshot.version, expires: state.snapshot.expires.toISOString() },
      targets: { version: state.targets.version, expires: state.targets.expires.toISOString() },
      pinned: this.pins
        ? { root: this.pins.root.version, timestamp: this.pins.timestamp.version, snapshot: this.pins.snapshot.version, packages: this.pins.packages.size }
        : null,
      packages: { verified: verified.length, maintainerSigned, registrySigned: verified.length - maintainerSigned },
    };
  }
}

export function normalizeRegistry(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

export { describeFailure };
