// Runs one real child process (yarn, npm, tufpm-npm) and times it from spawn to exit (wall clock). When
// GNU time is installed (/usr/bin/time) the child's CPU time (user + system, all its threads and waited-for
// children) and its peak resident memory are recorded too: on a shared machine it moves much less with other load than wall time does.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** A benchmarked command failed: the bench run is invalid and `npm run bench` exits non-zero. */
export class BenchRunError extends Error {
  constructor(message, details) {
    super(message);
    this.name = 'BenchRunError';
    this.details = details;
  }
}

const GNU_TIME = '/usr/bin/time';
export const HAS_CPU_TIME = existsSync(GNU_TIME);
let seq = 0;

const tail = (text, lines = 30) => text.split('\n').slice(-lines).join('\n');

/**
 * Parses the `%U %S %M` line GNU time writes (seconds, seconds, KiB): CPU ms and peak resident memory (the
 * largest of the child and the descendants it waited for, not their sum); undefined when unusable.
 */
function parseTime(text) {
  const m = text.trim().split('\n').pop()?.match(/^(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+)$/);
  return m ? { cpuMs: (Number(m[1]) + Number(m[2])) * 1000, userMs: Number(m[1]) * 1000, sysMs: Number(m[2]) * 1000, maxRssMiB: Number(m[3]) / 1024 } : undefined;
}

export function timedRun(label, file, args, { cwd, env }) {
  // in the child's own TMPDIR (inside the bench's temp tree) when it has one, so an interrupted run leaves nothing
  const timeFile = join(env.TMPDIR ?? tmpdir(), `tufpm-bench-time-${process.pid}-${seq++}`);
  const [cmd, argv] = HAS_CPU_TIME ? [GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile(cmd, argv, { cwd, env, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const ms = performance.now() - t0;
      const finish = async () => {
        let cpuMs, userMs, sysMs;
        let maxRssMiB;
        if (HAS_CPU_TIME) {
          try {
            ({ cpuMs, userMs, sysMs, maxRssMiB } = parseTime(await readFile(timeFile, 'utf8')) ?? {});
          } catch (err) {
            if (err.code !== 'ENOENT') throw err;
          }
          await rm(timeFile, { force: true });
        }
        if (error) {
          const code = typeof error.code === 'number' ? error.code : String(error.code ?? error.signal ?? 'unknown');
          throw new BenchRunError(`${label} failed (exit ${code}) in ${cwd}\n--- stdout (tail) ---\n${tail(stdout)}\n--- stderr (tail) ---\n${tail(stderr)}`, { code, stdout, stderr });
        }
        return { ms, cpuMs, userMs, sysMs, maxRssMiB, stdout, stderr };
      };
      finish().then(resolve, reject);
    });
  });
}
