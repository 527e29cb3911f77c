import { MessageName, ReportError, type Report, structUtils, type Cache, type InstallOptions, type Locator, type Package } from '@yarnpkg/core';
import { TufError } from '@tufpm/models';
import { VerifyError, type TagEdge } from '@tufpm/verify';
import { yarnCheckInputs } from './check-inputs.js';
import { declaredDependencies, declaredManifestFields } from './dependencies.js';
import { checkEdgeNames, checkSignedEdges } from './edge-check.js';
import { classifyLocator, packageKey } from './locators.js';
import { describeTufError } from './report-errors.js';
import type { TufSession } from './session.js';

export type FetchOptions = InstallOptions & { cache: Cache };

export interface NpmEntry {
  pkg: Package;
  name: string;
  version: string;
  /** false for a `patch:` over an npm package: its archive is Yarn's patch of the (bound) npm archive */
  bindable: boolean;
}

/** The npm packages of the resolved tree, after refusing what no TUF role can vouch for. */
export function collectTree(session: TufSession, packages: Iterable<Package>, failures: Failure[], unsafe: Set<string> = new Set()): NpmEntry[] {
  const out = new Map<string, NpmEntry>();
  const addNpm = (pkg: Package, name: string, version: string, archiveUrl: string | null, bindable: boolean): void => {
    if (session.isExempt(name)) {
      unsafe.add(`${name}@${version} (unsafeTufUnverifiedPackages)`);
      return;
    }
    // Our TUF repository covers the default registry only; a scope served elsewhere is not verified.
    if (session.registryFor(name) !== session.registryUrl) {
      failures.push({ error: new VerifyError('TUF_UNSAFE_SOURCE', `${name}@${version} comes from ${session.registryFor(name)}, which the trusted TUF repository does not cover`, {
        packageName: name, version,
        attack: 'unverifiable source (scope registry outside the TUF repository)',
        recovery: 'serve the scope from the verified registry, or list it in unsafeTufUnverifiedPackages deliberately',
      }) });
      return;
    }
    session.expectTarball(name, version, archiveUrl);
    const key = `${pkg.locatorHash}`;
    if (!out.has(key)) out.set(key, { pkg, name, version, bindable });
  };
  const all = [...packages];
  const present = new Set(all.map((pkg) => pkg.locatorHash));
  // Every locator kind ends in a checked path or a refusal: a kind left out here would be linked unverified.
  for (const pkg of all) {
    const kind = classifyLocator(pkg);
    switch (kind.kind) {
      case 'project':
        break;
      case 'virtual':
        // Its bytes are its base's: checked when the base (a package of the same tree) is. A base missing
        // from the tree would leave them unchecked.
        if (!present.has(structUtils.devirtualizeLocator(pkg).locatorHash)) refuseUnclassified(pkg, 'a virtual instance whose base package is not in the resolved tree', failures);
        break;
      case 'npm':
        addNpm(pkg, kind.name, kind.version, kind.archiveUrl, true);
        break;
      case 'patched': {
        const inner = classifyLocator(kind.source);
        if (inner.kind === 'npm') addNpm(pkg, inner.name, inner.version, inner.archiveUrl, false);
        else if (inner.kind === 'non-registry') refuseNonRegistry(session, pkg, inner.protocol, failures, unsafe);
        // A patch over a patch (also Yarn's builtin compat patch over a user's typescript patch), over a
        // workspace or over a virtual: archive-binding rebuilds only a patch applied to a verified npm
        // archive, so the outer archive would be linked unbound. Refused until nested patches are verified.
        else if (session.isExempt(structUtils.stringifyIdent(pkg))) unsafe.add(`${structUtils.stringifyLocator(pkg)} (unsafeTufUnverifiedPackages)`);
        else refuseUnclassified(pkg, `a patch over a ${inner.kind === 'patched' ? 'patch: locator (nested patch:)' : inner.kind === 'project' ? 'workspace' : 'virtual package'}`, failures);
        break;
      }
      case 'non-registry':
        refuseNonRegistry(session, pkg, kind.protocol, failures, unsafe);
        break;
      default:
        refuseUnclassified(pkg, 'a locator of a kind the plugin does not verify', failures, kind);
    }
  }
  return [...out.values()];
}

