// Runs one real child process (yarn, npm, tufpm-npm) and times it from spawn to exit (wall clock).
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** A benchmarked command failed: the bench run is invalid and `npm run bench` exits non-zero. */
export class BenchRunError extends Error {
  constructor(message, details) {
    super(message);
    this.name = 'BenchRunError';
    this.details = details;
  }
}

const tail = (text, lines = 30) => text.split('\n').slice(-lines).join('\n');

export function timedRun(label, file, args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile(file, args, { cwd, env, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const ms = performance.now() - t0;
      if (error) {
        const code = typeof error.code === 'number' ? error.code : String(error.code ?? error.signal ?? 'unknown');
        reject(new BenchRunError(`${label} failed (exit ${code}) in ${cwd}\n--- stdout (tail) ---\n${tail(stdout)}\n--- stderr (tail) ---\n${tail(stderr)}`, { code, stdout, stderr }));
        return;
      }
      resolve({ ms, stdout, stderr });
    });
  });
}
