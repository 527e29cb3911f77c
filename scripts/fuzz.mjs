#!/usr/bin/env node
// npm run fuzz: the fast-check fuzzers of integration-tests/src/fuzz (issue 19), one target at a time, each in
// its own process with a heap limit (bounded memory: an input that blows it crashes the worker, reported as a
// defect) and a watchdog (no hang: a worker silent past its budget plus a minute is killed, reported too).
// Usage: npm run fuzz -- [--seconds N | TUFPM_FUZZ_SECONDS=N] (total budget, split evenly; default 60)
//                        [--target substring] [--seed N] [--save-corpus] [--json]
// --save-corpus adds each target's interesting inputs and defects to integration-tests/fuzz-corpus/<target>/.
// Exit status 1 when any defect was found.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const total = Number(option('--seconds') ?? process.env.TUFPM_FUZZ_SECONDS ?? 60);
const seed = Number(option('--seed') ?? process.env.TUFPM_FUZZ_SEED ?? Date.now() % 2 ** 31);
const filter = option('--target');
const json = args.includes('--json');
const corpus = args.includes('--save-corpus') ? join(root, 'integration-tests', 'fuzz-corpus') : '';
const worker = join(root, 'integration-tests', 'dist', 'src', 'fuzz', 'worker.js');
const HEAP_MB = 1024;

const { allTargets } = await import(join(root, 'integration-tests', 'dist', 'src', 'fuzz', 'run.js'));
const targets = allTargets().map((t) => t.name).filter((n) => filter === undefined || n.includes(filter));
if (!Number.isFinite(total) || total <= 0 || targets.length === 0) {
  console.error(`fuzz: nothing to run (seconds ${total}, targets ${targets.join(', ') || 'none'})`);
  process.exit(2);
}
const each = total / targets.length;

function runWorker(target) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, worker, target, String(each), String(seed), corpus], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const watchdog = setTimeout(() => child.kill('SIGKILL'), (each + 60) * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      const line = out.trim().split('\n').pop();
      if (code === 0 && line) return resolve(JSON.parse(line));
      resolve({ target, seconds: each, inputs: 0, defects: [{ error: `worker ${signal ? `killed by ${signal} (hang or watchdog)` : `exited ${code}`}: ${err.slice(-600)}`, seed }] });
    });
  });
}

const results = [];
for (const target of targets) {
  process.stderr.write(`fuzz: ${target} for ${each.toFixed(1)} s (seed ${seed}) ... `);
  const r = await runWorker(target);
  process.stderr.write(`${r.inputs} inputs, ${r.defects.length} defects\n`);
  results.push(r);
}
const defects = results.reduce((n, r) => n + r.defects.length, 0);
const inputs = results.reduce((n, r) => n + r.inputs, 0);
if (json) console.log(JSON.stringify({ seed, seconds: total, inputs, defects, results }, null, 2));
else {
  for (const r of results) {
    console.log(`${r.target.padEnd(22)} ${String(r.inputs).padStart(9)} inputs  ${String(r.accepted ?? 0).padStart(7)} accepted  slowest ${r.slowestMs ?? '-'} ms  peak RSS ${r.peakRssMb ?? '-'} MB  ${r.defects.length} defects`);
    for (const d of r.defects) console.log(`  DEFECT (seed ${d.seed}, path ${d.path}): ${d.error}\n    input (base64): ${String(d.input ?? '').slice(0, 400)}`);
  }
  console.log(`fuzz: ${inputs} inputs over ${targets.length} targets in ${total} s (seed ${seed}): ${defects} defects`);
}
process.exit(defects > 0 ? 1 : 0);
