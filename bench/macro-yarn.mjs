// `yarn install` plain vs with the tufpm plugin, on the bench registry, real processes.
//
// Both projects hold the same committed yarn.lock (the tufpm one also tufpm-root.json and, after the
// setup install, tufpm-lock.json): what a project in CI looks like.
//   cold = a fresh machine: empty Yarn cache, empty mirror, empty TUF metadata cache, no .pnp.cjs /
//          install state; every tarball is downloaded (and, with the plugin, every role fetched).
//   warm = the machine of the previous run kept (cache, mirror, TUF cache populated), the project's
//          .pnp.cjs, .pnp.loader.mjs, .yarn/ and node_modules removed: Yarn links again from its cache.
// Linker: PnP (Yarn's default, the smallest warm budget) unless BENCH_YARN_LINKER=node-modules.
// Runs alternate plain/tufpm (the order flips every round) so drift in machine load hits both sides.
import { YarnProject } from './lib/yarn-project.mjs';
import { BenchRunError } from './lib/proc.mjs';
import { cpuSummary, progress, runsFor, summarize } from './lib/stats.mjs';
import { tufSectionTime, yarnSteps } from './lib/yarn-output.mjs';

export async function setup(base, world, linker) {
  const plain = await YarnProject.create({ base, world, plugin: false, linker });
  const tufpm = await YarnProject.create({ base, world, plugin: true, linker });
  progress('yarn: setup install (plain) to write yarn.lock');
  await plain.install();
  await tufpm.copyLockfileFrom(plain);
  progress('yarn: setup install (tufpm plugin) to write tufpm-lock.json');
  const first = await tufpm.install();
  if (!tufpm.hasFile('tufpm-lock.json')) {
    throw new BenchRunError(`yarn with the tufpm plugin wrote no tufpm-lock.json: is the plugin active?\n${first.stdout.slice(-2000)}`);
  }
  return { plain, tufpm };
}

export async function runYarn({ base, world, runs, linker = 'pnp' }) {
  const { plain, tufpm } = await setup(base, world, linker);
  const sides = { plain, tufpm };
  const times = { cold: { plain: [], tufpm: [] }, warm: { plain: [], tufpm: [] } };
  const cpu = { cold: { plain: [], tufpm: [] }, warm: { plain: [], tufpm: [] } };
  const traffic = { cold: {}, warm: {} };
  // the plugin's own TUF sections as Yarn reports them (ms; untimed sections count as 0)
  const tufSections = { cold: [], warm: [] };
  // Yarn's own step times (Resolution / Fetch / Link, and its "Done in" total), both sides
  const steps = { cold: { plain: [], tufpm: [] }, warm: { plain: [], tufpm: [] } };
  let archives;
  for (const kind of ['cold', 'warm']) {
    for (let round = 0; round < runsFor(kind, runs); round++) {
      const order = round % 2 === 0 ? ['plain', 'tufpm'] : ['tufpm', 'plain'];
      for (const name of order) {
        const project = sides[name];
        if (kind === 'cold') await project.newMachine();
        await project.removeInstallArtifacts();
        world.takeTraffic();
        const { ms, cpuMs, stdout } = await project.install();
        if (name === 'tufpm') tufSections[kind].push(tufSectionTime(stdout));
        steps[kind][name].push(yarnSteps(stdout));
        traffic[kind][name] = world.takeTraffic();
        times[kind][name].push(ms);
        if (cpuMs !== undefined) cpu[kind][name].push(cpuMs);
        if (kind === 'cold' && name === 'plain') archives = await project.cachedArchives();
        progress(`yarn ${kind} ${name} #${round + 1}: ${(ms / 1000).toFixed(2)} s`);
      }
    }
  }
  return {
    linker,
    packagesInstalled: archives,
    cold: { plain: summarize(times.cold.plain), tufpm: summarize(times.cold.tufpm), cpu: cpuSummary(cpu.cold), traffic: traffic.cold, pluginReportedTuf: sectionSummary(tufSections.cold), yarnSteps: stepSummary(steps.cold) },
    warm: { plain: summarize(times.warm.plain), tufpm: summarize(times.warm.tufpm), cpu: cpuSummary(cpu.warm), traffic: traffic.warm, pluginReportedTuf: sectionSummary(tufSections.warm), yarnSteps: stepSummary(steps.warm) },
  };
}

function sectionSummary(list) {
  return { ms: summarize(list.map((s) => s.ms)), untimedSections: Math.max(...list.map((s) => s.untimed)), sections: list[0]?.sections ?? 0 };
}

/** Median per step and side; a step Yarn printed without a time (quick) counts as 0 and is flagged. */
function stepSummary(bySide) {
  const names = [...new Set([...bySide.plain, ...bySide.tufpm].flatMap((s) => Object.keys(s)))];
  const out = {};
  for (const name of names) {
    out[name] = {};
    for (const side of ['plain', 'tufpm']) {
      const values = bySide[side].map((s) => s[name] ?? 0);
      out[name][side] = { median: summarize(values).median, untimed: bySide[side].filter((s) => s[name] === null).length };
    }
  }
  return out;
}
