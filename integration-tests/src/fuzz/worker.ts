// One fuzz target in its own process (scripts/fuzz.mjs starts it with a heap limit and a watchdog, so an
// input that blows the heap or never returns shows up as a crashed or killed worker, not a stuck run).
// Usage: node worker.js <target> <seconds> <seed> [<corpus dir to add interesting inputs and defects to>]
// Prints one JSON line with the figures.
import { allTargets, fuzzTarget, saveToCorpus } from './run.js';

const [name, secondsArg, seedArg, corpusDir] = process.argv.slice(2);
const target = allTargets().find((t) => t.name === name);
if (target === undefined) {
  console.error(`fuzz worker: no target ${String(name)} (targets: ${allTargets().map((t) => t.name).join(', ')})`);
  process.exit(2);
}
const stats = await fuzzTarget(target, { seconds: Number(secondsArg), seed: Number(seedArg) });
let saved = 0;
if (corpusDir !== undefined && corpusDir !== '') {
  saved = saveToCorpus(corpusDir, target.name, [...stats.interesting.values(), ...stats.defects.map((d) => d.input)]);
}
process.stdout.write(
  JSON.stringify({
    target: stats.target,
    seconds: stats.seconds,
    inputs: stats.inputs,
    accepted: stats.accepted,
    refused: stats.refused,
    outcomes: stats.interesting.size,
    slowestMs: Math.round(stats.slowestMs),
    peakRssMb: stats.peakRssMb,
    savedToCorpus: saved,
    defects: stats.defects.map((d) => ({ error: d.error, stack: d.stack, seed: d.seed, path: d.path, input: Buffer.from(d.input).toString('base64') })),
  }) + '\n',
);
