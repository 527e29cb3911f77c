import type { VerifyError } from './errors.js';
import { writeLockfile, type PinnedPackage, type RecordedClaim, type RoleKeys, type SideLockfile } from './lockfile.js';
import { parseTarballUrl, pkgKey, targetPathFor } from './target-path.js';
import type { TufSession } from './tuf-session.js';
import { releasedSession } from './released-session.js';
import type { MachineBindings } from './machine-bindings.js';
import type { CheckedTarballs } from './checked-tarballs.js';
import { packageCheckDigest, type CheckedPackages } from './checked-packages.js';
import { checkTarballEntries } from './tarball-entries.js';
import { checkPackageAgainstPin, checkRecordedClaim, checkSignerPolicy } from './pin-checks.js';
import type { TagEdge } from './release-list.js';
import type { SignedTarget, VerifierOptions, VerifierSummary, VerifyMode } from './types.js';
import { extraneousDependencies, extraneousDependencyError, type DeclaredDependencies } from './signed-dependencies.js';
import { binEscapeError, escapingBins, manifestFieldError, manifestFieldProblems, uncheckableFields, unsignedFieldsError, type DeclaredManifestFields } from './manifest-fields.js';
import { normalizeRegistry, openVerifierSession, pinsLocation } from './verifier-open.js';
import { ReleaseListChecks } from './release-checks.js';
import { SessionBindings } from './session-bindings.js';
import { checkTarballBytes, lookUpSignedTarget } from './signed-target.js';
import { nextPins } from './next-pins.js';

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
  /** Yarn archive checksums bound to this session's verified tarballs (session-bindings.ts) */
  private readonly bindings: SessionBindings;
  /** packuments and dist-tag edges against the signed release lists (release-checks.ts) */
  private readonly releaseChecks: ReleaseListChecks;
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

  private constructor(
    private readonly options: VerifierOptions,
    private tuf: TufSession,
    private readonly pins: SideLockfile | undefined,
    machineBindings: MachineBindings,
    private readonly checkedTarballs: CheckedTarballs,
    private readonly checkedPackages: CheckedPackages,
    /** the project's tufpm-auditors.json as recorded in the pins (merkle.auditors), when it has one */
    private readonly auditors: RoleKeys | undefined,
  ) {
    this.registryUrl = normalizeRegistry(options.registryUrl);
    this.mode = options.mode ?? 'enforce';
    ({ lockfilePath: this.lockfilePath, pinsFile: this.pinsFile } = pinsLocation(options));
    const exempt = options.unsafeUnverifiedPackages ?? [];
    this.exemptNames = new Set(exempt.filter((e) => !e.endsWith('/*')));
    this.exemptScopes = exempt.filter((e) => e.endsWith('/*')).map((e) => e.slice(0, -1));
    for (const [key, pin] of pins?.packages ?? []) if (pin.maintainerSigned) this.maintainerSignedNames.add(key.slice(0, key.lastIndexOf('@')));
    this.unclaimed = new Set(tuf.state().unclaimed ?? []);
    this.bindings = new SessionBindings(machineBindings, this.resolved, (name, version) => this.pinned(name, version));
    this.releaseChecks = new ReleaseListChecks(() => this.tuf, (name) => this.isExempt(name));
  }

  static targetPathFor(name: string, version: string): string {
    return targetPathFor(name, version);
  }

  /**
   * Loads the pins and the trusted root, refreshes the TUF metadata and refuses a repository state older
   * than the pins. Nothing is written to the project.
   */
  static async open(options: VerifierOptions): Promise<InstallVerifier> {
    const opened = await openVerifierSession(options);
    return new InstallVerifier(options, opened.tuf, opened.pins, opened.machineBindings, opened.checkedTarballs, opened.checkedPackages, opened.auditors);
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
    const { signed, keys, facts, malformedDependencies, malformedFields } = await lookUpSignedTarget(this.tuf, name, version);
    const { maintainerSigned } = signed;
    if (malformedDependencies !== undefined) this.malformedDependencies.set(pkgKey(name, version), malformedDependencies);
    if (malformedFields !== undefined) this.malformedFields.set(pkgKey(name, version), malformedFields);
    this.signedFacts.set(pkgKey(name, version), facts);
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
    return this.releaseChecks.checkReleaseList(name, packument, opts);
  }

  /**
   * Overlay mode (ADR 0017): a version asked for exactly (`npm install pkg@1.2.3`, `yarn add pkg@1.2.3`)
   * that the reviewers did not approve is TUF_NOT_APPROVED naming it and the approve command, not the
   * resolver's "no matching version" (the upstream's unapproved versions are hidden from the resolver).
   * Undefined outside overlay mode, for a spec that is not one exact version, and for an approved version.
   */
  unapprovedExactVersion(name: string, spec: string): Promise<VerifyError | undefined> {
    return this.releaseChecks.unapprovedExactVersion(name, spec);
  }

  /**
   * Dist-tag edges (`foo@latest`) against the signed tags (TUF_DIST_TAG_MISMATCH), also on frozen installs,
   * where nothing else compares a tag with the version the lockfile recorded for it. Rare: one release-list
   * lookup per package asked for by tag, none when the tree has no tag edge. Returns every failure.
   */
  checkTagEdges(edges: readonly TagEdge[]): Promise<VerifyError[]> {
    return this.releaseChecks.checkTagEdges(edges);
  }

  /** Checks downloaded tarball bytes against the signed target before anything uses them. */
  async verifyTarball(name: string, version: string, bytes: Uint8Array): Promise<SignedTarget> {
    const signed = await this.resolve(name, version);
    await checkTarballBytes(signed, bytes);
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
    this.bindings.bindYarnChecksum(name, version, checksum);
  }

  /**
   * Checks a Yarn checksum (from yarn.lock or the cache) against the binding recorded when the tarball was
   * verified. Returns 'bound' when it matches, 'unbound' when there is no binding yet (the caller must then
   * verify the tarball bytes itself); throws TUF_CHECKSUM_BINDING on a mismatch.
   */
  checkYarnChecksum(name: string, version: string, checksum: string): 'bound' | 'unbound' {
    return this.bindings.checkYarnChecksum(name, version, checksum);
  }

  /**
   * A `patch:` archive (Yarn's patch `locator` applied to the verified archive of name@version) that this
   * machine rebuilt from that verified archive and compared: bound, like an npm archive, to the signed
   * sha512 under it, keyed by the full patch locator (which names the patch by its content hash), so later
   * installs need not rebuild it (ADR 0020). Only after the comparison; saved with the machine's bindings.
   */
  bindPatchedChecksum(name: string, version: string, locator: string, checksum: string): void {
    this.bindings.bindPatchedChecksum(name, version, locator, checksum);
  }

  /**
   * True only when this machine bound exactly this checksum to this patch locator over the same signed
   * tarball (a sealed binding, ADR 0011); otherwise the caller rebuilds the patched archive and compares.
   */
  hasPatchedBinding(name: string, version: string, locator: string, checksum: string): boolean {
    return this.bindings.hasPatchedBinding(name, version, locator, checksum);
  }

  /**
   * Saves what this session verified in the machine's cache: the delegated roles (so the next install reads
   * them from one file) and the Yarn bindings. Also for frozen installs, which keep the project's pins.
   */
  async saveMachineCache(): Promise<void> {
    await this.tuf.persist();
    await this.bindings.save();
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
    await writeLockfile(
      this.lockfilePath,
      nextPins({
        registryUrl: this.registryUrl,
        state: this.tuf.state(),
        pins: this.pins,
        resolved: this.resolved,
        yarnChecksum: (key) => this.bindings.yarnChecksum(key),
        keep,
        recordedClaims: this.recordedClaims,
        unclaimed: this.unclaimed,
        acceptedUnclaims: this.acceptedUnclaims,
        signingKeys: this.signingKeys,
        auditors: this.auditors,
      }),
    );
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