/**
 * A locator whose archive no checked path binds (ADR 0027 amendment): refused before anything is fetched.
 * Only unsafeTufUnverifiedPackages naming the package (checked by the caller, warned on every install) skips it.
 */
function refuseUnclassified(pkg: Locator, what: string, failures: Failure[], _exhaustive?: never): void {
  const locator = structUtils.stringifyLocator(pkg).slice(0, 300);
  failures.push({ error: new VerifyError('TUF_UNSAFE_SOURCE', `${locator} is ${what}; nested patch: locators (and patches over workspaces or virtual packages) are not verified yet, so its archive would be linked unchecked`, {
    packageName: structUtils.stringifyIdent(pkg),
    attack: 'unverified archive (a patch: locator whose source is not an npm package: its archive is never bound to a verified tarball)',
    recovery: 'drop the nested patch: apply the change as one patch on the npm package (yarn patch <name>@npm:<version>; for typescript, the one patch Yarn wraps in its builtin compat patch is itself nested: remove the user patch), then yarn install; or list the package in unsafeTufUnverifiedPackages deliberately',
  }) });
}

function refuseNonRegistry(session: TufSession, pkg: Locator, protocol: string, failures: Failure[], unsafe: Set<string>): void {
  const name = structUtils.stringifyIdent(pkg);
  if (session.allowsNonRegistry(name)) {
    unsafe.add(`${structUtils.stringifyLocator(pkg)} (unsafeTufAllowNonRegistry)`);
    return;
  }
  failures.push({ error: new VerifyError('TUF_UNSAFE_SOURCE', `${structUtils.stringifyLocator(pkg)} is a ${protocol} dependency, which no TUF role signs`, {
    packageName: name,
    attack: 'unverifiable source (git, file, link or remote-URL dependency)',
    recovery: 'depend on a registry version instead, or list the package in unsafeTufAllowNonRegistry deliberately',
  }) });
}

function cacheKeyOf(checksum: string): string {
  const slash = checksum.indexOf('/');
  return slash === -1 ? '' : checksum.slice(0, slash);
}

/**
 * A yarn.lock (or cache) checksum against the binding recorded when the tarball was TUF-verified.
 * A binding made under another cache key (another Yarn zip format) cannot be compared: 'unbound'.
 */
export function checkBinding(session: TufSession, entry: NpmEntry, checksum: string): 'bound' | 'unbound' {
  const pinned = session.verifier.pinned(entry.name, entry.version)?.yarnChecksum;
  if (pinned !== undefined && cacheKeyOf(pinned) !== cacheKeyOf(checksum)) return 'unbound';
  return session.verifier.checkYarnChecksum(entry.name, entry.version, checksum);
}

export function reportFailures(session: TufSession, report: Report, failures: Failure[]): void {
  if (failures.length === 0) return;
  session.failed = true;
  for (const { error, subject } of failures) {
    if (session.enforce) report.reportError(MessageName.UNNAMED, describeTufError(error, subject));
    else report.reportWarning(MessageName.UNNAMED, `(tufMode: unsafe-warn) ${describeTufError(error, subject)}`);
  }
  if (session.enforce) {
    throw new ReportError(MessageName.UNNAMED, `TUF verification refused ${failures.length} package(s); nothing was linked and yarn.lock, tufpm-lock.json and node_modules are unchanged`);
  }
}

/** A verification failure and the package it was checking (client-level errors do not name it). */
export interface Failure {
  error: TufError;
  subject?: string;
}

/** Runs one package's checks; a TUF failure is collected (all are reported), anything else is a bug. */
export async function settle(failures: Failure[], subject: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof TufError) failures.push({ error, subject });
    else throw error;
  }
}

/** Role checks running at once; each mostly waits on the metadata server, so more than the fetch step's share. */
const CHECK_CONCURRENCY = 16;

