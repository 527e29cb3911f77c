// verdaccio-tufpm costs (issue 18): publish latency through a real Verdaccio 6.8 with and without the
// plugin, and Verdaccio's memory with the plugin and 10,000 signed packages vs without it.
// Usage: npm run build && node bench/verdaccio.mjs   (writes bench/results/verdaccio.json and .md)
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPackageTarball } from '@tufpm/registry';
import { publishRelease, readPackageTarball } from '@tufpm/repo';
import { VerdaccioWorld } from '@tufpm/integration-tests/dist/src/harness/verdaccio.js';
import { progress, summarize } from './lib/stats.mjs';

const PUBLISHES = Number(process.env.BENCH_PUBLISHES ?? 30);
const SIGNED = Number(process.env.BENCH_SIGNED_PACKAGES ?? 10_000);

async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)[1]) / 1024;
}

async function publishTimes(world, prefix, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const tarball = buildPackageTarball({ name: `${prefix}-${i}`, version: '1.0.0' });
    const pkg = await readPackageTarball(tarball);
    const t0 = performance.now();
    const res = await publishRelease({ registryUrl: world.url, token: world.token, tarball, pkg });
    times.push(performance.now() - t0);
    if (res.outcome !== 'published') throw new Error(`publish ${i}: ${res.outcome}`);
  }
  return times;
}

async function latency(plugin) {
  const world = await VerdaccioWorld.create({ plugin, bitLength: 8 });
  try {
    await publishTimes(world, 'warmup', 3); // first requests load the plugin and the repository
    return summarize(await publishTimes(world, 'pkg', PUBLISHES));
  } finally {
    await world.close();
  }
}

async function memory(plugin) {
  const world = await VerdaccioWorld.create({
    plugin,
    bitLength: 8,
    prepare: plugin
      ? async (repo) => {
          progress(`signing ${SIGNED} packages into the repository`);
          const tarballs = [];
          for (let i = 0; i < SIGNED; i++) tarballs.push(await readPackageTarball(buildPackageTarball({ name: `signed-${i}`, version: '1.0.0' })));
          await repo.publishPrepared(tarballs);
        }
      : undefined,
  });
  try {
    const idle = await rssMb(world.pid);
    await publishTimes(world, 'mem', 5); // the plugin holds the repository in memory from the first publish
    await new Promise((r) => setTimeout(r, 500));
    return { idleMb: idle, afterPublishesMb: await rssMb(world.pid) };
  } finally {
    await world.close();
  }
}

progress(`publish latency through Verdaccio, without the plugin (${PUBLISHES} publishes)`);
const without = await latency(false);
progress(`publish latency through Verdaccio, with verdaccio-tufpm (${PUBLISHES} publishes)`);
const withPlugin = await latency(true);
progress('memory without the plugin');
const memWithout = await memory(false);
progress(`memory with the plugin and ${SIGNED} signed packages`);
const memWith = await memory(true);

const r = (x) => Math.round(x * 10) / 10;
const result = {
  date: new Date().toISOString(),
  node: process.version,
  verdaccio: '6.8.0',
  publishes: PUBLISHES,
  latencyMs: { without: { median: without.median, min: without.min, max: without.max }, with: { median: withPlugin.median, min: withPlugin.min, max: withPlugin.max } },
  ratio: withPlugin.median / without.median,
  memory: { signedPackages: SIGNED, without: memWithout, with: memWith, addedMb: memWith.afterPublishesMb - memWithout.afterPublishesMb },
};
const md = `# verdaccio-tufpm costs (bench/verdaccio.mjs, ${result.date})

Real Verdaccio 6.8.0 on loopback, ${process.version}, 2 cores shared with other work. Publishes: npm's publish
body over HTTP (as \`tufpm publish\` sends it), each a new unclaimed package, sequential, 256-bin repository.

| | without the plugin | with verdaccio-tufpm | ratio (limit 3) |
|---|---|---|---|
| publish, median | ${r(without.median)} ms | ${r(withPlugin.median)} ms | ${result.ratio.toFixed(2)} |
| publish, min / max | ${r(without.min)} / ${r(without.max)} ms | ${r(withPlugin.min)} / ${r(withPlugin.max)} ms | |

| Verdaccio RSS | without the plugin | with the plugin, ${SIGNED} signed packages | added (limit 30 MB) |
|---|---|---|---|
| after start | ${r(memWithout.idleMb)} MB | ${r(memWith.idleMb)} MB | |
| after 5 publishes (repository in memory) | ${r(memWithout.afterPublishesMb)} MB | ${r(memWith.afterPublishesMb)} MB | ${r(result.memory.addedMb)} MB |

For comparison, the bundled registry's publish costs x2.1-2.3 its no-TUF baseline in-process
(docs/benchmarks.md, "Publish latency") and x3.2-3.6 measured by issue 18 through \`npm publish\`.
`;
await writeFile(join('bench', 'results', 'verdaccio.json'), `${JSON.stringify(result, null, 2)}\n`);
await writeFile(join('bench', 'results', 'verdaccio.md'), md);
process.stdout.write(md);
