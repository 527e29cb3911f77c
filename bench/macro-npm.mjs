// `npm ci` vs `tufpm-npm ci`, on the bench registry, real processes.
//
// Both projects hold the same package-lock.json (the tufpm one also tufpm-root.json and, after the setup
// install, tufpm-lock.json).
//   cold = a fresh machine: empty npm cache (so empty tufpm-npm TUF cache, which lives inside it), no
//          node_modules; every tarball is downloaded (and, with tufpm-npm, every role fetched).
//   warm = the machine of the previous run kept (npm cache and TUF cache populated), node_modules removed.
// npm runs with audit and fund off (tufpm-npm does neither). Runs alternate as for Yarn.
import { NpmProject } from './lib/npm-project.mjs';
import { BenchRunError } from './lib/proc.mjs';
import { cpuSummary, progress, runsFor, summarize } from './lib/stats.mjs';

export async function setup(base, world) {
  const plain = await NpmProject.create({ base, world, tufpm: false });
  const tufpm = await NpmProject.create({ base, world, tufpm: true });
  progress('npm: setup `npm install` to write package-lock.json');
  await plain.run('install');
  await tufpm.copyLockfileFrom(plain);
  progress('npm: setup `tufpm-npm install` to write tufpm-lock.json');
  const first = await tufpm.run('install');
  if (!tufpm.hasFile('tufpm-lock.json')) {
    throw new BenchRunError(`tufpm-npm install wrote no tufpm-lock.json\n${first.stderr.slice(-2000)}`);
  }
  return { plain, tufpm };
}

export async function runNpm({ base, world, runs }) {
  const { plain, tufpm } = await setup(base, world);
  const sides = { plain, tufpm };
  const times = { cold: { plain: [], tufpm: [] }, warm: { plain: [], tufpm: [] } };
  const cpu = { cold: { plain: [], tufpm: [] }, warm: { plain: [], tufpm: [] } };
  const traffic = { cold: {}, warm: {} };
  let verifiedLine;
  for (const kind of ['cold', 'warm']) {
    for (let round = 0; round < runsFor(kind, runs); round++) {
      const order = round % 2 === 0 ? ['plain', 'tufpm'] : ['tufpm', 'plain'];
      for (const name of order) {
        const project = sides[name];
        if (kind === 'cold') await project.newMachine();
        await project.removeNodeModules();
        world.takeTraffic();
        const { ms, cpuMs, stderr } = await project.run('ci');
        traffic[kind][name] = world.takeTraffic();
        times[kind][name].push(ms);
        if (cpuMs !== undefined) cpu[kind][name].push(cpuMs);
        if (name === 'tufpm') verifiedLine = stderr.split('\n').find((l) => l.startsWith('tufpm-npm:')) ?? verifiedLine;
        progress(`npm ${kind} ${name === 'plain' ? 'npm ci' : 'tufpm-npm ci'} #${round + 1}: ${(ms / 1000).toFixed(2)} s`);
      }
    }
  }
  return {
    tufpmSummary: verifiedLine,
    cold: { plain: summarize(times.cold.plain), tufpm: summarize(times.cold.tufpm), cpu: cpuSummary(cpu.cold), traffic: traffic.cold },
    warm: { plain: summarize(times.warm.plain), tufpm: summarize(times.warm.tufpm), cpu: cpuSummary(cpu.warm), traffic: traffic.warm },
  };
}
