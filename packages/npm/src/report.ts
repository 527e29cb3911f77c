import { failureReport, formatFailureReport, type FailureReport } from '@tufpm/verify';

export type { FailureReport };

/** Any TufError (VerifyError, NpmVerifyError, client errors such as TUF_EXPIRED) as a report. */
export const toReport = failureReport;

export function formatReport(report: FailureReport): string {
  return formatFailureReport(report, 'tufpm-npm');
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
