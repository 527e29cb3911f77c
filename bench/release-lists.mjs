#!/usr/bin/env node
// What the release-list check (ADR 0013) costs: `yarn add <the root packages>` on a fresh machine (every
// package of the closure resolved from its packument, so every release list looked up) and
// `yarn install --immutable` (nothing resolved), with the plugin bundle of this checkout (B) against a
// baseline bundle without the check (A: `--baseline <plugin-tuf.js>`, e.g. built from the commit before).
// Counts the registry's requests by kind and times each run; A and B alternate.
//
//   node bench/release-lists.mjs --baseline /path/to/old/plugin-tuf.js [--packages 120] [--runs 3] [--profile bins|claimed]
import { parseArgs } from 'node:util';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchWorld } from './lib/world.mjs';
import { PLUGIN_BUNDLE, YARN_JS, YarnProject } from './lib/yarn-project.mjs';
import { timedRun } from './lib/proc.mjs';
import { median, progress, round } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    packages: { type: 'string', default: '120' },
    runs: { type: 'string', default: '3' },
    profile: { type: 'string', default: 'bins' },
  },
  strict: true,
});
if (values.baseline === undefined) throw new Error('--baseline <plugin-tuf.js without the release-list check> is required');

/** A fresh machine for `p` whose .yarnrc.yml loads `bundle` instead of this checkout's plugin. */
async function freshMachineWith(p, bundle) {
  await p.newMachine();
  const rc = join(p.dir, '.yarnrc.yml');
  await writeFile(rc, (await readFile(rc, 'utf8')).replace(JSON.stringify(PLUGIN_BUNDLE), JSON.stringify(bundle)));
}

/** A Yarn project with an empty package.json (yarn add fills it) on a fresh machine with `bundle`. */
async function projectWith(base, world, bundle) {
  const p = await YarnProject.create({ base, world: { ...world, rootDependencies: {} }, plugin: true, linker: 'pnp' });
  await freshMachineWith(p, bundle);
  return p;
}

function yarn(p, args) {
  return timedRun(`yarn ${args.join(' ')}`, process.execPath, [YARN_JS, ...args], { cwd: p.dir, env: p.env() });
}

async function main() {
  const base = await mkdtemp(join(tmpdir(), 'tufpm-bench-release-lists-'));
  const world = await createBenchWorld({ packages: Number(values.packages), profile: values.profile });
  const roots = Object.entries(world.rootDependencies).map(([n, r]) => `${n}@${r}`);
  const sides = { A: values.baseline, B: PLUGIN_BUNDLE };
  const out = { add: { A: [], B: [] }, frozen: { A: [], B: [] }, traffic: {} };
  try {
    for (let run = 0; run < Number(values.runs); run++) {
      for (const side of run % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
        const p = await projectWith(base, world, sides[side]);
        world.takeTraffic();
        progress(`run ${run + 1} ${side}: yarn add (${roots.length} roots, ${world.closure.length} packages)`);
        const add = await yarn(p, ['add', ...roots]);
        out.add[side].push(add.ms);
        out.traffic[`add ${side}`] = world.takeTraffic();
        await freshMachineWith(p, sides[side]);
        await p.removeInstallArtifacts();
        const frozen = await yarn(p, ['install', '--immutable']);
        out.frozen[side].push(frozen.ms);
        out.traffic[`frozen ${side}`] = world.takeTraffic();
      }
    }
  } finally {
    await world.close();
    await rm(base, { recursive: true, force: true });
  }
  const row = (what) => `| ${what} | ${round(median(out[what].A), 0)} | ${round(median(out[what].B), 0)} | ${round((median(out[what].B) / median(out[what].A) - 1) * 100, 1)} % |`;
  const req = (k) => `${out.traffic[k].tuf.requests} TUF / ${out.traffic[k].packument.requests} packument / ${out.traffic[k].tarball.requests} tarball (${round(out.traffic[k].tuf.bytes / 1024, 1)} KiB TUF)`;
  console.log(`profile ${values.profile}, ${world.closure.length} packages in the closure, ${values.runs} runs per side, medians in ms\n`);
  console.log('| command | A (no check) | B (release lists) | B vs A |\n|---|---|---|---|');
  console.log(row('add'));
  console.log(row('frozen'));
  console.log('\nrequests (last run):');
  for (const k of Object.keys(out.traffic)) console.log(`- ${k}: ${req(k)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
