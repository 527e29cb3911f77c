import type { Env } from './common.js';
import { handOver } from './project-verify.js';

export const usage = 'usage: tufpm diff [BASE_REF] [options]   what a change of tufpm-lock.json does, for review (= tufpm-diff, package @tufpm/cli)';

/** `tufpm diff`: runs `tufpm-diff` (@tufpm/cli) with the same arguments; exit 2 when it is not installed. */
export function run(argv: string[], e: Env): Promise<number> {
  return handOver('diff', argv, e);
}
