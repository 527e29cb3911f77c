import { MessageName, ReportError, type Hooks, type InstallOptions, type Project, type Cache } from '@yarnpkg/core';
import { TufError } from '@tufpm/models';
import { pinsMissingError, pinsMissingWarning, pinsStaleError } from '@tufpm/verify';
import { afterFetch } from './archive-binding.js';
import { checksumBehaviorRefusal } from './checksum-behavior.js';
import { finishTreeCheck, pinnedKeys, startTreeCheck, type NpmEntry } from './install-flow.js';
import { FetchedFiles } from './linked-files.js';
import { PatchBuilds } from './patch-builds.js';
import { asNetworkFault, describeTufError, toReportError } from './report-errors.js';
import { TufSession, dropSession, registerSession, sessionFor } from './session.js';
import { checkPackumentRequest, forgetOpening, openingFor } from './release-lists.js';

type ValidationReport = Parameters<NonNullable<Hooks['validateProject']>>[1];

const installedEntries = new WeakMap<TufSession, NpmEntry[]>();
/** Yarn's own fetchEverything per project: a second install of the same Project must not wrap it twice. */
const originalFetch = new WeakMap<Project, Project['fetchEverything']>();

/**
 * `validateProject` runs first in every `Project.install` (yarn install, add, up, remove...). Yarn has no
 * hook between resolution and fetch, nor between fetch and the moment yarn.lock is written, so the session
 * wraps this project's own `fetchEverything`: the tree is checked while Yarn downloads (each tarball
 * waiting for its own package's checks), and every archive right after the fetch, while a failure still
 * leaves yarn.lock, the pins and node_modules untouched.
 */
export async function validateProject(project: Project, report: ValidationReport): Promise<void> {
  const warnOnly = project.configuration.get('tufMode') === 'unsafe-warn';
  // `ignore` and `reset` make Yarn report yarn.lock's checksum for an archive whose hash differs from it:
  // the binding would compare checksum with checksum, never the file Yarn links (checksum-behavior.ts).
  const unsafeChecksums = warnOnly ? null : checksumBehaviorRefusal(project.configuration);
  if (unsafeChecksums !== null) {
    report.reportError(MessageName.UNNAMED, describeTufError(unsafeChecksums));
    return;
  }
  // The TUF refresh (root chain, timestamp, snapshot, targets) runs while Yarn resolves; its result is
  // awaited, and any failure reported, before the fetch step downloads anything.
  // The same session as the packument checks of this command (release-lists.ts), which may have opened it.
  const opening = openingFor(project.configuration, () => TufSession.open(project)).then((session) => session.attach(project));
  opening.catch(() => undefined); // awaited in fetchEverything; this only keeps an early failure from counting as unhandled
  const fetchEverything = originalFetch.get(project) ?? project.fetchEverything.bind(project);
  originalFetch.set(project, fetchEverything);
  project.fetchEverything = async (opts: InstallOptions & { cache: Cache }) => {
    let session: TufSession;
    try {
      session = await opening;
    } catch (error) {
      if (!(error instanceof TufError)) throw error;
      // Without a verified repository state nothing can be checked: in warn mode say so loudly and go on.
      if (warnOnly) {
        opts.report.reportWarning(MessageName.UNNAMED, `(tufMode: unsafe-warn) nothing will be verified: ${describeTufError(error)}`);
        return fetchEverything(opts);
      }
      throw new ReportError(MessageName.UNNAMED, describeTufError(error));
    }
    registerSession(session);
    if (session.verifier.summary().pinned === null) {
      // ADR 0015: `--immutable` (CI) without pins is refused: a pull request deleting tufpm-lock.json must
      // not switch the rollback floors and recorded claims off silently. Other installs write it at the end.
      if (opts.immutable && !warnOnly) {
        await session.verifier.close();
        throw toReportError(pinsMissingError(session.verifier.lockfilePath, 'yarn install --immutable'));
      }
      opts.report.reportWarning(MessageName.UNNAMED, `TUF: ${pinsMissingWarning(session.verifier.lockfilePath)}`);
    }
    if (session.settings.retiredCacheFolder) {
      opts.report.reportWarning(MessageName.UNNAMED, `TUF: tufCacheFolder is no longer read; trusted state is kept in tufStateFolder (default ~/.local/state/tufpm)`);
    }
    const check = startTreeCheck(session, opts);
    session.treeCheck = check;
    // The tree check makes every role lookup of this install, ahead of the downloads; once it passed, the
    // verified roles are persisted and the TUF session (its worker thread) ends, before Yarn's own memory
    // peak at the end of the fetch step, the archive rebuilds and the link step. Anything looked up later
    // is refused, never passed (InstallVerifier.releaseTufSession).
    const released = check.settled().then(() => (check.failures.length === 0 ? session.verifier.releaseTufSession() : undefined));
    released.catch(() => undefined); // awaited below; a failed check is reported by finishTreeCheck
    if (opts.immutable && !warnOnly) {
      // ADR 0015: `--immutable` never moves the pins, so it must not install what they do not list (a pull
      // request that edits only yarn.lock would add or downgrade packages no review of the pins shows).
      // Refused before any download, after the signature checks, so an attack is reported by its own code.
      const unpinned = pinnedKeys(check.entries).filter((key) => !session.verifier.isPinnedKey(key)).sort();
      if (unpinned.length > 0) {
        await finishTreeCheck(session, opts, check);
        await session.verifier.close();
        throw toReportError(pinsStaleError(session.verifier.lockfilePath, 'yarn install --immutable', unpinned, 'yarn install'));
      }
    }
    session.fetching = true;
    // Which `patch:` archives Yarn builds in this process, and from what (ADR 0027): seen through the cache
    // handed to Yarn's fetchers, during the fetch step only.
    const builds = new PatchBuilds(new Set(check.entries.filter((e) => !e.bindable).map((e) => e.pkg.locatorHash)));
    // Which file the fetch step hashed for each archive: the one the link step opens must be that one.
    const files = new FetchedFiles();
    try {
      try {
        await fetchEverything({ ...opts, cache: builds.observe(files.observe(opts.cache)) });
      } catch (fetchError) {
        // A refused download fails Yarn's fetch step; the tree check then says why, package by package.
        await finishTreeCheck(session, opts, check);
        throw fetchError;
      } finally {
        builds.stop();
        files.stop();
      }
      await finishTreeCheck(session, opts, check);
      await released;
      await afterFetch(session, opts, check.entries, builds, files);
    } finally {
      session.fetching = false;
    }
    installedEntries.set(session, check.entries);
  };
}

