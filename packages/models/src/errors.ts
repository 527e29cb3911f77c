/**
 * The one error hierarchy of tufpm. Every error thrown on purpose is a TufError with a stable `code`,
 * so callers branch on `err.code` (or `instanceof`) and rethrow what they did not expect.
 * Other packages subclass TufError with their own codes.
 */
export class TufError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    // Subclasses get their own name in stack traces without repeating it in every constructor.
    this.name = new.target.name;
  }
}

/** Malformed JSON, wrong field type, version < 1, threshold < 1, duplicate keyid, bad `expires`, ... */
export class MetadataParseError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_PARSE', message, options);
  }
}

/** The signature threshold of a role was not reached by distinct keys. */
export class UnsignedMetadataError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_THRESHOLD', message, options);
  }
}

/** Metadata whose `expires` is not later than the reference time (freeze attack). */
export class ExpiredMetadataError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_EXPIRED', message, options);
  }
}

/** A version lower than the trusted one (rollback attack). */
export class RollbackError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_ROLLBACK', message, options);
  }
}

/** A version that differs from the one expected (root N+1, the version listed in snapshot/timestamp). */
export class VersionMismatchError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_VERSION_MISMATCH', message, options);
  }
}

/** Data longer than allowed (endless data) or of the wrong length. */
export class LengthMismatchError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_LENGTH', message, options);
  }
}

/** Data whose digest differs from the signed one. */
export class HashMismatchError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_HASH', message, options);
  }
}

/** A hash algorithm other than sha256/sha512, or a key type/scheme we cannot verify. */
export class UnsupportedAlgorithmError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_UNSUPPORTED_ALGORITHM', message, options);
  }
}

/** Any other repository-side inconsistency (unknown delegation, wrong role type, ...). */
export class RepositoryError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_REPOSITORY', message, options);
  }
}
