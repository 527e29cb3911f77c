import { MessageName, Report, ReportError, structUtils, type Cache, type InstallOptions, type Locator, type Package } from '@yarnpkg/core';
import { TufError } from '@tufpm/models';
import { VerifyError } from '@tufpm/verify';
import { declaredDependencies } from './dependencies.js';
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

const RESOLVE_CONCURRENCY = 8;

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
  for (const pkg of packages) {
    const kind = classifyLocator(pkg);
    switch (kind.kind) {
      case 'project':
      case 'virtual':
        break;
      case 'npm':
        addNpm(pkg, kind.name, kind.version, kind.archiveUrl, true);
        break;
      case 'patched': {
        const inner = classifyLocator(kind.source);
        if (inner.kind === 'npm') addNpm(pkg, inner.name, inner.version, inner.archiveUrl, false);
        else if (inner.kind === 'non-registry') refuseNonRegistry(session, pkg, inner.protocol, failures, unsafe);
        break;
      }
      case 'non-registry':
        refuseNonRegistry(session, pkg, kind.protocol, failures, unsafe);
        break;
    }
  }
  return [...out.values()];
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
    else report.reportWarning(MessageName.UNNAMED, `(tufMode: warn) ${describeTufError(error, subject)}`);
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

/**
 * Before Yarn fetches anything: every npm package of the tree must be listed by its delegated role in the
 * current snapshot (and match its pin) with the dependencies its signed package.json declares, non-registry
 * sources are refused, and yarn.lock checksums must match the bindings pinned in tufpm-lock.json (an edited
 * yarn.lock is caught before any download).
 */
export async function beforeFetch(session: TufSession, opts: FetchOptions): Promise<NpmEntry[]> {
  const report = opts.report;
  const failures: Failure[] = [];
  let entries: NpmEntry[] = [];
  await report.startTimerPromise('TUF verification of the resolved tree', async () => {
    const unsafe = new Set<string>();
    entries = collectTree(session, session.project.storedPackages.values(), failures, unsafe);
    // Weakened on purpose by an unsafe setting: say so on every install, by name.
    for (const what of unsafe) report.reportWarning(MessageName.UNNAMED, `TUF: UNSAFE, not verified: ${what}`);
    const progress = Report.progressViaCounter(entries.length);
    const shown = report.reportProgress(progress);
    let signed = 0;
    try {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < entries.length) {
          const entry = entries[next++]!;
          await settle(failures, packageKey(entry.name, entry.version), async () => {
            const target = await session.verifier.resolve(entry.name, entry.version);
            // The manifest Yarn resolved from must declare only what the signed package.json declares.
            await session.verifier.checkDependencies(entry.name, entry.version, declaredDependencies(session.project, entry.pkg, target));
            signed++;
            const checksum = session.project.storedChecksums.get(entry.pkg.locatorHash);
            if (checksum !== undefined && entry.bindable) checkBinding(session, entry, checksum);
          });
          progress.tick();
        }
      };
      await Promise.all(Array.from({ length: Math.min(RESOLVE_CONCURRENCY, Math.max(1, entries.length)) }, worker));
    } finally {
      shown.stop();
    }
    report.reportInfo(MessageName.UNNAMED, `TUF: ${signed} of ${entries.length} npm packages signed in snapshot ${session.verifier.summary().snapshot.version}`);
    reportFailures(session, report, failures);
  });
  return entries;
}

/** name@version of every npm package in the installed tree: the pins kept in tufpm-lock.json. */
export function pinnedKeys(entries: NpmEntry[]): string[] {
  return [...new Set(entries.map((entry) => packageKey(entry.name, entry.version)))];
}
