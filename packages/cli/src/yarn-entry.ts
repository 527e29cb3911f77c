import { VerifyError, type InstallVerifier, type SignedTarget } from '@tufpm/verify';
import type { LockEntry } from './lock-entries.js';

/**
 * A yarn.lock entry of a registry package against its signed target. Yarn's checksum is of its own zip,
 * not of the tarball, so it is bound to the signed tarball only through tufpm-lock.json, which the plugin
 * wrote after verifying the download (the pin's sha512 is compared with the signed one by resolve()). An
 * entry without that binding was installed without the plugin, or edited: refused. A `__archiveUrl` must be
 * the package's own tarball on the pinned registry.
 */
export function checkYarnEntry(verifier: InstallVerifier, lockfile: string, entry: LockEntry, signed: SignedTarget): void {
  const { name, version } = entry;
  const where = { packageName: name, version, role: signed.role };
  if (entry.source !== undefined && /^https?:/i.test(entry.source)) {
    const parsed = verifier.parseTarballUrl(entry.source);
    if (parsed === null || parsed.name !== name || parsed.version !== version) {
      throw new VerifyError('TUF_LOCK_RESOLVED', `${lockfile}: ${name}@${version} is fetched from ${entry.source.slice(0, 200)}, not its tarball on ${verifier.registryUrl}`, {
        ...where,
        attack: 'wrong package (the lockfile points a package at another tarball)',
        recovery: 'restore yarn.lock from version control and reinstall with the tuf plugin',
      });
    }
  }
  // The patched archive is the project's own build over the verified package: nothing signed to bind it to;
  // its base package's own entry (required by unboundPatches) carries the bound checksum.
  if (entry.patched === true) return;
  const bound = verifier.pinned(name, version)?.yarnChecksum;
  if (bound === undefined || entry.checksum === undefined) {
    throw new VerifyError('TUF_CHECKSUM_BINDING', `${lockfile}: ${name}@${version}: ${entry.checksum === undefined ? 'yarn.lock carries no checksum' : 'tufpm-lock.json binds no checksum to this package'}`, {
      ...where,
      attack: 'unverified install (the entry was written by a Yarn without the tuf plugin, or edited)',
      recovery: 'restore the plugin line in .yarnrc.yml and run yarn install (it verifies and binds the package), then commit yarn.lock and tufpm-lock.json',
    });
  }
  if (bound !== entry.checksum) {
    throw new VerifyError('TUF_CHECKSUM_BINDING', `${lockfile}: ${name}@${version}: checksum ${entry.checksum.slice(0, 24)}... differs from the one tufpm-lock.json bound to the verified tarball`, {
      ...where,
      attack: 'tampered tarball or edited yarn.lock checksum (an archive other than the verified one)',
      recovery: 'restore yarn.lock from version control, clear the Yarn cache (yarn cache clean --mirror) and reinstall with the tuf plugin',
    });
  }
}

/**
 * A `patch:` entry is checked through its base package: Yarn builds the patched archive from the base's
 * archive, and only the base's yarn.lock entry carries a checksum the gate binds to the signed tarball. A
 * patched entry without its base's own entry binds to nothing: a pull request could drop the base and set
 * the patched checksum over tampered registry bytes, and plain Yarn would install them. Refused.
 */
export function unboundPatches(lockfile: string, entries: readonly LockEntry[]): VerifyError[] {
  const bases = new Set(entries.filter((e) => e.kind === 'registry' && e.patched !== true).map((e) => `${e.name}@${e.version}`));
  return entries
    .filter((e) => e.kind === 'registry' && e.patched === true && !bases.has(`${e.name}@${e.version}`))
    .map((e) => new VerifyError('TUF_CHECKSUM_BINDING', `${lockfile}: the patched ${e.name}@${e.version} has no entry of its own for ${e.name}@npm:${e.version}, so nothing binds the archive it is built from to the signed tarball`, {
      packageName: e.name,
      version: e.version,
      attack: 'unbound patch base (the base package\'s yarn.lock entry was removed: a patched archive built over tampered bytes would install)',
      recovery: 'restore yarn.lock from version control, or run yarn install with the tuf plugin (it re-adds and binds the base entry), then commit yarn.lock and tufpm-lock.json',
    }));
}
