// Warm InstallVerifier sessions of two checkouts in ONE process, interleaved: CPU (process.cpuUsage) and wall time
// per session, medians: what checkout B adds to the verification work alone, with less noise than whole installs.
// Usage: node bench/ab/warm-session.mjs <checkout A> <checkout B> [runs=21]. A checkout before ADR 0011 takes cacheDir.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const [A, B, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 21);
const { createBenchWorld } = await import(join(B, 'bench/lib/world.mjs'));
const { tarballFile, targetPathFor } = await import(join(B, 'packages/registry/dist/src/index.js'));
const VA = (await import(join(A, 'packages/verify/dist/src/index.js'))).InstallVerifier;
const VB = (await import(join(B, 'packages/verify/dist/src/index.js'))).InstallVerifier;
const base = await mkdtemp(join(tmpdir(), 'tb-abs-'));
const world = await createBenchWorld({ packages: 520 });
const pkgs = world.closure.map((k) => ({ name: k.slice(0, k.lastIndexOf('@')), version: k.slice(k.lastIndexOf('@') + 1) }));
const tarballs = await Promise.all(pkgs.map((p) => readFile(tarballFile(world.registry.dir, targetPathFor(p.name, p.version)))));
const projectDir = await mkdtemp(join(base, 'project-'));
await world.registry.writeTrustedRoot(projectDir);
const median = (v) => { const s = [...v].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
async function session(V, opts) {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  const v = await V.open({ projectDir, registryUrl: world.registry.url, ...opts });
  await v.resolveAll(pkgs);
  for (let i = 0; i < pkgs.length; i++) await v.verifyTarball(pkgs[i].name, pkgs[i].version, tarballs[i]);
  await v.saveMachineCache();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}
const dirA = join(base, 'stateA'), dirB = join(base, 'stateB');
const optsA = { cacheDir: dirA, stateDir: dirA }, optsB = { stateDir: dirB };
await session(VA, optsA); await session(VB, optsB); // cold
const r = { A: { wall: [], cpu: [] }, B: { wall: [], cpu: [] } };
for (let i = 0; i < runs; i++) {
  for (const [k, V, o] of i % 2 ? [['B', VB, optsB], ['A', VA, optsA]] : [['A', VA, optsA], ['B', VB, optsB]]) {
    const s = await session(V, o); r[k].wall.push(s.wall); r[k].cpu.push(s.cpu);
  }
}
const out = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { wallMedian: +median(v.wall).toFixed(1), cpuMedian: +median(v.cpu).toFixed(1) }]));
console.log(JSON.stringify({ runs, packages: pkgs.length, ...out }));
await world.registry.close();
await rm(base, { recursive: true, force: true });
