// Reads the times Yarn prints for report sections (`┌ <name>` ... `└ Completed in 0s 269ms`) out of an
// install's stdout. The tufpm plugin reports its own sections ("TUF verification of the resolved tree",
// "TUF binding of Yarn checksums"); Yarn prints no time for a section it considers quick (shown as
// "Completed" alone), which this returns as null.
const TIME_PART = /(\d+)(ms|m|s|h)/g;
const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

export function parseDuration(text) {
  let total = 0;
  let found = false;
  for (const m of text.matchAll(TIME_PART)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    found = true;
  }
  return found ? total : null;
}

/** [{ name, ms | null }] for every section of the output, in order of completion. */
export function yarnSections(stdout) {
  const stack = [];
  const out = [];
  for (const line of stdout.split('\n')) {
    const open = line.match(/┌ (.+)$/);
    if (open) {
      stack.push(open[1].trim());
      continue;
    }
    const close = line.match(/└ Completed(?: in (.+))?$/);
    if (close && stack.length > 0) out.push({ name: stack.pop(), ms: close[1] === undefined ? null : parseDuration(close[1]) });
  }
  return out;
}

/** Sum of the plugin's TUF sections; `untimed` counts sections Yarn printed without a time. */
export function tufSectionTime(stdout) {
  const tuf = yarnSections(stdout).filter((s) => s.name.startsWith('TUF'));
  return { ms: tuf.reduce((sum, s) => sum + (s.ms ?? 0), 0), sections: tuf.length, untimed: tuf.filter((s) => s.ms === null).length };
}

/** Yarn's own total ("Done in 1s 456ms"), in ms, or null. */
export function yarnDoneMs(stdout) {
  const m = stdout.match(/Done(?: with warnings)? in (.+)$/m);
  return m ? parseDuration(m[1]) : null;
}

/** Times of the top-level install steps plus Yarn's total: { 'Resolution step': ms|null, ..., total: ms|null }. */
export function yarnSteps(stdout) {
  const out = {};
  for (const s of yarnSections(stdout)) if (/ step$/.test(s.name)) out[s.name] = s.ms;
  out.total = yarnDoneMs(stdout);
  return out;
}