/**
 * Every tarball download goes through here (cache and mirror hits do not). The response body is buffered
 * by Yarn anyway; it reaches Yarn only once its package passed the tree checks (role, pin, signer policy,
 * signed dependencies) and its bytes match the signed length and sha512, so no unverified byte is unpacked
 * or cached.
 */
export const wrapNetworkRequest: NonNullable<Hooks['wrapNetworkRequest']> = async (executor, extra) => {
  // Packuments: the release list a resolver chooses from must be the signed one (ADR 0013).
  const packument = checkPackumentRequest(executor, extra);
  if (packument !== undefined) return packument;
  const session = sessionFor(extra.configuration);
  if (session === undefined || !session.fetching) return executor;
  if ((extra.method ?? 'GET') !== 'GET') return executor;
  const pkg = session.packageForUrl(String(extra.target));
  if (pkg === null || session.isExempt(pkg.name)) return executor;
  return async () => {
    const [response, passed] = await Promise.all([
      executor().catch((error: unknown) => {
        throw asNetworkFault(error, `package ${pkg.name}@${pkg.version} (tarball)`);
      }),
      session.treeCheck?.checkKey(`${pkg.name}@${pkg.version}`) ?? true,
    ]);
    if (!passed && session.enforce) {
      // The full coded report comes from the tree check at the end of the fetch step.
      throw new ReportError(MessageName.UNNAMED, `TUF: ${pkg.name}@${pkg.version} was refused by TUF verification (reported below); its tarball is not used`);
    }
    const body: unknown = response.body;
    if (!Buffer.isBuffer(body)) {
      throw new ReportError(MessageName.UNNAMED, `TUF_TARBALL_MISMATCH | package ${pkg.name}@${pkg.version} | the tarball response was not a byte buffer; refusing to use it unverified`);
    }
    try {
      await session.verifyDownload(pkg.name, pkg.version, body);
    } catch (error) {
      if (!(error instanceof TufError)) throw error;
      session.failed = true;
      const text = describeTufError(error, `${pkg.name}@${pkg.version}`);
      if (session.enforce) throw new ReportError(MessageName.UNNAMED, text);
      session.warnings.push(text);
    }
    return response;
  };
};

/** Pins move forward only here: the whole install, link step included, succeeded. */
export async function afterAllInstalled(project: Project, opts: InstallOptions): Promise<void> {
  const session = sessionFor(project.configuration);
  forgetOpening(project.configuration);
  if (session === undefined) return;
  dropSession(session);
  try {
    await finishInstall(session, opts);
  } finally {
    await session.verifier.close();
  }
}

async function finishInstall(session: TufSession, opts: InstallOptions): Promise<void> {
  const entries = installedEntries.get(session);
  if (entries === undefined) return;
  if (session.failed) {
    opts.report.reportWarning(MessageName.UNNAMED, `TUF: verification failures were downgraded by tufMode: unsafe-warn; ${session.settings.lockfileFilename} was not updated`);
    return;
  }
  // `--immutable` (CI) checks against the pins and never moves them, like yarn.lock itself; the machine's
  // own bindings (outside the project) are still recorded so the next install need not rebuild archives.
  if (opts.immutable) {
    try {
      await session.verifier.saveMachineCache();
    } catch (error) {
      throw toReportError(error);
    }
    return;
  }
  const keys = pinnedKeys(entries);
  try {
    await session.verifier.commit(keys);
  } catch (error) {
    throw toReportError(error);
  }
  const summary = session.verifier.summary();
  opts.report.reportInfo(MessageName.UNNAMED, `TUF: ${keys.length} packages pinned in ${session.settings.lockfileFilename} (root v${summary.root.version}, timestamp v${summary.timestamp.version}, snapshot v${summary.snapshot.version})`);
}
