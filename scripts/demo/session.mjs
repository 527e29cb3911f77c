// What the demo must undo whatever happens: child processes (Yarn, tufpm-npm, npm), the registry server,
// temp directories. Cleanup runs once, on success, on failure and on Ctrl-C / SIGTERM.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';

export class Session {
  constructor() {
    /** @type {Array<{ what: string, fn: () => Promise<void> }>} */
    this.cleanups = [];
    this.children = new Set();
    this.cleaning = undefined;
    this.interrupted = false;
  }

  /** Registers an undo step; they run in reverse order. */
  defer(what, fn) {
    this.cleanups.push({ what, fn });
  }

  /** Runs every undo step once; returns what was done and what failed (never throws). */
  cleanup() {
    this.cleaning ??= (async () => {
      // Children first, and wait for them: a dying npm may still be writing into a directory we remove.
      await Promise.all([...this.children].map((child) => stopChild(child)));
      const done = [];
      const failed = [];
      for (const { what, fn } of this.cleanups.reverse()) {
        try {
          await fn();
          done.push(what);
        } catch (error) {
          failed.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return { done, failed };
    })();
    return this.cleaning;
  }

  /** Ctrl-C or SIGTERM: stop the children, clean up, exit 130 / 143 as a shell expects. */
  onSignals(report) {
    const handler = (signal) => {
      if (this.interrupted) return;
      this.interrupted = true;
      process.stderr.write(`\ninterrupted (${signal}): stopping and cleaning up...\n`);
      void this.cleanup().then((result) => {
        report(result);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }

  /**
   * Runs `node <args>` in cwd with exactly `env` (nothing of the caller's npm_config_* / YARN_* leaks in),
   * collecting its output. Resolves with the exit code; never rejects for a non-zero exit.
   */
  node(args, cwd, env) {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const child = execFile(process.execPath, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        this.children.delete(child);
        if (error && typeof error.code === 'string') {
          reject(error); // could not start (ENOENT, EACCES): a demo failure, not an install result
          return;
        }
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      });
      this.children.add(child);
    });
  }
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Removes a directory tree; retries while something (an interrupted writer) is still adding files. */
export async function removeTree(dir) {
  for (let attempt = 0; ; attempt++) {
    try {
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      return;
    } catch (error) {
      if (error?.code !== 'ENOTEMPTY' || attempt >= 5) throw error;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** A failure of the demo itself (not a verification result): printed without a stack trace. */
export class DemoError extends Error {
  constructor(message, detail) {
    super(message);
    this.name = 'DemoError';
    this.detail = detail;
  }
}
