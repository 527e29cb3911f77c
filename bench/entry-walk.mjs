#!/usr/bin/env node
// The install-time tarball entry walk (ADR 0012, @tufpm/verify checkTarballEntries) over the bench's real
// tree (531 npm tarballs), A/B in one process: CPU time (user + system of the whole process, zlib's thread
// pool included) of walking every tarball once, alternating A and B each round. Also times the one-call
// inflate alone (the part no header reader can skip) and, when B has plain-ustar.js, counts the tarballs
// it declines (walked by node-tar instead).
//
// Usage: node bench/entry-walk.mjs <verify-dist-A> <verify-dist-B> [rounds]
//   e.g. A = a copy of packages/verify/dist from before a change (kept under bench/.cache, which is ignored,
//   so that '@tufpm/models' and 'tar' resolve from this checkout), B = packages/verify/dist.
// Environment: BENCH_REAL_TREE_CACHE (default bench/.cache/real-tree).
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const HERE = dirname(fileURLToPath(import.meta.url));
const [aDir, bDir, roundsArg] = process.argv.slice(2);
if (aDir === undefined || bDir === undefined) {
  process.stderr.write('usage: node bench/entry-walk.mjs <verify-dist-A> <verify-dist-B> [rounds]\n');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 7);
const cache = process.env.BENCH_REAL_TREE_CACHE ?? join(HERE, '.cache', 'real-tree');
const dir = join(cache, 'tarballs');
const names = (await readdir(dir)).filter((n) => n.endsWith('.tgz')).sort();
const tarballs = await Promise.all(names.map(async (n) => new Uint8Array(await readFile(join(dir, n)))));
const load = async (d) => (await import(pathToFileURL(join(resolve(d), 'src', 'tarball-entries.js')).href)).checkTarballEntries;
const walkers = { A: await load(aDir), B: await load(bDir) };

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
async function walkAll(check) {
  const start = cpu();
  let refused = 0;
  for (const bytes of tarballs) {
    try {
      await check('p', '1.0.0', 'r', bytes);
    } catch (error) {
      if (error?.code !== 'TUF_TARBALL_ENTRY') throw error;
      refused++;
    }
  }
  return { seconds: cpu() - start, refused };
}
function inflateAll() {
  const start = cpu();
  for (const bytes of tarballs) gunzipSync(bytes).length;
  return cpu() - start;
}

let declined;
try {
  const { readPlainUstarEntries } = await import(pathToFileURL(join(resolve(bDir), 'src', 'plain-ustar.js')).href);
  declined = [];
  tarballs.forEach((bytes, i) => {
    let tar;
    try {
      tar = gunzipSync(bytes, { maxOutputLength: 4 * 1024 * 1024 });
    } catch {
      return declined.push(`${names[i]} (larger than 4 MiB: streamed through node-tar)`);
    }
    if (readPlainUstarEntries(tar) === undefined) declined.push(names[i]);
  });
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
}

// one untimed pass each: module loading and first compilation are not what a round compares
await walkAll(walkers.A);
await walkAll(walkers.B);
const loadStart = os.loadavg()[0];
const results = { A: [], B: [], inflate: [] };
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
  for (const side of order) {
    const { seconds, refused } = await walkAll(walkers[side]);
    results[side].push(seconds);
    if (r === 0) process.stderr.write(`${side}: ${refused} of ${tarballs.length} tarballs refused\n`);
  }
  results.inflate.push(inflateAll());
  process.stderr.write(`round ${r + 1}: A ${results.A[r].toFixed(3)} s, B ${results.B[r].toFixed(3)} s, inflate alone ${results.inflate[r].toFixed(3)} s\n`);
}
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const paired = median(results.A.map((a, i) => results.B[i] / a));
const lines = [
  `${tarballs.length} tarballs of ${cache}, ${rounds} rounds, load ${loadStart.toFixed(2)} -> ${os.loadavg()[0].toFixed(2)} (${os.cpus().length} CPUs), node ${process.version}`,
  `A ${aDir}: median ${median(results.A).toFixed(3)} s CPU per walk of every tarball (rounds ${results.A.map((x) => x.toFixed(3)).join(', ')})`,
  `B ${bDir}: median ${median(results.B).toFixed(3)} s (rounds ${results.B.map((x) => x.toFixed(3)).join(', ')})`,
  `B / A: ${(median(results.B) / median(results.A)).toFixed(3)} of the medians, ${paired.toFixed(3)} paired`,
  `inflate alone (gunzipSync of every tarball): median ${median(results.inflate).toFixed(3)} s`,
];
if (declined !== undefined) lines.push(`declined by plain-ustar.js (walked by node-tar): ${declined.length}${declined.length ? `: ${declined.join(', ')}` : ''}`);
process.stdout.write(`${lines.join('\n')}\n`);
