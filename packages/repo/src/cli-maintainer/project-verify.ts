import type { Env } from './common.js';

// Resolved at run time: the project-side CI gate lives in its own small package (ADR 0015), which a
// maintainer's install of this CLI does not need; `tufpm verify` only hands over to it when it is there.
const CLI_PACKAGE = '@tufpm/cli';

type ProjectRun = (argv: string[], ctx: { cwd: string; stdout: (t: string) => void; stderr: (t: string) => void; stderrIsTTY: boolean }) => Promise<number>;
interface ProjectCli {
  runVerifyCli: ProjectRun;
  runDiffCli: ProjectRun;
}

export const usage = 'usage: tufpm verify [options]   the CI gate: every package of yarn.lock / package-lock.json against TUF and tufpm-lock.json (= tufpm-verify, package @tufpm/cli)';

/** `tufpm verify`: runs `tufpm-verify` (@tufpm/cli) with the same arguments; exit 2 when it is not installed. */
export function run(argv: string[], e: Env): Promise<number> {
  return handOver('verify', argv, e);
}

/** `tufpm <command>` for the project commands of @tufpm/cli (verify, diff: ADR 0015, ADR 0016). */
export async function handOver(command: 'verify' | 'diff', argv: string[], e: Env): Promise<number> {
  let cli: ProjectCli;
  try {
    cli = (await import(CLI_PACKAGE)) as ProjectCli;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(CLI_PACKAGE)) {
      e.io.err(`tufpm ${command} needs the package ${CLI_PACKAGE} (npm install --save-dev ${CLI_PACKAGE}, then npx tufpm-${command})\n`);
      return 2;
    }
    throw error;
  }
  return (command === 'verify' ? cli.runVerifyCli : cli.runDiffCli)(argv, { cwd: e.cwd, stdout: (t) => e.io.out(t), stderr: (t) => e.io.err(t), stderrIsTTY: e.io.errIsTTY });
}
