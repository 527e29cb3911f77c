// Runs one fuzz target for a time budget with fast-check (seeded, so a run is repeatable from its seed):
// every input must be accepted or refused with a TufError, within SLOW_MS; a defect is shrunk by fast-check,
// recorded with its seed and counterexample, and fuzzing goes on with the next seed, skipping that defect.
// Inputs whose outcome (accepted, or a refusal's code and message shape) is new are kept as "interesting"
// for the committed corpus, which the test replays.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { TufError } from '@tufpm/models';
import { PropertyViolation, type FuzzTarget } from './target.js';
import { tufTargets } from './targets-tuf.js';
import { npmTargets } from './targets-npm.js';
import { manifestTargets } from './targets-manifest.js';

/** One input taking longer than this is a defect (a hang in the making); the machine is shared, hence generous. */
export const SLOW_MS = 5_000;
const MAX_INTERESTING = 25;
const MAX_SAVED_BYTES = 16 * 1024;

export function allTargets(): FuzzTarget[] {
  return [...tufTargets(), ...npmTargets(), ...manifestTargets()];
}

export interface Defect {
  error: string;
  /** where it was thrown (the first frames) */
  stack: string;
  seed: number;
  /** fast-check's replay path for `seed` */
  path: string | undefined;
  input: Uint8Array;
}

export interface TargetStats {
  target: string;
  seconds: number;
  inputs: number;
  accepted: number;
  refused: number;
  defects: Defect[];
  slowestMs: number;
  peakRssMb: number;
  interesting: Map<string, Uint8Array>;
}

/** 'accepted', or the code of the typed refusal; anything untyped propagates. */
export async function runOne(target: FuzzTarget, input: Uint8Array): Promise<string> {
  try {
    await target.check(input);
    return 'accepted';
  } catch (error) {
    if (error instanceof TufError) return `${error.code}: ${shape(error.message)}`;
    throw error;
  }
}

/** A message with its numbers and quoted parts blanked: one "kind" of refusal or defect. */
function shape(message: string): string {
  return message.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\d+/g, 'N').slice(0, 60);
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.slice(0, 300)}`;
  return `thrown non-error ${String(error).slice(0, 100)}`;
}

export interface FuzzOptions {
  seconds: number;
  seed: number;
}

export async function fuzzTarget(target: FuzzTarget, options: FuzzOptions): Promise<TargetStats> {
  const stats: TargetStats = { target: target.name, seconds: options.seconds, inputs: 0, accepted: 0, refused: 0, defects: [], slowestMs: 0, peakRssMb: 0, interesting: new Map() };
  const known = new Set<string>();
  const arbitrary = target.inputs();
  const deadline = Date.now() + options.seconds * 1000;
  for (let seed = options.seed; Date.now() < deadline; seed++) {
    const property = fc.asyncProperty(arbitrary, async (input) => {
      stats.inputs++;
      const started = performance.now();
      let outcome: string;
      try {
        outcome = await runOne(target, input);
      } catch (error) {
        if (known.has(shape(describe(error)))) return; // already recorded: look for others
        throw error;
      }
      const ms = performance.now() - started;
      if (ms > stats.slowestMs) stats.slowestMs = ms;
      if (ms > SLOW_MS) throw new PropertyViolation(`slow input: ${ms.toFixed(0)} ms for ${input.length} bytes`);
      if (outcome === 'accepted') stats.accepted++;
      else stats.refused++;
      if (!stats.interesting.has(outcome) && stats.interesting.size < MAX_INTERESTING && input.length <= MAX_SAVED_BYTES) stats.interesting.set(outcome, input);
      if ((stats.inputs & 255) === 0) stats.peakRssMb = Math.max(stats.peakRssMb, Math.round(process.memoryUsage.rss() / 2 ** 20));
    });
    const details = await fc.check(property, {
      seed,
      numRuns: 2 ** 31 - 1,
      interruptAfterTimeLimit: Math.max(1, deadline - Date.now()),
      markInterruptAsFailure: false,
      timeout: 4 * SLOW_MS,
    });
    if (!details.failed) break; // the budget ran out with no (new) defect
    const error = describe(details.errorInstance);
    known.add(shape(error));
    const stack = details.errorInstance instanceof Error ? (details.errorInstance.stack ?? '').split('\n').slice(1, 9).join('\n') : '';
    stats.defects.push({ error, stack, seed, path: details.counterexamplePath ?? undefined, input: (details.counterexample?.[0] as Uint8Array | undefined) ?? new Uint8Array() });
  }
  stats.peakRssMb = Math.max(stats.peakRssMb, Math.round(process.memoryUsage.rss() / 2 ** 20));
  return stats;
}

export function corpusFiles(corpusDir: string, target: string): { name: string; bytes: Uint8Array }[] {
  const dir = join(corpusDir, target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) }));
}

/** Writes inputs under <corpus>/<target>/<sha256 prefix>.bin; returns how many were new. */
export function saveToCorpus(corpusDir: string, target: string, inputs: Iterable<Uint8Array>): number {
  const dir = join(corpusDir, target);
  mkdirSync(dir, { recursive: true });
  let added = 0;
  for (const input of inputs) {
    const file = join(dir, `${createHash('sha256').update(input).digest('hex').slice(0, 16)}.bin`);
    if (existsSync(file)) continue;
    writeFileSync(file, input);
    added++;
  }
  return added;
}