/**
 * The checks of the resolved tree, run next to Yarn's fetch step. Each package (name@version) is checked
 * once, whether a background worker or a download reaches it first; a download waits for its own package.
 */
export class TreeCheck {
  readonly failures: Failure[] = [];
  passed = 0;
  /** packages whose per-package checks a sealed record of this machine vouched for (ADR 0023) */
  reused = 0;
  private readonly byKey = new Map<string, NpmEntry[]>();
  private readonly runs = new Map<string, Promise<boolean>>();
  private settledPromise: Promise<void> | undefined;
  /** Checks of the whole project (the workspaces' dist-tag edges), awaited with the packages'. */
  private readonly projectChecks: Array<Promise<void>> = [];

  constructor(private readonly session: TufSession, readonly entries: NpmEntry[]) {
    for (const entry of entries) {
      const key = packageKey(entry.name, entry.version);
      const list = this.byKey.get(key);
      if (list) list.push(entry);
      else this.byKey.set(key, [entry]);
    }
  }

  /** true when every entry of name@version passed; a failure is recorded (reported later), never thrown. */
  checkKey(key: string): Promise<boolean> {
    let run = this.runs.get(key);
    if (run === undefined) {
      run = this.runKey(key);
      this.runs.set(key, run);
    }
    return run;
  }

  private async runKey(key: string): Promise<boolean> {
    const entries = this.byKey.get(key);
    // Not in the tree (a rebuild's download, say): the download itself is still checked against its target.
    if (entries === undefined) return true;
    // This key's own failures: other keys' checks run concurrently and add to this.failures meanwhile.
    const mine: Failure[] = [];
    for (const entry of entries) {
      await settle(mine, key, async () => {
        if (await checkEntry(this.session, entry, mine)) this.reused++;
      });
    }
    this.failures.push(...mine);
    if (mine.length === 0) this.passed++;
    return mine.length === 0;
  }

  /** Runs `check` next to the packages' checks; its failures are reported with theirs. */
  alsoCheck(check: () => Promise<Failure[]>): void {
    this.projectChecks.push(check().then((failures) => void this.failures.push(...failures)));
  }

  /** Starts the background workers (once); resolves when every package has been checked. */
  settled(): Promise<void> {
    if (this.settledPromise === undefined) {
      // Yarn fetches in locator order: checking in the same order keeps the checks ahead of the downloads.
      const keys = [...this.byKey.keys()].sort(compareStrings);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < keys.length) await this.checkKey(keys[next++]!);
      };
      const workers = Array.from({ length: Math.min(CHECK_CONCURRENCY, Math.max(1, keys.length)) }, worker);
      this.settledPromise = Promise.all([...workers, ...this.projectChecks]).then(() => undefined);
    }
    return this.settledPromise;
  }
}

/**
 * Starts verifying the resolved tree, to run while Yarn downloads. First, with no network: non-registry
 * sources are refused and yarn.lock checksums must match the bindings pinned in tufpm-lock.json (an
 * edited yarn.lock is caught before any download). Then, in the background, every npm package must be
 * listed by its delegated role in the current snapshot (and match its pin), with the dependencies its
 * signed package.json declares. A tarball's bytes reach Yarn only once its own package passed these checks
 * (`wrapNetworkRequest`); the install as a whole waits for all of them before anything is linked.
 */
