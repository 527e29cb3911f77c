import { TufError } from '@tufpm/models';
import { describeFailure } from '@tufpm/verify';

/** What a failure report says, for stderr and for `--json`. */
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

/** Any TufError (VerifyError, NpmVerifyError, client errors such as TUF_EXPIRED) as a report. */
export function toReport(error: TufError): FailureReport {
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

export function formatReport(report: FailureReport): string {
  const lines = [`tufpm-npm ERR! ${report.code}: ${report.message}`];
  if (report.package) lines.push(`tufpm-npm ERR!   package: ${report.package}${report.version ? `@${report.version}` : ''}`);
  if (report.role) lines.push(`tufpm-npm ERR!   role:    ${report.role}`);
  lines.push(`tufpm-npm ERR!   attack:  ${report.attack}`);
  lines.push(`tufpm-npm ERR!   recover: ${report.recovery}`);
  return lines.join('\n');
}

/** Where the CLI writes: stderr for humans, stdout for the --json result. Injectable for tests. */
export interface Output {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stderrIsTTY: boolean;
}

export const processOutput: Output = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
};
