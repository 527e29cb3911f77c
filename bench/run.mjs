#!/usr/bin/env node
// `npm run bench`: tufpm's benchmark. Not a test: it measures, prints and writes bench/results/latest.json
// and latest.md, and exits non-zero only when a run itself fails (an install errors, a setup breaks).
// Targets are reported as met / not met. See docs/benchmarks.md.
//
// Environment:
//   BENCH_QUICK=1        smaller registry, fewer runs (a minute or two instead of ~10)
//   BENCH_ONLY=a,b       parts to run: micro, verifier, yarn, npm, publish, real-tree, network, scale (default all);
//                        `npm run bench -- --part real-tree` (or --part network, repeatable) does the same
//   real-tree / network: see bench/real-tree/part.mjs (BENCH_REAL_RUNS, BENCH_REAL_CLIENTS, BENCH_NET_RTT,
//                        BENCH_NET_MBIT); they write real-tree.* and network.* beside latest.*
//   BENCH_PACKAGES=n     generated packages for the macro part (default 520; quick 120)
//   BENCH_RUNS=n         timed cold runs per side for the macro part (default 5; quick 2); warm runs twice as many
//   BENCH_PROFILE=p      registry: 'claimed' (default, one maintainer role per package: the worst case),
//                        'mixed' (one package in eight claimed, the rest in registry-signed hash bins) or
//                        'bins' (4 claimed packages, the rest in bins)
//   BENCH_YARN_LINKER=l  Yarn's nodeLinker: pnp (default) or node-modules
//   BENCH_OUT=dir        where to write the results (default bench/results): latest.json / latest.md for
//                        the default complete run, latest-quick.* or latest-custom.* otherwise
//   BENCH_UPDATE_DOCS=1  also replace the "Latest numbers" section of docs/benchmarks.md with this run's tables
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildRows, renderMarkdown } from './report.mjs';
import { progress, round } from './lib/stats.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The generated-universe parts (results in latest.*), then the real-tree parts (results in real-tree.* / network.*). */
const UNIVERSE_PARTS = ['micro', 'verifier', 'yarn', 'npm', 'publish'];
const REAL_PARTS = ['real-tree', 'network'];
/** Snapshot at registry scale, classic vs Merkle (bench/scale.mjs; results in scale.*). */
const SCALE_PARTS = ['scale'];
const ALL_PARTS = [...UNIVERSE_PARTS, ...REAL_PARTS, ...SCALE_PARTS];
const require = createRequire(import.meta.url);

function intEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function benchConfig() {
  const quick = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
  const { values: argv } = parseArgs({ options: { part: { type: 'string', multiple: true } } });
  const only = argv.part !== undefined ? argv.part.join(',') : process.env.BENCH_ONLY ?? ALL_PARTS.join(',');
  const parts = new Set(only.split(',').map((s) => s.trim()).filter(Boolean));
  for (const p of parts) if (!ALL_PARTS.includes(p)) throw new Error(`unknown bench part ${p} (parts: ${ALL_PARTS.join(', ')})`);
  if (!['claimed', 'mixed', 'bins', 'realistic'].includes(process.env.BENCH_PROFILE || 'claimed')) throw new Error('BENCH_PROFILE must be claimed, mixed, bins or realistic');
  if (!['pnp', 'node-modules'].includes(process.env.BENCH_YARN_LINKER || 'pnp')) throw new Error('BENCH_YARN_LINKER must be pnp or node-modules');
  return {
    quick,
    parts: [...parts],
    packages: intEnv('BENCH_PACKAGES', quick ? 120 : 520),
    runs: intEnv('BENCH_RUNS', quick ? 2 : 5),
    profile: process.env.BENCH_PROFILE || 'claimed',
    yarnLinker: process.env.BENCH_YARN_LINKER || 'pnp',
    publishes: quick ? 10 : 40,
    micro: quick
      ? { sizes: [1000], lookupSizes: [10_000], runs: 3, updaterSizes: [1000], updaterRuns: 2 }
      : { sizes: [1000, 10_000], lookupSizes: [10_000, 50_000], runs: 5, updaterSizes: [1000, 10_000], updaterRuns: 3 },
    out: process.env.BENCH_OUT ?? join(HERE, 'results'),
  };
}

