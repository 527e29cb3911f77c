import { TufError } from '@tufpm/models';

/**
 * Errors of the repository side. Each has a stable code so the CLI and the registry can report
 * `code: message` and callers can branch on it.
 */

/** A key file the operation needs does not exist (or holds no key for the role). */
export class KeyMissingError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_KEY_MISSING', message, options);
  }
}

/** A key was given for a role that does not list it. */
export class KeyMismatchError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_KEY_MISMATCH', message, options);
  }
}

/** An operation names a package that has no claimed role. */
export class UnknownPackageError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_UNKNOWN_PACKAGE', message, options);
  }
}

/** A package is already claimed (add-package twice, or an online publish of a claimed package). */
export class PackageClaimedError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_PACKAGE_CLAIMED', message, options);
  }
}

/** The tarball's own package.json names another package or version than the caller said. */
export class PackageMismatchError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_PACKAGE_MISMATCH', message, options);
  }
}

/** A tarball that is not a readable npm package (bad gzip/tar, no or duplicate package.json, too big). */
export class TarballError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_TARBALL', message, options);
  }
}

/** The same target path is already signed with different bytes (npm versions are immutable). */
export class TargetExistsError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_TARGET_EXISTS', message, options);
  }
}

/** Bad input to a repository operation (invalid name, threshold larger than the key count, ...). */
export class InvalidInputError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_INVALID_INPUT', message, options);
  }
}

/** The metadata directory is missing, incomplete or does not hold a tufpm repository. */
export class RepositoryStateError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_REPO_STATE', message, options);
  }
}
