#!/usr/bin/env node
// `npm run bench:role-checks`: only the role-check part of the micro bench (issue 20), for trying a change
// to the client's per-role path without the rest of `npm run bench`. Prints role checks per CPU second beside
// the ceiling (key import + one ed25519 verify per role, on the same roles in the same runs) and the share,
// and writes bench/results/role-checks.json and role-checks.md. Environment: BENCH_ROLES (default 1000), BENCH_RUNS (default 9),
// BENCH_ROLE_CUSTOM=1 (roles as tufpm-repo signs them: custom.npm in every tarball target and a release index; writes
// role-checks-custom.*).
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { roleChecks } from './micro.mjs';
import { buildPerPackageRepository } from './lib/micro-repo.mjs';
import { progress, round } from './lib/stats.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const count = (name, fallback) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
};
const roles = count('BENCH_ROLES', 1000);
const runs = count('BENCH_RUNS', 9);
progress(`role checks: building ${roles} per-package roles (one new ed25519 key each)`);
const signedCustom = process.env.BENCH_ROLE_CUSTOM === '1';
const repo = buildPerPackageRepository({ packages: roles, signedCustom });
const loadavgStart = os.loadavg();
const c = roleChecks(repo, runs);
const loadavgEnd = os.loadavg();
const pct = (s) => `${round(100 * s.median, 1)} % (runs ${round(100 * s.min, 1)}-${round(100 * s.max, 1)} %)`;
const lines = [
  `roles: ${roles}${signedCustom ? ' (custom.npm and a release index, as tufpm-repo signs them)' : ''}, avg ${Math.round(c.avgRoleBytes)} B, runs: ${runs}, load average ${loadavgStart.map((x) => x.toFixed(2)).join(' ')} -> ${loadavgEnd.map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)`,
  `ceiling (key import + verify alone): ${Math.round(c.ceilingRolesPerCpuSecond.median)} roles per CPU second (${round(c.ceilingCpuUsPerRole.median, 1)} µs/role)`,
  `role checks (Metadata.parse + verifyDelegate): ${Math.round(c.rolesPerCpuSecond.median)} per CPU second (${round(c.cpuUsPerRole.median, 1)} µs/role): ${pct(c.ofCeiling)} of the ceiling (target ≥ 90 %)`,
  `TrustedMetadataSet.updateDelegatedTargets (every TUF 5.6 check): ${Math.round(c.trustedSetRolesPerCpuSecond.median)} per CPU second: ${pct(c.trustedSetOfCeiling)} of the ceiling`,
  `breakdown (wall, µs/role): parse ${round(c.parseUsPerRole.median, 1)}, signature check with cold keys ${round(c.canonicalAndVerifyUsPerRole.median, 1)}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
const out = process.env.BENCH_OUT ?? join(HERE, 'results');
await mkdir(out, { recursive: true });
const at = new Date().toISOString();
const stem = signedCustom ? 'role-checks-custom' : 'role-checks';
await writeFile(join(out, `${stem}.json`), `${JSON.stringify({ at, node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadavgStart, loadavgEnd, roles, signedCustom, runs, result: c }, null, 2)}\n`);
await writeFile(join(out, `${stem}.md`), `# Role checks per CPU second beside the ceiling (\`npm run bench:role-checks\`)\n\n${at}, node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}\n\n${lines.map((l) => `- ${l}`).join('\n')}\n`);
progress(`wrote ${join(out, `${stem}.json`)} and ${stem}.md`);