export function startTreeCheck(session: TufSession, opts: FetchOptions): TreeCheck {
  const report = opts.report;
  const failures: Failure[] = [];
  const unsafe = new Set<string>();
  const entries = collectTree(session, session.project.storedPackages.values(), failures, unsafe);
  // Weakened on purpose by an unsafe setting: say so on every install, by name.
  for (const what of unsafe) report.reportWarning(MessageName.UNNAMED, `TUF: UNSAFE, not verified: ${what}`);
  for (const entry of entries) {
    if (!entry.bindable) continue;
    const checksum = session.project.storedChecksums.get(entry.pkg.locatorHash);
    if (checksum === undefined) continue;
    try {
      checkBinding(session, entry, checksum);
    } catch (error) {
      if (!(error instanceof TufError)) throw error;
      failures.push({ error, subject: packageKey(entry.name, entry.version) });
    }
  }
  // Every edge served by a package of its name, each workspace's by a version in its range (DESIGN §9).
  const seen = new Set<string>();
  const tagEdges: TagEdge[] = [];
  for (const error of checkEdgeNames(session.project, session.project.storedPackages, tagEdges)) {
    if (seen.has(error.message)) continue; // a virtual instance repeats its base's edges
    seen.add(error.message);
    failures.push({ error });
  }
  reportFailures(session, report, failures);
  const check = new TreeCheck(session, entries);
  // The workspaces' dist-tag edges against the signed tags: a release-list lookup only if there are any.
  if (tagEdges.length > 0) check.alsoCheck(async () => (await session.verifier.checkTagEdges(tagEdges)).map((error) => ({ error })));
  // Awaited in finishTreeCheck; the handler here only keeps an early bug from counting as unhandled.
  check.settled().catch(() => undefined);
  return check;
}

/**
 * One entry's checks: its signed target (role, pin, signer policy), the dependencies Yarn resolved for it, and
 * the versions serving them against the signed ranges (each edge's failure is added to `failures`).
 */
async function checkEntry(session: TufSession, entry: NpmEntry, failures: Failure[]): Promise<boolean> {
  // Role, pin and signer policy: on every install.
  const target = await session.verifier.resolve(entry.name, entry.version);
  // ADR 0023: the checks below are a pure function of the signed target and of what Yarn resolved for this
  // package; this machine sealed a pass for exactly these inputs before, so they would pass again.
  const record = session.verifier.packageChecksDigest(entry.name, entry.version, 'yarn', yarnCheckInputs(session.project, entry.pkg));
  if (session.verifier.packageChecksPassed(record)) return true;
  const before = failures.length;
  // The manifest Yarn resolved from must declare only what the signed package.json declares.
  await session.verifier.checkDependencies(entry.name, entry.version, declaredDependencies(session.project, entry.pkg, target));
  // So must the bins it links, the platforms it is installed on and its optional peers.
  await session.verifier.checkManifestFields(entry.name, entry.version, declaredManifestFields(session.project, entry.pkg, target));
  const tagEdges: TagEdge[] = [];
  for (const error of checkSignedEdges(session.project, entry.pkg, target, session.project.storedPackages, tagEdges)) failures.push({ error, subject: packageKey(entry.name, entry.version) });
  for (const error of await session.verifier.checkTagEdges(tagEdges)) failures.push({ error, subject: packageKey(entry.name, entry.version) });
  // A dist-tag edge also depends on the signed release list, which these inputs do not cover: never recorded.
  if (failures.length === before && tagEdges.length === 0) session.verifier.recordPackageChecks(record);
  return false;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * After the fetch step (successful or not): every check must have passed. Reports each failure with its
 * code and throws, so nothing is linked and yarn.lock, the pins and node_modules stay as they were.
 */
export async function finishTreeCheck(session: TufSession, opts: FetchOptions, check: TreeCheck): Promise<void> {
  const report = opts.report;
  await report.startTimerPromise('TUF verification of the resolved tree', async () => {
    await check.settled();
    const total = new Set(check.entries.map((e) => packageKey(e.name, e.version))).size;
    const reused = check.reused > 0 ? ` (the dependency, manifest and edge checks of ${check.reused} taken from this machine's sealed records)` : '';
    report.reportInfo(MessageName.UNNAMED, `TUF: ${check.passed} of ${total} npm packages signed in snapshot ${session.verifier.summary().snapshot.version}${reused}`);
    reportFailures(session, report, check.failures);
  });
}

/** name@version of every npm package in the installed tree: the pins kept in tufpm-lock.json. */
export function pinnedKeys(entries: NpmEntry[]): string[] {
  return [...new Set(entries.map((entry) => packageKey(entry.name, entry.version)))];
}
