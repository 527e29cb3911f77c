// Client-side error classes. Verification failures come from @tufpm/models (TUF_EXPIRED, TUF_ROLLBACK, ...);
// these cover what only a client can hit: the network, the local cache, search bounds and load order.
import { TufError } from '@tufpm/models';

/** A download failed for a network or HTTP reason (not a verification failure). */
export class DownloadError extends TufError {
  /** HTTP status when the server answered, undefined for network-level failures. */
  readonly status: number | undefined;
  /** true when a retry could succeed (network error, 5xx); never true for a verification failure */
  readonly retryable: boolean;
  readonly url: string;
  /** a 429 or 503 answer's Retry-After, in ms (seconds form only; absent or unparsable: undefined) */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { url: string; status?: number; retryable?: boolean; retryAfterMs?: number; cause?: unknown }) {
    super('TUF_DOWNLOAD', message, { cause: options.cause });
    this.name = 'DownloadError';
    this.url = options.url;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The server sent data too slowly (TUF slow retrieval attack) or not at all. */
export class SlowRetrievalError extends TufError {
  readonly url: string;
  constructor(message: string, url: string) {
    super('TUF_SLOW_RETRIEVAL', message);
    this.name = 'SlowRetrievalError';
    this.url = url;
  }
}

/** No trusted targets role lists the requested target path. */
export class TargetNotFoundError extends TufError {
  readonly targetPath: string;
  constructor(targetPath: string) {
    super('TUF_TARGET_NOT_FOUND', `target ${JSON.stringify(targetPath)} is not listed by any trusted targets role`);
    this.name = 'TargetNotFoundError';
    this.targetPath = targetPath;
  }
}

/** The delegation search visited its maximum number of roles without an answer. */
export class DelegationLimitError extends TufError {
  constructor(targetPath: string, limit: number) {
    super('TUF_DELEGATION_LIMIT', `delegation search for ${JSON.stringify(targetPath)} exceeded ${limit} roles visited`);
    this.name = 'DelegationLimitError';
  }
}

/** A TrustedMetadataSet method was called out of the order TUF 5.3-5.6 requires (a programming error). */
export class LoadOrderError extends TufError {
  constructor(message: string) {
    super('TUF_LOAD_ORDER', message);
    this.name = 'LoadOrderError';
  }
}

/** The local metadata or target cache could not be read or written (I/O, permissions). */
export class CacheError extends TufError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TUF_CACHE', message, options);
    this.name = 'CacheError';
  }
}

/** Bad Updater / CLI configuration. */
export class ConfigError extends TufError {
  constructor(message: string) {
    super('TUF_CONFIG', message);
    this.name = 'ConfigError';
  }
}

/**
 * Metadata larger than the configured bound for its role (endless data, or a repository that outgrew the
 * bound). Raised before the download when a signed length is already above it, else when the stream
 * passes it. Nothing is written to the cache.
 */
export class MetadataTooLargeError extends TufError {
  readonly role: string;
  readonly bound: number;
  /** the UpdaterConfig key that sets the bound */
  readonly setting: string;
  constructor(role: string, bound: number, setting: string, detail: string, options?: { cause?: unknown }) {
    super(
      'TUF_METADATA_TOO_LARGE',
      `${role} metadata ${detail}, above the bound of ${bound} bytes (config.${setting}); if the repository really is that large, raise config.${setting} (the bound stops endless data: raise it to what the repository needs, not more)`,
      options,
    );
    this.name = 'MetadataTooLargeError';
    this.role = role;
    this.bound = bound;
    this.setting = setting;
  }
}
