import { VerifyError, type InstallVerifier, type SignedTarget } from '@tufpm/verify';
import type { LockEntry } from './lock-entries.js';

/** The sha512 digests (base64) of an SRI string; npm (ssri) checks the strongest algorithm present. */
function sha512Digests(integrity: string): string[] {
  return integrity
    .trim()
    .split(/\s+/)
    .filter((part) => part.startsWith('sha512-'))
    .map((part) => part.slice('sha512-'.length).split('?')[0]!);
}

function field(fields: Record<string, unknown>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(fields, name) ? fields[name] : null;
}

/**
 * A package-lock.json entry of a registry package against its signed target: `resolved` must be that
 * package's tarball on the pinned registry, every sha512 of `integrity` the signed one (then plain `npm ci`
 * accepts no other bytes: pacote checks the strongest algorithm listed, and passes if any digest of it
 * matches), and the dependencies and manifest fields npm installs from the entry the signed ones.
 */
export async function checkNpmEntry(verifier: InstallVerifier, lockfile: string, entry: LockEntry, signed: SignedTarget): Promise<void> {
  const { name, version } = entry;
  const where = { packageName: name, version, role: signed.role };
  if (entry.source !== undefined) {
    const parsed = verifier.parseTarballUrl(entry.source);
    if (parsed === null) {
      throw new VerifyError('TUF_UNSAFE_SOURCE', `${lockfile}: ${name}@${version} resolves to ${entry.source.slice(0, 200)}, outside the registry ${verifier.registryUrl} that the TUF repository covers`, {
        ...where,
        attack: 'unverifiable source (a tarball URL outside the verified registry)',
        recovery: 'restore the lockfile from version control, or reinstall with tufpm-npm install',
      });
    }
    if (parsed.name !== name || parsed.version !== version) {
      throw new VerifyError('TUF_LOCK_RESOLVED', `${lockfile}: ${name}@${version} resolves to the tarball of ${parsed.name}@${parsed.version}`, {
        ...where,
        attack: 'wrong package (the lockfile points a package at another package\'s tarball)',
        recovery: 'restore the lockfile from version control, or reinstall with tufpm-npm install',
      });
    }
  }
  const digests = sha512Digests(entry.integrity ?? '');
  const signedDigest = Buffer.from(signed.sha512, 'hex').toString('base64');
  if (digests.length === 0 || digests.some((d) => d !== signedDigest)) {
    const found = entry.integrity === undefined ? 'no integrity' : `integrity ${entry.integrity.slice(0, 40)}...`;
    throw new VerifyError('TUF_LOCK_INTEGRITY', `${lockfile}: ${name}@${version} has ${found}, not (only) the sha512 signed by role ${signed.role}`, {
      ...where,
      attack: digests.length === 0
        ? 'unbound lockfile entry (no sha512: plain npm ci would accept any bytes the registry serves)'
        : 'tampered tarball or edited package-lock.json integrity (bytes other than the signed ones)',
      recovery: 'restore package-lock.json from version control, or run `tufpm-npm install` to rewrite it from the signed hashes',
    });
  }
  const fields = entry.fields ?? {};
  await verifier.checkDependencies(name, version, {
    dependencies: fields['dependencies'],
    optionalDependencies: fields['optionalDependencies'],
    peerDependencies: fields['peerDependencies'],
  });
  await verifier.checkManifestFields(name, version, {
    bin: field(fields, 'bin'),
    os: field(fields, 'os'),
    cpu: field(fields, 'cpu'),
    libc: field(fields, 'libc'),
    engines: field(fields, 'engines'),
    bundleDependencies: field(fields, 'bundleDependencies'),
    bundledDependencies: field(fields, 'bundledDependencies'),
    peerDependenciesMeta: field(fields, 'peerDependenciesMeta'),
    scripts: field(fields, 'scripts'),
    hasInstallScript: field(fields, 'hasInstallScript'),
  });
}
