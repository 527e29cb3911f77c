// The real-tree and network parts of `npm run bench`: on the real-tree registry (world.mjs), for each network
// condition (loopback; 20 ms and 80 ms round trip with a bandwidth cap, through the bench proxy), for
// Yarn node-modules, Yarn PnP and npm: cold and warm installs, plain and with tufpm, alternating (the order
// flips every round, so drift in machine load hits both sides). Each install records wall time, CPU time
// (user + sys of the child, from GNU time) and peak resident memory; the ratios tufpm / plain are of the
// medians of the same run. On a shared machine CPU time is the figure to judge by: wall time moves with
// everybody else's load.
// Cold and warm mean what they mean in macro-yarn.mjs / macro-npm.mjs (fresh machine vs. caches kept,
// .pnp.cjs / .yarn / node_modules removed).
import { basename } from 'node:path';
import { setup as setupNpm } from '../macro-npm.mjs';
import { setup as setupYarn } from '../macro-yarn.mjs';
import { median, progress, round } from '../lib/stats.mjs';
import { tufSectionTime } from '../lib/yarn-output.mjs';

export const CLIENTS = ['yarn-node-modules', 'yarn-pnp', 'npm'];

/** One client's two projects, set up on loopback as the generated-universe bench does (same lockfile both sides). */
async function setupClient(base, world, client) {
  world.setNetwork({ rttMs: 0, mbit: 0 });
  progress(`real-tree ${client}: setup installs`);
  if (client === 'npm') {
    const { plain, tufpm } = await setupNpm(base, world);
    // The two project directories swap sides every round: on the bench machine's ext4 disk, writing
    // node_modules into one directory cost up to 1 s less system time than into another, round after
    // round, so a directory per side measured the place (plain npm in a second directory: warm CPU 1.16
    // of the same npm in the first; bench/results/npm-cpu-attribution-2026-12-07.md). Both directories
    // hold every file either side reads (npm ignores tufpm-root.json and tufpm-lock.json).
    await plain.copyTufpmFilesFrom(tufpm);
    const swap = () => ([plain.dir, tufpm.dir] = [tufpm.dir, plain.dir]);
    return { plain, tufpm, install: (p) => p.run('ci'), clean: (p) => p.removeNodeModules(), swap };
  }
  const { plain, tufpm } = await setupYarn(base, world, client === 'yarn-pnp' ? 'pnp' : 'node-modules');
  // The Yarn projects swap directories every round as the npm ones do (same disk, same bias: Yarn
  // node-modules warm, plain 0.52-1.06 s of system time vs tufpm 0.79-1.89 s with one directory per side).
  // What differs between the sides follows the side: each side's HOME (its Yarn cache, global folder and
  // TUF state) stays its own, and its .yarnrc.yml (plugin entry, cache and global folders) is rewritten
  // into the directory it moves to; both directories hold the same yarn.lock, tufpm-root.json and
  // tufpm-lock.json (plain Yarn reads neither tufpm file).
  await plain.copyTufpmFilesFrom(tufpm);
  const swap = async () => {
    [plain.dir, tufpm.dir] = [tufpm.dir, plain.dir];
    await plain.writeRc();
    await tufpm.writeRc();
  };
  return { plain, tufpm, install: (p) => p.install(), clean: (p) => p.removeInstallArtifacts(), swap };
}

const ratio = (a, b) => (b > 0 ? round(a / b, 3) : undefined);

function summarizeSide(runs) {
  const pick = (k) => runs.map((r) => r[k]).filter((x) => typeof x === 'number');
  return {
    wallMs: round(median(pick('ms')), 0),
    cpuMs: round(median(pick('cpuMs')), 0),
    maxRssMiB: round(median(pick('maxRssMiB')), 1),
    runs: runs.map((r) => ({ ms: round(r.ms, 0), cpuMs: round(r.cpuMs, 0), maxRssMiB: round(r.maxRssMiB, 1) })),
  };
}

/** The plugin's TUF lines that say what a warm install redid (rebuilt archives, fetched roles). */
const tufNotes = (stdout) => stdout.split('\n').filter((l) => /TUF (binding|verification)|rebuilt|roles? fetched/i.test(l)).map((l) => l.replace(/^\S+\s+/, '').trim()).slice(0, 6);

async function measure({ world, sides, kind, rounds, label }) {
  const runs = { plain: [], tufpm: [] };
  const traffic = {};
  let notes;
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await sides.swap?.();
    const order = round % 2 === 0 ? ['plain', 'tufpm'] : ['tufpm', 'plain'];
    for (const name of order) {
      const project = sides[name];
      if (kind === 'cold') await project.newMachine();
      await sides.clean(project);
      world.takeTraffic();
      const r = await sides.install(project);
      traffic[name] = world.takeTraffic();
      runs[name].push(r);
      if (name === 'tufpm' && r.stdout) notes = { tufSections: tufSectionTime(r.stdout), lines: tufNotes(r.stdout) };
      progress(`${label} ${kind} ${name} #${round + 1} (${basename(project.dir)}): ${(r.ms / 1000).toFixed(2)} s wall, ${((r.cpuMs ?? NaN) / 1000).toFixed(2)} s CPU (user ${((r.userMs ?? NaN) / 1000).toFixed(2)} s, sys ${((r.sysMs ?? NaN) / 1000).toFixed(2)} s), ${(r.maxRssMiB ?? NaN).toFixed(0)} MiB`);
    }
  }
  const plain = summarizeSide(runs.plain);
  const tufpm = summarizeSide(runs.tufpm);
  return {
    plain,
    tufpm,
    ratios: { wall: ratio(tufpm.wallMs, plain.wallMs), cpu: ratio(tufpm.cpuMs, plain.cpuMs), maxRss: ratio(tufpm.maxRssMiB, plain.maxRssMiB) },
    traffic,
    notes,
  };
}

/**
 * conditions: [{ name, rttMs, mbit }]; runs: { cold, warm } rounds per side. Returns
 * { [condition]: { [client]: { cold, warm } } } plus the settings.
 */
export async function runRealTreeInstalls({ base, world, conditions, clients = CLIENTS, runs, onResult = async () => undefined }) {
  const setups = {};
  for (const client of clients) setups[client] = await setupClient(base, world, client);
  const results = {};
  for (const condition of conditions) {
    world.setNetwork(condition);
    results[condition.name] = {};
    for (const client of clients) {
      const sides = setups[client];
      const label = `real-tree ${condition.name} ${client}`;
      const cold = await measure({ world, sides, kind: 'cold', rounds: runs.cold, label });
      const warm = await measure({ world, sides, kind: 'warm', rounds: runs.warm, label });
      results[condition.name][client] = { cold, warm };
      // written as it goes: a long run cut short keeps what it measured
      await onResult({ conditions, clients, runs, closure: world.closure.length, results });
    }
  }
  world.setNetwork({ rttMs: 0, mbit: 0 });
  return { conditions, clients, runs, closure: world.closure.length, results };
}
