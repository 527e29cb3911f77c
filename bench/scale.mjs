#!/usr/bin/env node
// `npm run bench:scale` (also run by `npm run bench`): what the snapshot costs at registry scale, classic
// snapshot vs the Merkle profile (issue 21, ADR 0021), on synthetic registries of M = 10k, 100k and 1M
// packages (bench/scale/generate.mjs: one role per package, about 10 versions per package, long tail).
// Each M runs in its own process (peak RSS is its own). Writes bench/results/scale.json and scale.md.
//
// Environment:
//   SCALE_SIZES=10000,100000,1000000   registry sizes
//   SCALE_INSTALL=1000                 packages one install verifies (N)
//   SCALE_PUBLISHES=60                 publishes timed per M, on the tree alone and through @tufpm/repo (each its own epoch)
//   BENCH_QUICK=1                      fewer publishes and rounds (same sizes)
//   BENCH_OUT=dir                      where to write (default bench/results)
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderScaleMarkdown } from './scale/report.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);
const progress = (m) => process.stderr.write(`[bench:scale +${(process.uptime()).toFixed(1)}s] ${m}\n`);

if (process.argv[2] === '--one') {
  const { measureScale } = await import('./scale/measure.mjs');
  const result = await measureScale(JSON.parse(process.argv[3]), progress);
  process.stdout.write(JSON.stringify(result));
} else {
  const quick = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
  const sizes = (process.env.SCALE_SIZES ?? '10000,100000,1000000').split(',').map(Number);
  const install = Number(process.env.SCALE_INSTALL ?? 1000);
  const publishes = Number(process.env.SCALE_PUBLISHES ?? (quick ? 20 : 60));
  const rounds = quick ? 2 : 5;
  const out = process.env.BENCH_OUT ?? join(HERE, 'results');
  const started = Date.now();
  const rows = [];
  for (const m of sizes) {
    progress(`M = ${m}: starting`);
    const t0 = Date.now();
    const res = spawnSync(process.execPath, ['--max-old-space-size=12288', self, '--one', JSON.stringify({ packages: m, install, publishes, rounds })], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024,
    });
    if (res.status !== 0) throw new Error(`bench:scale M=${m} failed (exit ${res.status})`);
    const row = JSON.parse(res.stdout);
    row.wallSeconds = Math.round((Date.now() - t0) / 100) / 10;
    rows.push(row);
    progress(`M = ${m}: done in ${row.wallSeconds} s wall, ${row.cpuSeconds} s CPU`);
  }
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '?', memoryGB: Math.round(os.totalmem() / 2 ** 30), loadavg: os.loadavg().map((l) => Math.round(l * 10) / 10), node: process.version },
    install, publishes, rounds, totalSeconds: Math.round((Date.now() - started) / 100) / 10, rows,
  };
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'scale.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(out, 'scale.md'), renderScaleMarkdown(report));
  process.stdout.write(renderScaleMarkdown(report));
  progress(`wrote ${join(out, 'scale.json')} and scale.md`);
}
