// kill -9 at random moments: runs a command, kills it (SIGKILL, the whole process group) after a random
// delay below the command's measured duration, checks what it left, runs it again to completion, checks
// again. The figures (runs, kills that landed mid-run, leftovers) go to docs/reliability.md.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';

/** A seeded [0, 1) generator (mulberry32): the same seed kills at the same delays, so a failure reproduces. */
function createPrng(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CrashCommand {
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface CrashLoopResult {
  runs: number;
  /** kills that landed while the command still ran (the others found it finished) */
  killedMidRun: number;
  /** uncrashed duration used to spread the kill delays, ms */
  durationMs: number;
  /** failures of the run after a kill (must be 0) */
  failedReruns: number;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function start(cmd: CrashCommand): { done: Promise<Exit>; kill: () => void } {
  const child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  child.stderr.on('data', (d: Buffer) => chunks.push(d));
  const done = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, output: Buffer.concat(chunks).toString('utf8') }));
  });
  return {
    done,
    kill: () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    },
  };
}

/** Runs the command to completion; throws with its output unless it exits 0. */
export async function runToCompletion(cmd: CrashCommand, what: string): Promise<number> {
  const started = Date.now();
  const exit = await start(cmd).done;
  if (exit.code !== 0) throw new Error(`${what} exited ${exit.code ?? exit.signal}\n${exit.output}`);
  return Date.now() - started;
}

export interface CrashLoopOptions {
  runs: number;
  seed: string;
  /** the command of run i (it may depend on the state the previous run left) */
  command: (i: number) => Promise<CrashCommand>;
  /** what must hold right after a kill (every file old or new, a client sees a consistent state) */
  afterKill: (i: number) => Promise<void>;
  /** what must hold after the rerun completed */
  afterRerun?: (i: number) => Promise<void>;
  /** prepares run i (e.g. removes node_modules so the install has work to do) */
  before?: (i: number) => Promise<void>;
}

export async function crashLoop(opts: CrashLoopOptions): Promise<CrashLoopResult> {
  const random = createPrng(opts.seed);
  await opts.before?.(-1);
  const durationMs = await runToCompletion(await opts.command(-1), 'the uncrashed run');
  let killedMidRun = 0;
  let failedReruns = 0;
  for (let i = 0; i < opts.runs; i++) {
    await opts.before?.(i);
    const run = start(await opts.command(i));
    const delay = Math.floor(random() * durationMs * 1.1);
    const timer = setTimeout(run.kill, delay);
    const exit = await run.done;
    clearTimeout(timer);
    if (exit.signal === 'SIGKILL') killedMidRun++;
    else if (exit.code !== 0) throw new Error(`run ${i} failed before the kill (delay ${delay} ms)\n${exit.output}`);
    await opts.afterKill(i);
    await opts.before?.(i);
    try {
      await runToCompletion(await opts.command(i), `the run after kill ${i} (delay ${delay} ms)`);
    } catch (error) {
      failedReruns++;
      throw error;
    }
    await opts.afterRerun?.(i);
  }
  return { runs: opts.runs, killedMidRun, durationMs, failedReruns };
}

/** Runs per crash loop: TUFPM_CRASH_RUNS, else 50 under TUFPM_STRESS=1, else `ci` (what fits the suite budget). */
export function crashRuns(ci: number): number {
  const set = process.env.TUFPM_CRASH_RUNS;
  if (set !== undefined && /^[1-9][0-9]{0,4}$/.test(set)) return Number(set);
  return process.env.TUFPM_STRESS === '1' ? 50 : ci;
}
