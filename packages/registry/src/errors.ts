import { TufError } from '@tufpm/models';

/** Stable codes of the refusals the registry sends back to npm/Yarn (and throws from its helpers). */
export type RegistryErrorCode =
  | 'REGISTRY_BAD_REQUEST'
  | 'REGISTRY_INVALID_NAME'
  | 'REGISTRY_INVALID_VERSION'
  | 'REGISTRY_UNAUTHORIZED'
  | 'REGISTRY_FORBIDDEN'
  | 'REGISTRY_NOT_FOUND'
  | 'REGISTRY_METHOD_NOT_ALLOWED'
  | 'REGISTRY_CONFLICT'
  | 'REGISTRY_TOO_LARGE'
  | 'REGISTRY_BAD_TARBALL'
  | 'REGISTRY_TARBALL_ENTRY'
  | 'REGISTRY_TARBALL_MISMATCH';

const STATUS: Record<RegistryErrorCode, number> = {
  REGISTRY_BAD_REQUEST: 400,
  REGISTRY_INVALID_NAME: 400,
  REGISTRY_INVALID_VERSION: 400,
  REGISTRY_UNAUTHORIZED: 401,
  REGISTRY_FORBIDDEN: 403,
  REGISTRY_NOT_FOUND: 404,
  REGISTRY_METHOD_NOT_ALLOWED: 405,
  REGISTRY_CONFLICT: 409,
  REGISTRY_TOO_LARGE: 413,
  REGISTRY_BAD_TARBALL: 400,
  REGISTRY_TARBALL_ENTRY: 400,
  REGISTRY_TARBALL_MISMATCH: 400,
};

/**
 * A refusal with the HTTP status it maps to. Publish hooks may throw it to choose the status; any other
 * TufError from a hook is answered 403 with its message.
 */
export class RegistryError extends TufError {
  readonly status: number;

  constructor(code: RegistryErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options);
    this.status = options?.status ?? STATUS[code];
  }
}
