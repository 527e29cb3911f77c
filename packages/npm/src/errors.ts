import { TufError } from '@tufpm/models';

/**
 * Errors raised by tufpm-npm itself. Verification failures found by @tufpm/verify and @tufpm/client keep
 * their own classes and codes; these cover what only the npm integration sees (reify, package-lock.json,
 * non-registry sources, usage).
 */

export type NpmUsageCode = 'TUF_NPM_USAGE' | 'TUF_NPM_UNSUPPORTED_OPTION' | 'TUF_NPM_SCOPED_REGISTRY' | 'TUF_NPM_ALLOW_SCRIPTS';

/**
 * Bad command line or config: exit code 2, nothing was touched. TUF_NPM_UNSUPPORTED_OPTION names an npm
 * option tufpm-npm refuses rather than ignore (docs/npm-cli.md); TUF_NPM_SCOPED_REGISTRY names a scope whose
 * registry has no TUF metadata this project trusts; TUF_NPM_ALLOW_SCRIPTS names a package.json allowScripts entry
 * npm 11 would ignore (allow-scripts.ts).
 */
export class NpmUsageError extends TufError {
  constructor(message: string, options?: { cause?: unknown; code?: NpmUsageCode }) {
    super(options?.code ?? 'TUF_NPM_USAGE', message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

export type NpmFailureCode =
  | 'TUF_TARBALL_MISMATCH'
  | 'TUF_UNSAFE_SOURCE'
  | 'TUF_LOCK_INTEGRITY'
  | 'TUF_LOCK_OUT_OF_SYNC'
  | 'TUF_NPM_REIFY'
  | 'TUF_NPM_EBADENGINE'
  | 'TUF_PACKUMENT_TOO_LARGE';

export interface NpmFailureDetails {
  packageName?: string;
  version?: string;
  role?: string;
  attack: string;
  recovery: string;
  cause?: unknown;
}

/**
 * A verification failure found by the npm integration. Same shape as @tufpm/verify's VerifyError
 * (packageName, version, role, attack, recovery) so that one report format serves both.
 */
export class NpmVerifyError extends TufError {
  readonly packageName?: string;
  readonly version?: string;
  readonly role?: string;
  readonly attack: string;
  readonly recovery: string;

  constructor(code: NpmFailureCode, message: string, details: NpmFailureDetails) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.packageName = details.packageName;
    this.version = details.version;
    this.role = details.role;
    this.attack = details.attack;
    this.recovery = details.recovery;
  }
}

/**
 * A TUF failure (expired, under threshold, version mismatch, ...) met while resolving one package: keeps
 * the original code and adds which package led to it, so the report names package and role.
 */
export class PackageContextError extends TufError {
  readonly packageName: string;
  readonly version: string;
  readonly role?: string;
  readonly attack?: string;
  readonly recovery?: string;

  constructor(error: TufError, packageName: string, version: string) {
    super(error.code, `${packageName}@${version}: ${error.message}`, { cause: error });
    const detail = error as TufError & { role?: string; attack?: string; recovery?: string };
    this.packageName = packageName;
    this.version = version;
    if (detail.role !== undefined) this.role = detail.role;
    if (detail.attack !== undefined) this.attack = detail.attack;
    if (detail.recovery !== undefined) this.recovery = detail.recovery;
  }
}
