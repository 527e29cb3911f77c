// Entry of the real-tree and network parts (bench/run.mjs calls runRealTreeParts when BENCH_ONLY or
// `--part` names them, and in a complete run). One registry and one set of projects serve both parts;
// each part writes its own results: bench/results/real-tree.{json,md} (loopback) and network.{json,md}
// (20 ms and 80 ms round trip with a bandwidth cap), or *-quick / *-custom for quick or customised runs.
//   BENCH_REAL_RUNS=n     rounds per side, cold and warm alike (default 3; quick 1)
//   BENCH_REAL_CLIENTS=a,b  yarn-node-modules, yarn-pnp, npm (default all three)
//   BENCH_NET_RTT=20,80   round trips (ms) of the network part
//   BENCH_NET_MBIT=n      the bandwidth cap of the network part, Mbit/s shared by all requests (default 100)
//   BENCH_CPU_PROF_DIR=d  npm and tufpm-npm runs write a --cpu-prof profile of their main thread into d
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { progress, round } from '../lib/stats.mjs';
import { CLIENTS, runRealTreeInstalls } from './installs.mjs';
import { renderRealTree } from './report.mjs';
import { createRealTreeWorld } from './world.mjs';

function listEnv(name, fallback, parse = (s) => s) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  return raw.split(',').map((s) => parse(s.trim()));
}

function positive(name, s) {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must hold positive numbers, got ${JSON.stringify(s)}`);
  return n;
}

export function realTreeConfig({ quick }) {
  const runs = Number(process.env.BENCH_REAL_RUNS || (quick ? 1 : 3));
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error('BENCH_REAL_RUNS must be a positive integer');
  const clients = listEnv('BENCH_REAL_CLIENTS', CLIENTS);
  for (const c of clients) if (!CLIENTS.includes(c)) throw new Error(`BENCH_REAL_CLIENTS: unknown client ${c} (${CLIENTS.join(', ')})`);
  const mbit = positive('BENCH_NET_MBIT', process.env.BENCH_NET_MBIT || '100');
  const rtts = listEnv('BENCH_NET_RTT', [20, 80], (s) => positive('BENCH_NET_RTT', s));
  // the number of rounds is in the results; a different tree, client set or network is another benchmark
  const custom = ['BENCH_REAL_CLIENTS', 'BENCH_NET_MBIT', 'BENCH_NET_RTT'].some((k) => (process.env[k] ?? '') !== '');
  return { quick, runs: { cold: runs, warm: runs }, clients, mbit, rtts, custom };
}

/** parts: a subset of ['real-tree', 'network']. Returns { [part]: result } (also written to `out`). */
export async function runRealTreeParts({ parts, quick, out, machine }) {
  const config = realTreeConfig({ quick });
  const conditions = [];
  if (parts.includes('real-tree')) conditions.push({ part: 'real-tree', name: 'loopback', rttMs: 0, mbit: 0 });
  if (parts.includes('network')) for (const rtt of config.rtts) conditions.push({ part: 'network', name: `${rtt} ms`, rttMs: rtt, mbit: config.mbit });
  const startedAt = new Date();
  const world = await createRealTreeWorld();
  const base = await mkdtemp(join(os.tmpdir(), 'tufpm-bench-real-projects-'));
  const written = {};
  await mkdir(out, { recursive: true });
  const write = async (measured, complete) => {
    const finishedAt = new Date();
    for (const part of parts) {
      const mine = conditions.filter((c) => c.part === part);
      const results = Object.fromEntries(mine.filter((c) => measured.results[c.name] !== undefined).map((c) => [c.name, measured.results[c.name]]));
      if (Object.keys(results).length === 0) continue;
      const result = {
        benchmark: `tufpm ${part}`,
        format: 1,
        complete,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationS: round((finishedAt - startedAt) / 1000, 1),
        machine: { ...machine, loadavgEnd: os.loadavg().map((x) => round(x, 2)) },
        config: { ...config, conditions: mine },
        tree: { closure: measured.closure, importS: round(world.importS, 1), profile: world.profile },
        results,
      };
      const name = `${part}${quick ? '-quick' : config.custom ? '-custom' : ''}`;
      const markdown = renderRealTree(result);
      await writeFile(join(out, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
      await writeFile(join(out, `${name}.md`), markdown);
      if (complete) {
        process.stdout.write(`${markdown}\n`);
        progress(`wrote ${join(out, `${name}.json`)} and ${name}.md`);
      }
      written[part] = result;
    }
  };
  try {
    const measured = await runRealTreeInstalls({ base, world, conditions, clients: config.clients, runs: config.runs, onResult: (m) => write(m, false) });
    await write(measured, true);
  } finally {
    await world.close();
    await rm(base, { recursive: true, force: true });
  }
  return written;
}
