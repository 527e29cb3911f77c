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
