import { Cache, MessageName, Report, ReportError, ThrowReport, hashUtils, structUtils, type InstallOptions, type Locator, type Package } from '@yarnpkg/core';
import { xfs } from '@yarnpkg/fslib';
import { TufError } from '@tufpm/models';
import { VerifyError } from '@tufpm/verify';
import { classifyLocator, packageKey } from './locators.js';
import { describeTufError } from './report-errors.js';
import type { TufSession } from './session.js';

type FetchOptions = InstallOptions & { cache: Cache };

export interface NpmEntry {
  pkg: Package;
  name: string;
  version: string;
  /** false for the npm package underneath a `patch:` (Yarn keeps no checksum of its own for it) */
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

/** Same zip? Compare the hash part only: the `10c0/` cache-key prefix is a label, not content. */
function sameZip(a: string, b: string): boolean {
  return a.slice(a.indexOf('/') + 1) === b.slice(b.indexOf('/') + 1);
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

function reportFailures(session: TufSession, report: Report, failures: Failure[]): void {
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
 * current snapshot (and match its pin), non-registry sources are refused, and yarn.lock checksums must
 * match the bindings pinned in tufpm-lock.json (an edited yarn.lock is caught before any download).
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
    try {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < entries.length) {
          const entry = entries[next++]!;
          await settle(failures, packageKey(entry.name, entry.version), async () => {
            await session.verifier.resolve(entry.name, entry.version);
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
    const signed = entries.length - failures.length;
    report.reportInfo(MessageName.UNNAMED, `TUF: ${signed} of ${entries.length} npm packages signed in snapshot ${session.verifier.summary().snapshot.version}`);
    reportFailures(session, report, failures);
  });
  return entries;
}

/**
 * Rebuilds the zip of a package that came from the cache or the mirror without a binding: downloads the
 * tarball (verified by wrapNetworkRequest) into a throwaway cache without mirror, and returns Yarn's
 * checksum of the zip it builds. The project's cache and mirror are not touched.
 */
async function deriveChecksum(session: TufSession, pkg: Package): Promise<string | null> {
  const project = session.project;
  return await xfs.mktempPromise(async (dir) => {
    const cache = new Cache(dir, { configuration: project.configuration, immutable: false, check: false });
    // No mirror: the point is to get the bytes from the network, through TUF.
    Object.defineProperty(cache, 'mirrorCwd', { value: null });
    await cache.setup();
    const fetcher = project.configuration.makeFetcher();
    const result = await fetcher.fetch(pkg, { checksums: new Map(), project, cache, fetcher, report: new ThrowReport(), cacheOptions: {} });
    result.releaseFs?.();
    return result.checksum ?? null;
  });
}

/**
 * After Yarn's fetch step, before yarn.lock is written and anything is linked: every package's zip must be
 * bound to a TUF-verified tarball. Downloaded now -> bind. From cache/mirror -> the pinned binding must
 * match, or (no binding yet) the zip is rebuilt from a verified download and compared.
 */
export async function afterFetch(session: TufSession, opts: FetchOptions, entries: NpmEntry[]): Promise<void> {
  const report = opts.report;
  const failures: Failure[] = [];
  const project = session.project;
  await report.startTimerPromise('TUF binding of Yarn checksums', async () => {
    for (const warning of session.warnings) report.reportWarning(MessageName.UNNAMED, `(tufMode: warn) ${warning}`);
    let derived = 0;
    for (const entry of entries) {
      if (!entry.bindable || project.disabledLocators.has(entry.pkg.locatorHash)) continue;
      await settle(failures, packageKey(entry.name, entry.version), async () => {
        let checksum = project.storedChecksums.get(entry.pkg.locatorHash) ?? null;
        // Conditional packages (os/cpu) get no checksum in yarn.lock: hash the cache file ourselves.
        if (checksum === null) checksum = `${opts.cache.cacheKey}/${await hashUtils.checksumFile(opts.cache.getLocatorPath(entry.pkg, null))}`;
        const key = packageKey(entry.name, entry.version);
        if (session.downloaded.has(key)) {
          session.verifier.bindYarnChecksum(entry.name, entry.version, checksum);
          return;
        }
        if (checkBinding(session, entry, checksum) === 'bound') return;
        derived++;
        const fresh = await deriveChecksum(session, entry.pkg);
        if (!session.downloaded.has(key) || fresh === null || !sameZip(fresh, checksum)) {
          throw new VerifyError('TUF_CHECKSUM_BINDING', `${key}: the archive Yarn took from its cache or mirror differs from the one built from the TUF-verified tarball`, {
            packageName: entry.name,
            version: entry.version,
            role: (await session.verifier.resolve(entry.name, entry.version)).role,
            attack: 'poisoned cache or mirror (or an edited yarn.lock checksum)',
            recovery: 'restore yarn.lock from version control, clear the cache and mirror (yarn cache clean --mirror) and reinstall',
          });
        }
        session.verifier.bindYarnChecksum(entry.name, entry.version, checksum);
      });
    }
    if (derived > 0) report.reportInfo(MessageName.UNNAMED, `TUF: ${derived} cached archive(s) without a pinned binding were checked against a verified download`);
    reportFailures(session, report, failures);
  });
}

/** name@version of every npm package in the installed tree: the pins kept in tufpm-lock.json. */
export function pinnedKeys(entries: NpmEntry[]): string[] {
  return [...new Set(entries.map((entry) => packageKey(entry.name, entry.version)))];
}
