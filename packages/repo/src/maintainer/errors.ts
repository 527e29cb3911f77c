import { TufError } from '@tufpm/models';

/**
 * Errors of maintainer signing (the `tufpm` CLI) and of the registry's check of maintainer-signed
 * releases. Each has a stable code; the registry answers them with their message so the publisher
 * sees exactly why a release was refused.
 */

/** A maintainer-signed role that the delegation does not accept (bad or foreign signature, wrong role name). */
export class RoleRefusedError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_ROLE_REFUSED', message, options);
  }
}

/** The role's version is not the current version + 1 (stale or replayed role, or one that skips versions). */
export class RoleVersionError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_ROLE_VERSION', message, options);
  }
}

/** A target of the role lies outside the package's own path (`<name>/-/`). */
export class RolePathError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_ROLE_PATH', message, options);
  }
}

/** The role's targets do not match the release: the new target differs from the uploaded tarball, or old ones changed. */
export class RoleTargetError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_ROLE_TARGET', message, options);
  }
}

/**
 * Not a failure for the maintainer: the role carries fewer signatures than the threshold, so the registry
 * kept it (staged, invisible to installers) until co-signatures complete it. Thrown by the registry hook
 * so that nothing of the release is published yet.
 */
export class ReleaseStagedError extends TufError {
  constructor(message: string, readonly detail: { name: string; version: string; roleVersion: number; signatures: number; threshold: number }) {
    super('TUF_RELEASE_STAGED', message);
  }
}

/** A claimed package published without a maintainer-signed role (plain `npm publish`). */
export class SignatureRequiredError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_MAINTAINER_SIGNATURE_REQUIRED', message, options);
  }
}

/** Passphrase missing, empty, too short, or wrong for an encrypted key. */
export class PassphraseError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_PASSPHRASE', message, options);
  }
}

/** A claim request that is malformed or whose proof of key possession does not verify. */
export class ClaimError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_CLAIM', message, options);
  }
}

/** The registry answered an HTTP request of the `tufpm` CLI with an error. */
export class RegistryResponseError extends TufError {
  constructor(message: string, readonly status: number, readonly remoteCode: string | undefined) {
    super('TUF_REGISTRY_RESPONSE', message);
  }
}

/** .npmrc / command-line configuration problem (no registry, no token). */
export class MaintainerConfigError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_MAINTAINER_CONFIG', message, options);
  }
}