function versionOf(pkgJsonPath) {
  try {
    return JSON.parse(readFileSync(pkgJsonPath, 'utf8')).version;
  } catch (err) {
    if (err.code === 'ENOENT') return 'unknown';
    throw err;
  }
}

function machineInfo() {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: HERE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch (err) {
    if (!(err instanceof Error)) throw err;
  }
  return {
    node: process.version,
    npm: versionOf(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'package.json')),
    yarn: versionOf(require.resolve('@yarnpkg/cli-dist/package.json')),
    platform: process.platform,
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemGiB: round(os.totalmem() / 2 ** 30, 1),
    loadavgStart: os.loadavg().map((x) => round(x, 2)),
    commit,
  };
}

async function main() {
  const config = benchConfig();
  const startedAt = new Date();
  const machine = machineInfo();
  progress(`tufpm bench${config.quick ? ' (quick)' : ''}: parts ${config.parts.join(', ')}; ${machine.cpus} CPUs, Node ${machine.node}, load ${machine.loadavgStart.join(' ')}`);
  const results = {};
  const statuses = {};
  const errors = [];
  const fail = (part, err) => {
    progress(`${part} FAILED: ${err.message.split('\n')[0]}`);
    errors.push({ part, message: err.message });
    statuses[part] = { status: 'failed', reason: err.message.split('\n')[0] };
  };
  const skipped = (part) => !config.parts.includes(part) && (statuses[part] = { status: 'not run', reason: 'excluded by BENCH_ONLY' });

  if (!skipped('micro')) {
    try {
      const { runMicro } = await import('./micro.mjs');
      results.micro = await runMicro(config.micro);
    } catch (err) {
      fail('micro', err);
    }
  }

  if (!skipped('publish')) {
    try {
      const { runPublish } = await import('./publish.mjs');
      results.publish = await runPublish({ publishes: config.publishes });
    } catch (err) {
      fail('publish', err);
    }
  }

  const macroParts = ['verifier', 'yarn', 'npm'].filter((p) => !skipped(p));
  let world;
  let worldInfo;
  const base = await mkdtemp(join(os.tmpdir(), 'tufpm-bench-'));
  // Ctrl-C: the children get the signal too; remove the projects and machines before leaving.
  const onSignal = (signal) => {
    rmSync(base, { recursive: true, force: true });
    if (world !== undefined) rmSync(world.registry.root, { recursive: true, force: true });
    process.stderr.write(`\nbench: interrupted (${signal}), temporary files removed\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (macroParts.length > 0) {
      try {
        const { createBenchWorld } = await import('./lib/world.mjs');
        progress(`macro: generating and signing a registry of ${config.packages} packages (profile ${config.profile})`);
        world = await createBenchWorld({ packages: config.packages, profile: config.profile });
        worldInfo = { packages: config.packages, closure: world.closure.length, profile: world.profile, claimedRoles: world.claimedRoles, bins: world.bins };
        progress(`macro: registry ready at ${world.registry.url}: closure ${world.closure.length} package versions, ${world.claimedRoles} claimed roles, ${world.bins} hash bins`);
        if (!config.quick && world.closure.length < 500) progress(`WARNING: the install closure has only ${world.closure.length} packages (< 500)`);
      } catch (err) {
        for (const p of macroParts) fail(p, new Error(`the bench registry could not be built: ${err.message}`, { cause: err }));
      }
    }
    if (world !== undefined) {
      if (macroParts.includes('verifier')) {
        try {
          const { runVerifier } = await import('./verifier.mjs');
          progress('verifier: InstallVerifier sessions in-process (cold and warm TUF cache)');
          results.verifier = await runVerifier({ base, world, runs: config.runs });
        } catch (err) {
          fail('verifier', err);
        }
      }
      if (macroParts.includes('yarn')) {
        const { PLUGIN_BUNDLE } = await import('./lib/yarn-project.mjs');
        if (!existsSync(PLUGIN_BUNDLE)) {
          statuses.yarn = { status: 'not run', reason: `the plugin bundle ${PLUGIN_BUNDLE} is missing (npm run build builds it)` };
        } else {
          try {
            const { runYarn } = await import('./macro-yarn.mjs');
            results.yarn = await runYarn({ base, world, runs: config.runs, linker: config.yarnLinker });
          } catch (err) {
            fail('yarn', err);
          }
        }
      }
      if (macroParts.includes('npm')) {
        let cli;
        try {
          cli = (await import('./lib/npm-project.mjs')).TUFPM_NPM_CLI;
        } catch (err) {
          statuses.npm = { status: 'not run', reason: `tufpm-npm cannot be found: ${err.message.split('\n')[0]}` };
        }
        if (cli !== undefined && !existsSync(cli)) statuses.npm = { status: 'not run', reason: `${cli} is missing (npm run build builds it)` };
        if (statuses.npm === undefined) {
          try {
            const { runNpm } = await import('./macro-npm.mjs');
            results.npm = await runNpm({ base, world, runs: config.runs });
          } catch (err) {
            fail('npm', err);
          }
        }
      }
    }
  } finally {
    if (world !== undefined) await world.close();
    await rm(base, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const realParts = REAL_PARTS.filter((p) => config.parts.includes(p));
  if (realParts.length > 0) {
    try {
      const { runRealTreeParts } = await import('./real-tree/part.mjs');
      await runRealTreeParts({ parts: realParts, quick: config.quick, out: config.out, machine });
    } catch (err) {
      for (const p of realParts) fail(p, err);
    }
  }
  if (config.parts.includes('scale')) {
    try {
      // Its own processes (one per registry size, up to 1M packages); writes scale.json / scale.md.
      execFileSync(process.execPath, [join(HERE, 'scale.mjs')], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, BENCH_OUT: config.out } });
    } catch (err) {
      fail('scale', err);
    }
  }
  if (!UNIVERSE_PARTS.some((p) => config.parts.includes(p))) {
    if (errors.length > 0) {
      process.stderr.write(`\nbench: ${errors.length} part(s) failed:\n${errors.map((e) => `--- ${e.part} ---\n${e.message}`).join('\n')}\n`);
      process.exitCode = 1;
    }
    return;
  }

  const finishedAt = new Date();
  machine.loadavgEnd = os.loadavg().map((x) => round(x, 2));
  const rows = buildRows({ ...results, statuses, world: worldInfo });
  const result = {
    benchmark: 'tufpm',
    format: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: round((finishedAt - startedAt) / 1000, 1),
    machine,
    config,
    world: worldInfo,
    rows,
    statuses,
    errors,
    raw: results,
  };
  await mkdir(config.out, { recursive: true });
  const markdown = renderMarkdown(result);
  // Only the default, complete run is `latest` (committed); quick or customised runs get their own name,
  // so trying the bench never overwrites the reference numbers.
  const name = resultName(config);
  await writeFile(join(config.out, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(config.out, `${name}.md`), markdown);
  process.stdout.write(`${markdown}\n`);
  if (process.env.BENCH_UPDATE_DOCS === '1') {
    if (name !== 'latest') throw new Error('BENCH_UPDATE_DOCS needs the default complete run (no BENCH_QUICK, BENCH_ONLY or other overrides)');
    await updateDocs(markdown);
  }
  progress(`wrote ${join(config.out, `${name}.json`)} and ${name}.md`);
  if (errors.length > 0) {
    process.stderr.write(`\nbench: ${errors.length} part(s) failed:\n${errors.map((e) => `--- ${e.part} ---\n${e.message}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

function resultName(config) {
  if (config.quick) return 'latest-quick';
  const defaults = UNIVERSE_PARTS.every((p) => config.parts.includes(p)) && config.packages === 520 && config.runs === 5 && config.profile === 'claimed' && config.yarnLinker === 'pnp';
  return defaults ? 'latest' : 'latest-custom';
}

/** Puts this run's tables between the markers of docs/benchmarks.md (everything after the title line). */
async function updateDocs(markdown) {
  const file = join(HERE, '..', 'docs', 'benchmarks.md');
  const doc = await readFile(file, 'utf8');
  const start = '<!-- bench:latest:start -->';
  const end = '<!-- bench:latest:end -->';
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file} has no ${start} ... ${end} markers`);
  const body = markdown.split('\n').slice(1).join('\n').trim().replace(/^## /gm, '### ');
  await writeFile(file, `${doc.slice(0, a + start.length)}\n${body}\n${doc.slice(b)}`);
  progress(`updated ${file}`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  process.exitCode = 1;
});
