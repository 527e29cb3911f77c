// A/B of two tufpm Yarn plugin bundles on cold installs of the bench's real tree (531 npm tarballs, the
// real-tree part's registry: world.mjs): the same yarn.lock, each install on a fresh machine (empty Yarn cache and
// TUF state), rounds alternating A and B with the order flipped every round; CPU (user + sys, GNU time) and wall
// medians and the paired B / A ratio on stdout. AB_PLAIN=1 adds plain Yarn to every round, for the ratios against it.
// Usage: node bench/ab/real-tree-cold.mjs <bundle A> <bundle B> [rounds=5]; AB_LINKER=pnp|node-modules.
// Bundle paths: packages/yarn-plugin-tuf/bundles/@yarnpkg/plugin-tuf.js of a build, or a copy of one (in a
// directory whose package.json says "type": "commonjs": the bundle is CommonJS, this repository's root is ESM).
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRealTreeWorld } from '../real-tree/world.mjs';
import { PLUGIN_BUNDLE, YarnProject } from '../lib/yarn-project.mjs';
import { median, progress } from '../lib/stats.mjs';

const [bundleA, bundleB, roundsArg] = process.argv.slice(2);
if (bundleA === undefined || bundleB === undefined) {
  process.stderr.write('usage: node bench/ab/real-tree-cold.mjs <bundle A> <bundle B> [rounds]\n');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 5);
const linker = process.env.AB_LINKER ?? 'pnp';
const withPlain = process.env.AB_PLAIN === '1';

/** A Yarn project whose plugin is the given bundle instead of this checkout's. */
class BundleProject extends YarnProject {
  async newMachine() {
    await super.newMachine();
    if (this.bundle === undefined) return;
    const rc = join(this.dir, '.yarnrc.yml');
    await writeFile(rc, (await readFile(rc, 'utf8')).replace(JSON.stringify(PLUGIN_BUNDLE), JSON.stringify(this.bundle)));
  }
}
async function project(base, world, bundle) {
  const p = await BundleProject.create({ base, world, plugin: bundle !== undefined, linker });
  p.bundle = bundle;
  await p.newMachine();
  return p;
}

const base = await mkdtemp(join(tmpdir(), 'tufpm-ab-real-'));
const world = await createRealTreeWorld();
try {
  const plain = await project(base, world, undefined);
  const sides = { A: await project(base, world, resolve(bundleA)), B: await project(base, world, resolve(bundleB)) };
  progress('real-tree A/B: setup installs (yarn.lock, then each side writes tufpm-lock.json)');
  await plain.install();
  for (const side of Object.values(sides)) {
    await side.copyLockfileFrom(plain);
    const first = await side.install();
    if (!side.hasFile('tufpm-lock.json')) throw new Error(`the plugin wrote no tufpm-lock.json:\n${first.stdout.slice(-2000)}`);
  }
  if (withPlain) sides.plain = plain;
  const names = Object.keys(sides);
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  const loadStart = os.loadavg()[0];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const p = sides[name];
      await p.newMachine();
      await p.removeInstallArtifacts();
      const run = await p.install();
      runs[name].push(run);
      progress(`cold ${name} #${r + 1}: ${(run.ms / 1000).toFixed(2)} s wall, ${(run.cpuMs / 1000).toFixed(2)} s CPU, ${run.maxRssMiB?.toFixed(0)} MiB`);
    }
  }
  const cpu = (n) => runs[n].map((x) => x.cpuMs / 1000);
  const summary = {
    at: new Date().toISOString(),
    linker,
    rounds,
    load: [loadStart, os.loadavg()[0]],
    bundles: { A: bundleA, B: bundleB },
    cpuMedianS: Object.fromEntries(names.map((n) => [n, median(cpu(n))])),
    wallMedianS: Object.fromEntries(names.map((n) => [n, median(runs[n].map((x) => x.ms / 1000))])),
    cpuRunsS: Object.fromEntries(names.map((n) => [n, cpu(n)])),
    pairedCpuDifferenceS: median(cpu('B').map((b, i) => b - cpu('A')[i])),
    pairedCpuRatio: median(cpu('B').map((b, i) => b / cpu('A')[i])),
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} finally {
  await world.close();
  await rm(base, { recursive: true, force: true });
}
