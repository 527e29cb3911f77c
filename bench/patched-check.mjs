// The 'realistic' bench world's patched packages, checked and measured (issue 20):
//   1. the bench project's yarn.lock holds Yarn's builtin compat `patch:` locators (resolve, typescript);
//   2. a cold `yarn install` with the plugin binds the archives Yarn built in that install from the verified
//      base archives without a second build (it prints "patched archive(s) built in this install ... bound
//      without a second build" and no "archive(s) without a pinned binding were rebuilt", ADR 0027), a warm
//      one uses the sealed binding of ADR 0020 and prints neither; the check throws otherwise;
//   3. cold and warm installs, plain vs plugin, alternating, the plugin/plain ratio of medians (wall, CPU).
// Usage: node bench/patched-check.mjs [--packages 120] [--runs 3]
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setup } from './macro-yarn.mjs';
import { progress, summarize } from './lib/stats.mjs';
import { createBenchWorld } from './lib/world.mjs';

const REBUILT = /TUF: (\d+) archive\(s\) without a pinned binding were rebuilt/;
const BUILT_HERE = /TUF: (\d+) patched archive\(s\) built in this install from verified base archives were bound without a second build/;
const { values } = parseArgs({ options: { packages: { type: 'string', default: '120' }, runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const load = [loadavg()[0]];
const world = await createBenchWorld({ packages: Number(values.packages), profile: 'realistic' });
const base = await mkdtemp(join(tmpdir(), 'tufpm-bench-patched-'));
try {
  const { plain, tufpm } = await setup(base, world, 'pnp');
  const lock = await readFile(join(tufpm.dir, 'yarn.lock'), 'utf8');
  const patched = [...lock.matchAll(/resolution: "((?:resolve|typescript)@patch:[^"\n]+)"/g)].map((m) => m[1]);
  if (!patched.some((l) => l.startsWith('resolve@')) || !patched.some((l) => l.startsWith('typescript@'))) throw new Error(`yarn.lock holds no patch: locator for resolve and typescript:\n${lock.split('\n').filter((l) => /resolve|typescript/.test(l)).join('\n')}`);
  const sides = { plain, tufpm };
  const wall = { cold: { plain: [], tufpm: [] }, warm: { plain: [], tufpm: [] } };
  const cpu = { cold: { plain: [], tufpm: [] }, warm: { plain: [], tufpm: [] } };
  const rebuilt = { cold: [], warm: [] };
  const builtHere = { cold: [], warm: [] };
  for (const kind of ['cold', 'warm']) {
    for (let round = 0; round < runs; round++) {
      for (const name of round % 2 === 0 ? ['plain', 'tufpm'] : ['tufpm', 'plain']) {
        if (kind === 'cold') await sides[name].newMachine();
        await sides[name].removeInstallArtifacts();
        const { ms, cpuMs, stdout } = await sides[name].install();
        wall[kind][name].push(ms);
        if (cpuMs !== undefined) cpu[kind][name].push(cpuMs);
        if (name === 'tufpm') rebuilt[kind].push(Number(REBUILT.exec(stdout)?.[1] ?? 0));
        if (name === 'tufpm') builtHere[kind].push(Number(BUILT_HERE.exec(stdout)?.[1] ?? 0));
        progress(`${kind} ${name} #${round + 1}: ${(ms / 1000).toFixed(2)} s`);
      }
    }
  }
  load.push(loadavg()[0]);
  if (rebuilt.cold.some((n) => n !== 0)) throw new Error(`a cold install with the plugin built patched archives a second time: ${rebuilt.cold}`);
  if (builtHere.cold.some((n) => n !== patched.length)) throw new Error(`a cold install with the plugin did not bind the ${patched.length} patched archives Yarn built: ${builtHere.cold}`);
  if (rebuilt.warm.some((n) => n !== 0) || builtHere.warm.some((n) => n !== 0)) throw new Error(`a warm install with the plugin built or rebuilt patched archives: ${rebuilt.warm} / ${builtHere.warm}`);
  const ratio = (m) => (summarize(m.tufpm).median / summarize(m.plain).median).toFixed(2);
  const med = (list) => (summarize(list).median / 1000).toFixed(2);
  console.log(`closure ${world.closure.length} package versions, ${world.claimedRoles} claimed roles, ${world.bins} bins; ${runs} runs per side; load average ${load.map((l) => l.toFixed(2)).join(' -> ')}`);
  console.log(`yarn.lock patch locators: ${patched.join(' | ')}`);
  console.log(`archives rebuilt per plugin install: cold ${rebuilt.cold.join(',')}; warm ${rebuilt.warm.join(',')}; patched archives bound as built in the install: cold ${builtHere.cold.join(',')}; warm ${builtHere.warm.join(',')}`);
  console.log('| install | plain wall s | plugin wall s | wall ratio | plain CPU s | plugin CPU s | CPU ratio |');
  console.log('|---|---|---|---|---|---|---|');
  for (const kind of ['cold', 'warm']) {
    console.log(`| ${kind} | ${med(wall[kind].plain)} | ${med(wall[kind].tufpm)} | ${ratio(wall[kind])} | ${med(cpu[kind].plain)} | ${med(cpu[kind].tufpm)} | ${ratio(cpu[kind])} |`);
  }
} finally {
  await world.close();
  await rm(base, { recursive: true, force: true });
}
