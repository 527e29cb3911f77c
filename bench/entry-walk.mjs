#!/usr/bin/env node
// The install-time tarball entry walk (ADR 0012, @tufpm/verify checkTarballEntries) over the bench's real
// tree (531 npm tarballs), A/B: CPU time (user + system of the whole process, zlib's thread pool and V8's
// compiler threads included) of walking every tarball once, alternating A and B each round. Each walk runs
// in a fresh process (module loading included), as in a cold install, where the walk runs once per tarball
// and mostly before V8 optimises it; ENTRY_WALK_WARM=1 walks in this process instead, after one untimed
// pass per side (the optimised code). Also times a fresh process that only inflates every tarball (the part
// no header reader can skip) and, when B has plain-ustar.js, counts the tarballs it declines.
//
// Usage: node bench/entry-walk.mjs <verify-dist-A> <verify-dist-B> [rounds]
//   the dist directories of two builds of @tufpm/verify, each resolving '@tufpm/models' and 'tar' from its
//   own checkout (e.g. a git worktree of the commit before a change, built), B = packages/verify/dist.
// Environment: BENCH_REAL_TREE_CACHE (default bench/.cache/real-tree).
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';

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
    if (readPlainUstarEntries(gunzipSync(bytes)) === undefined) declined.push(names[i]);
  });
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
}

const warm = process.env.ENTRY_WALK_WARM === '1';
/** One walk of every tarball in a fresh process: its CPU seconds from before the import to the end. */
function freshWalk(distDir) {
  const script = `
    import { readdir, readFile } from 'node:fs/promises';
    import { gunzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
    const dir = ${JSON.stringify(dir)};
    const names = (await readdir(dir)).filter((n) => n.endsWith('.tgz')).sort();
    const tarballs = await Promise.all(names.map(async (n) => new Uint8Array(await readFile(dir + '/' + n))));
    const start = process.cpuUsage();
    if (${JSON.stringify(distDir)} === '') for (const b of tarballs) gunzipSync(b);
    else {
      const { checkTarballEntries } = await import(${JSON.stringify(distDir === '' ? '' : pathToFileURL(join(resolve(distDir), 'src', 'tarball-entries.js')).href)});
      for (const b of tarballs) await checkTarballEntries('p', '1.0.0', 'r', b);
    }
    const u = process.cpuUsage(start);
    process.stdout.write(String((u.user + u.system) / 1e6));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return Number(out);
}

if (warm) {
  // one untimed pass each: module loading and first compilation are not what a warm round compares
  await walkAll(walkers.A);
  await walkAll(walkers.B);
}
const loadStart = os.loadavg()[0];
const results = { A: [], B: [], inflate: [] };
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
  for (const side of order) {
    if (warm) {
      const { seconds, refused } = await walkAll(walkers[side]);
      results[side].push(seconds);
      if (r === 0) process.stderr.write(`${side}: ${refused} of ${tarballs.length} tarballs refused\n`);
    } else {
      results[side].push(freshWalk(side === 'A' ? aDir : bDir));
    }
  }
  results.inflate.push(warm ? inflateAll() : freshWalk(''));
  process.stderr.write(`round ${r + 1}: A ${results.A[r].toFixed(3)} s, B ${results.B[r].toFixed(3)} s, inflate alone ${results.inflate[r].toFixed(3)} s\n`);
}
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const paired = median(results.A.map((a, i) => results.B[i] / a));
const lines = [
  `${tarballs.length} tarballs of ${cache}, ${rounds} rounds, ${warm ? 'in this process after one untimed pass per side' : 'each walk in a fresh process'}, load ${loadStart.toFixed(2)} -> ${os.loadavg()[0].toFixed(2)} (${os.cpus().length} CPUs), node ${process.version}`,
  `A ${aDir}: median ${median(results.A).toFixed(3)} s CPU per walk of every tarball (rounds ${results.A.map((x) => x.toFixed(3)).join(', ')})`,
  `B ${bDir}: median ${median(results.B).toFixed(3)} s (rounds ${results.B.map((x) => x.toFixed(3)).join(', ')})`,
  `B / A: ${(median(results.B) / median(results.A)).toFixed(3)} of the medians, ${paired.toFixed(3)} paired`,
  `inflate alone (gunzipSync of every tarball${warm ? '' : ', fresh process'}): median ${median(results.inflate).toFixed(3)} s`,
];
if (declined !== undefined) lines.push(`declined by plain-ustar.js (walked by node-tar): ${declined.length}${declined.length ? `: ${declined.join(', ')}` : ''}`);
process.stdout.write(`${lines.join('\n')}\n`);
