import { Cache, InstallMode, MessageName, ThrowReport, hashUtils, structUtils, type Package } from '@yarnpkg/core';
import { xfs, type PortablePath } from '@yarnpkg/fslib';
import { VerifyError } from '@tufpm/verify';
import { checkBinding, reportFailures, settle, type Failure, type FetchOptions, type NpmEntry } from './install-flow.js';
import { classifyLocator, packageKey } from './locators.js';
import type { FetchedFiles } from './linked-files.js';
import { hashPart, type PatchBuilds } from './patch-builds.js';
import type { TufSession } from './session.js';

/** Same zip? Compare the hash part only: the `10c0/` cache-key prefix is a label, not content. */
function sameZip(a: string, b: string): boolean {
  return hashPart(a) === hashPart(b);
}

/** A cache in a temp dir that never reads or writes the mirror. */
async function throwawayCache(session: TufSession, dir: PortablePath): Promise<Cache> {
  const cache = new Cache(dir, { configuration: session.project.configuration, immutable: false, check: false });
  Object.defineProperty(cache, 'mirrorCwd', { value: null });
  await cache.setup();
  return cache;
}

/**
 * Yarn's checksum of the archive of `pkg` rebuilt from scratch. npm package: downloaded again (checked by
 * wrapNetworkRequest) into a throwaway cache. `patch:` package: the patch is applied again to the npm
 * archive of the project's cache (bound just before), the result going to a throwaway cache. The project's
 * cache and mirror are never written.
 */
async function rebuildChecksum(session: TufSession, pkg: Package, projectCache: Cache | null): Promise<string | null> {
  const project = session.project;
  return await xfs.mktempPromise(async (dir) => {
    const scratch = await throwawayCache(session, dir);
    const cache = projectCache === null
      ? scratch
      : new Proxy(projectCache, {
          get(target, prop) {
            if (prop === 'fetchPackageFromCache') {
              return (locator: Package, checksum: string | null, opts: Parameters<Cache['fetchPackageFromCache']>[2]) =>
                locator.locatorHash === pkg.locatorHash ? scratch.fetchPackageFromCache(locator, null, opts) : target.fetchPackageFromCache(locator, checksum, opts);
            }
            const value: unknown = Reflect.get(target, prop, target);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          },
        });
    const fetcher = project.configuration.makeFetcher();
    const checksums = projectCache === null ? new Map() : project.storedChecksums;
    const result = await fetcher.fetch(pkg, { checksums, project, cache, fetcher, report: new ThrowReport(), cacheOptions: {} });
    result.releaseFs?.();
    return result.checksum ?? null;
  });
}

function bindingError(entry: NpmEntry, role: string, what: string): VerifyError {
  const key = packageKey(entry.name, entry.version);
  return new VerifyError('TUF_CHECKSUM_BINDING', `${key}: ${what}`, {
    packageName: entry.name,
    version: entry.version,
    role,
    attack: 'poisoned cache or mirror (or an edited yarn.lock checksum)',
    recovery: 'restore yarn.lock from version control, clear the cache and mirror (yarn cache clean --mirror) and reinstall',
  });
}

/** Yarn's checksum of the archive it will link; conditional (os/cpu) packages have none: hash the file. */
async function archiveChecksum(session: TufSession, opts: FetchOptions, pkg: Package): Promise<string> {
  const stored = session.project.storedChecksums.get(pkg.locatorHash);
  if (stored !== undefined) return stored;
  return `${opts.cache.cacheKey}/${await hashUtils.checksumFile(opts.cache.getLocatorPath(pkg, null))}`;
}

/**
 * The archive Yarn's link step will open for `entry` must be the one whose checksum `checksum` is checked
 * here (linked-files.ts): refused when it is another file, or none (the link step would then copy the
 * mirror's file in without hashing it). `--mode=update-lockfile` links nothing.
 */
async function checkLinkedFile(session: TufSession, opts: FetchOptions, files: FetchedFiles, entry: NpmEntry, checksum: string): Promise<void> {
  if (opts.mode === InstallMode.UpdateLockfile) return;
  const stored = session.project.storedChecksums.get(entry.pkg.locatorHash) ?? null;
  const linked = await files.linkedHash(opts.cache, entry.pkg, stored);
  if (linked === null || linked === hashPart(checksum)) return;
  const { role } = await session.verifier.resolve(entry.name, entry.version);
  throw bindingError(entry, role, linked === 'missing'
    ? 'the archive Yarn would link is not in its cache where the checked checksum names it (its mirror\'s file would be copied in unhashed)'
    : 'the archive Yarn would link is not the file whose checksum was checked');
}

