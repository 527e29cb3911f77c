// Small measuring helpers shared by the micro and macro benchmarks. Nothing here asserts: the bench
// reports numbers, it never fails on them.
import { performance } from 'node:perf_hooks';

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values) {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summarize(values) {
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    runs: values.length,
    values,
  };
}

/** Milliseconds taken by fn (sync or async). */
export async function timeMs(fn) {
  const t0 = performance.now();
  const result = await fn();
  return { ms: performance.now() - t0, result };
}

export function timeSyncMs(fn) {
  const t0 = performance.now();
  const result = fn();
  return { ms: performance.now() - t0, result };
}

/** Progress on stderr, stamped with the seconds since the bench started. */
const START = performance.now();
export function progress(message) {
  process.stderr.write(`[bench +${((performance.now() - START) / 1000).toFixed(1)}s] ${message}\n`);
}

export function round(x, digits = 2) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** CPU-time medians of both sides ({ plain: [...], tufpm: [...] }), or undefined when not measured. */
export function cpuSummary(bySide) {
  if (bySide.plain.length === 0 || bySide.tufpm.length === 0) return undefined;
  return { plain: summarize(bySide.plain), tufpm: summarize(bySide.tufpm) };
}

/** Wall and CPU milliseconds (user + system of this whole process) of a synchronous fn. */
export function timeSyncCpu(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, result };
}

/** Timed runs per side for a macro scenario: a warm install is short and moves by tens of ms, so twice as many. */
export function runsFor(kind, runs) {
  return kind === 'warm' ? runs * 2 : runs;
}
