import { MessageName, ReportError } from '@yarnpkg/core';
import { TufError } from '@tufpm/models';
import { VerifyError, describeFailure } from '@tufpm/verify';

/**
 * One line a user can act on: the stable TUF code first (what tests and scripts match on), then the
 * package, the role that signed it, the attack the check stopped, and how to recover.
 */
export function describeTufError(error: TufError, subject?: string): string {
  const parts: string[] = [error.code];
  const named = error instanceof VerifyError && error.packageName !== undefined;
  if (!named && subject !== undefined) parts.push(`package ${subject}`);
  if (error instanceof VerifyError) {
    if (error.packageName !== undefined) parts.push(`package ${error.packageName}${error.version === undefined ? '' : `@${error.version}`}`);
    if (error.role !== undefined) parts.push(`role ${error.role}`);
    parts.push(`attack: ${error.attack}`);
    return `${parts.join(' | ')} | ${error.message} | ${error.recovery}`;
  }
  const { attack, recovery } = describeFailure(error.code);
  parts.push(`attack: ${attack}`);
  return `${parts.join(' | ')} | ${error.message} | ${recovery}`;
}

/**
 * Yarn prints a ReportError as a coded message (`YN0000: <text>`) and stops the step; any other error
 * would be printed as an internal crash with a stack trace. Errors that are not TUF errors are rethrown
 * untouched: they are bugs or I/O failures, not verification results.
 */
export function toReportError(error: unknown): unknown {
  if (error instanceof ReportError) return error;
  if (error instanceof TufError) return new ReportError(MessageName.UNNAMED, describeTufError(error));
  return error;
}

/** got's errors for a request that never produced a whole answer (Yarn prints them with a stack trace). */
const NETWORK_ERRORS = new Set(['RequestError', 'ReadError', 'MaxRedirectsError', 'TimeoutError', 'CacheError', 'UploadError']);

/**
 * A network fault on a registry request (reset, body cut short, redirect loop, timeout) as one coded line
 * that says no attack was detected, instead of Yarn's generic YN0001 with a stack trace. HTTP statuses
 * (got's HTTPError) stay Yarn's own coded YN0035 report; anything else is rethrown untouched.
 */
export function asNetworkFault(error: unknown, subject: string): unknown {
  if (!(error instanceof Error) || !NETWORK_ERRORS.has(error.name)) return error;
  return new ReportError(
    MessageName.UNNAMED,
    `TUF_REGISTRY_UNREACHABLE | ${subject} | attack: none detected (the registry or the network failed: ${error.name}) | ${error.message} | nothing was installed; retry later, and check the registry URL, the network and any proxy`,
  );
}