/**
 * After Yarn's fetch step, before yarn.lock is written and anything is linked: every archive must be bound
 * to a TUF-verified tarball. Downloaded now -> bind. From cache/mirror -> the pinned binding must match, or
 * (no binding yet) the archive is rebuilt from a verified download and compared. Patched archives are
 * rebuilt from their (bound) npm archive and compared, unless this machine bound them so before, or Yarn
 * built them in this process from the npm archive bound here (`builds`, ADR 0027).
 */
export async function afterFetch(session: TufSession, opts: FetchOptions, entries: NpmEntry[], builds: PatchBuilds, files: FetchedFiles): Promise<void> {
  const report = opts.report;
  const failures: Failure[] = [];
  const project = session.project;
  const bound = new Set<string>();
  /** the checksum each npm archive (by locator hash) was bound under in this install */
  const boundChecksums = new Map<string, string>();
  await report.startTimerPromise('TUF binding of Yarn checksums', async () => {
    for (const warning of session.warnings) report.reportWarning(MessageName.UNNAMED, `(tufMode: unsafe-warn) ${warning}`);
    let rebuilt = 0;
    let builtHere = 0;
    const installed = entries.filter((entry) => !project.disabledLocators.has(entry.pkg.locatorHash));
    for (const entry of installed.filter((e) => e.bindable)) {
      const key = packageKey(entry.name, entry.version);
      await settle(failures, key, async () => {
        const checksum = await archiveChecksum(session, opts, entry.pkg);
        await checkLinkedFile(session, opts, files, entry, checksum);
        if (session.downloaded.has(key)) {
          session.verifier.bindYarnChecksum(entry.name, entry.version, checksum);
        } else if (checkBinding(session, entry, checksum) === 'unbound') {
          rebuilt++;
          const fresh = await rebuildChecksum(session, entry.pkg, null);
          if (!session.downloaded.has(key) || fresh === null || !sameZip(fresh, checksum)) {
            const { role } = await session.verifier.resolve(entry.name, entry.version);
            throw bindingError(entry, role, 'the archive Yarn took from its cache or mirror differs from the one built from the TUF-verified tarball');
          }
          session.verifier.bindYarnChecksum(entry.name, entry.version, checksum);
        }
        bound.add(key);
        boundChecksums.set(entry.pkg.locatorHash, checksum);
      });
    }
    // Patched archives last: they are rebuilt from the npm archives bound above.
    for (const entry of installed.filter((e) => !e.bindable)) {
      const key = packageKey(entry.name, entry.version);
      await settle(failures, key, async () => {
        const { role } = await session.verifier.resolve(entry.name, entry.version);
        if (!bound.has(key)) throw bindingError(entry, role, 'the package under the patch has no verified archive in this install');
        const checksum = await archiveChecksum(session, opts, entry.pkg);
        await checkLinkedFile(session, opts, files, entry, checksum);
        // A patched archive this machine already rebuilt from the same verified tarball and compared is bound
        // (sealed, like an npm archive's binding): the builtin compat patches (typescript, resolve) would
        // otherwise be rebuilt on every install (ADR 0020).
        const locator = structUtils.stringifyLocator(entry.pkg);
        if (session.verifier.hasPatchedBinding(entry.name, entry.version, locator, checksum)) return;
        // Built by Yarn in this process from the base archive bound above (its loader ran, the base it read
        // hashed to the bound checksum, its output to this one): a rebuild would run the same build on the
        // same inputs. An archive from the cache or the mirror never qualifies (ADR 0027).
        const kind = classifyLocator(entry.pkg);
        if (kind.kind === 'patched' && builds.builtHere(entry.pkg, kind.source, checksum, boundChecksums.get(kind.source.locatorHash))) {
          builtHere++;
          session.verifier.bindPatchedChecksum(entry.name, entry.version, locator, checksum);
          return;
        }
        rebuilt++;
        const fresh = await rebuildChecksum(session, entry.pkg, opts.cache);
        if (fresh === null || !sameZip(fresh, checksum)) throw bindingError(entry, role, 'the patched archive differs from the patch applied to the TUF-verified package');
        session.verifier.bindPatchedChecksum(entry.name, entry.version, locator, checksum);
      });
    }
    if (builtHere > 0) report.reportInfo(MessageName.UNNAMED, `TUF: ${builtHere} patched archive(s) built in this install from verified base archives were bound without a second build`);
    if (rebuilt > 0) report.reportInfo(MessageName.UNNAMED, `TUF: ${rebuilt} archive(s) without a pinned binding were rebuilt from verified tarballs and compared`);
    reportFailures(session, report, failures);
  });
}
