// A package version's signed target, as InstallVerifier.resolve reads it: looked up through its delegated
// role in the verified session, refused when nobody signed it or it carries no sha512, and the facts its
// per-package checks read; then downloaded bytes checked against it (InstallVerifier.verifyTarball).
import { createHash } from 'node:crypto';
import { TufError } from '@tufpm/models';
import { VerifyError, describeFailure } from './errors.js';
import { sha512HexToIntegrity } from './sri.js';
import { targetPathFor } from './target-path.js';
import { notApprovedError } from './overlay.js';
import { equalHex } from './pin-checks.js';
import { checkTarballEntries } from './tarball-entries.js';
import { parseSignedDependencies } from './signed-dependencies.js';
import { parseManifestFields } from './manifest-fields.js';
import type { FoundTarget, TufSession } from './tuf-session.js';
import type { SignedTarget } from './types.js';

export interface LookedUpTarget {
  signed: SignedTarget;
  /** the keys of the role that signed it */
  keys: FoundTarget['keys'];
  /** everything of the target its per-package checks read, as one string (ADR 0023) */
  facts: string;
  /** why its signed `custom.npm` dependencies do not parse (reported only by checkDependencies) */
  malformedDependencies?: string;
  /** why its signed manifest fields do not parse (reported only by checkManifestFields) */
  malformedFields?: string;
}

/** The signed target of name@version through its delegated role; not yet checked against any pin. */
export async function lookUpSignedTarget(tuf: TufSession, name: string, version: string): Promise<LookedUpTarget> {
  const targetPath = targetPathFor(name, version);
  let found: FoundTarget | undefined;
  try {
    found = await tuf.findTarget(targetPath);
  } catch (error) {
    // Name the package whose lookup met the failure; the client's code (TUF_THRESHOLD, ...) is kept.
    if (!(error instanceof TufError) || error instanceof VerifyError) throw error;
    const { attack, recovery } = describeFailure(error.code);
    throw new VerifyError(error.code, `${name}@${version}: ${error.message}`, { packageName: name, version, attack, recovery, cause: error });
  }
  if (!found) {
    // TUF 1.5.2 (arbitrary installation), ADR 0017: in an overlay repository a target nobody signed is a
    // version the reviewers never approved.
    if (tuf.state().overlay) throw notApprovedError(name, version);
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
  const parsedFields = parseManifestFields(target.custom);
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
  return {
    signed,
    keys,
    // Everything of the target that checkDependencies / checkManifestFields and the installers' edge checks
    // read, parse results included (ADR 0023): another signed byte here is another check record.
    facts: JSON.stringify([name, version, targetPath, role, target.length, sha512, parsedDependencies, parsedFields]),
    ...(parsedDependencies.kind === 'malformed' ? { malformedDependencies: parsedDependencies.reason } : {}),
    ...(parsedFields.kind === 'malformed' ? { malformedFields: parsedFields.reason } : {}),
  };
}

/** Checks downloaded tarball bytes against their signed target before anything uses them. */
export async function checkTarballBytes(signed: SignedTarget, bytes: Uint8Array): Promise<void> {
  const { name, version } = signed;
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
}
