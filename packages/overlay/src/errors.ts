import { TufError } from '@tufpm/models';

/** Codes of the overlay tooling (docs/errors.md). */
export type OverlayErrorCode =
  | 'TUF_OVERLAY_STATE'
  | 'TUF_APPROVAL_STAGED'
  | 'TUF_APPROVAL_INTEGRITY'
  | 'TUF_UPSTREAM'
  | 'TUF_LOCKFILE_FORMAT'
  | 'TUF_NOT_APPROVED';

/** A refusal of `tufpm-overlay`: nothing was signed or written. */
export class OverlayError extends TufError {
  constructor(code: OverlayErrorCode, message: string, opts?: { cause?: unknown }) {
    super(code, message, opts);
    this.name = 'OverlayError';
  }
}
