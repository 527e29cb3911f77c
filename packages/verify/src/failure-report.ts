import type { TufError } from '@tufpm/models';
import { describeFailure } from './errors.js';

/** What a failure report says, for a CLI's stderr and its `--json` (tufpm-npm, tufpm-verify). */
export interface FailureReport {
  code: string;
  message: string;
  package?: string;
  version?: string;
  role?: string;
  attack: string;
  recovery: string;
}

interface Detailed {
  packageName?: string;
  version?: string;
  role?: string;
  attack?: string;
  recovery?: string;
}

/** Any TufError (VerifyError, an installer's own, client errors such as TUF_EXPIRED) as a report. */
export function failureReport(error: TufError): FailureReport {
  const detail = error as TufError & Detailed;
  const fallback = describeFailure(error.code);
  return {
    code: error.code,
    message: error.message,
    ...(detail.packageName ? { package: detail.packageName } : {}),
    ...(detail.version ? { version: detail.version } : {}),
    ...(detail.role ? { role: detail.role } : {}),
    attack: detail.attack ?? fallback.attack,
    recovery: detail.recovery ?? fallback.recovery,
  };
}

/** The report as lines for a human, each starting with `<tool> ERR!` (no trailing newline). */
export function formatFailureReport(report: FailureReport, tool: string): string {
  const lines = [`${tool} ERR! ${report.code}: ${report.message}`];
  if (report.package) lines.push(`${tool} ERR!   package: ${report.package}${report.version ? `@${report.version}` : ''}`);
  if (report.role) lines.push(`${tool} ERR!   role:    ${report.role}`);
  lines.push(`${tool} ERR!   attack:  ${report.attack}`);
  lines.push(`${tool} ERR!   recover: ${report.recovery}`);
  return lines.join('\n');
}
