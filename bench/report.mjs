// Turns the raw measurements into rows (JSON) and a Markdown table. Targets are REPORTED (met: yes/no),
// never asserted: the bench exits non-zero only when a run itself fails.
import { round, runsFor } from './lib/stats.mjs';

export const TARGETS = {
  coldOverheadPct: 5,
  warmOverheadPct: 15,
  roleChecksPerSec: 10_000,
};

const notRun = (reason) => ({ status: 'not run', reason });

/** One install comparison row: plugin/baseline from the same bench run. */
function installRow(id, scenario, part, kind, status) {
  const limit = kind === 'cold' ? TARGETS.coldOverheadPct : TARGETS.warmOverheadPct;
  const target = `overhead ≤ ${limit} %`;
  if (part === undefined) return { id, scenario, target, ...(status ?? notRun('not measured')) };
  const m = part[kind];
  const baseline = m.plain.median;
  const tufpm = m.tufpm.median;
  const ratio = tufpm / baseline;
  const overheadPct = (ratio - 1) * 100;
  return {
    id,
    scenario,
    status: 'ok',
    unit: 'ms',
    baseline: round(baseline, 0),
    tufpm: round(tufpm, 0),
    baselineRuns: m.plain.values.map((v) => round(v, 0)),
    tufpmRuns: m.tufpm.values.map((v) => round(v, 0)),
    ratio: round(ratio, 3),
    overheadPct: round(overheadPct, 1),
    ...(m.cpu ? { cpuBaseline: round(m.cpu.plain.median, 0), cpuTufpm: round(m.cpu.tufpm.median, 0), cpuRatio: round(m.cpu.tufpm.median / m.cpu.plain.median, 3) } : {}),
    target,
    met: overheadPct <= limit,
  };
}

/** Verification time measured in-process, as a share of the plain install's wall time. */
function shareRow(id, scenario, verifyMs, plainMs, kind, note) {
  const limit = kind === 'cold' ? TARGETS.coldOverheadPct : TARGETS.warmOverheadPct;
  const target = `≤ ${limit} % of plain install`;
  if (verifyMs === undefined || plainMs === undefined) return { id, scenario, target, ...notRun('a part it needs was not run') };
  const sharePct = (verifyMs / plainMs) * 100;
  return { id, scenario, status: 'ok', verifyMs: round(verifyMs, 0), plainMs: round(plainMs, 0), sharePct: round(sharePct, 1), target, met: sharePct <= limit, ...(note ? { note } : {}) };
}

function metricRow(id, measure, value, unit, { target, met, note } = {}) {
  return { id, measure, status: 'ok', value, unit, ...(target ? { target, met } : {}), ...(note ? { note } : {}) };
}

export function buildRows({ micro, yarn, npm, verifier, publish, statuses, world }) {
  const pkgs = world?.closure;
  const linker = yarn?.linker === 'node-modules' ? 'node-modules' : 'PnP';
  const install = [
    installRow('yarn-cold', `yarn install, cold (${linker}, ${pkgs ?? '?'} packages)`, yarn, 'cold', statuses.yarn),
    installRow('yarn-warm', `yarn install, warm (${linker}, ${pkgs ?? '?'} packages)`, yarn, 'warm', statuses.yarn),
    installRow('npm-cold', `npm ci → tufpm-npm ci, cold (${pkgs ?? '?'} packages)`, npm, 'cold', statuses.npm),
    installRow('npm-warm', `npm ci → tufpm-npm ci, warm (${pkgs ?? '?'} packages)`, npm, 'warm', statuses.npm),
  ];

  const share = [];
  for (const kind of ['cold', 'warm']) {
    share.push(shareRow(`verifier-yarn-${kind}`, `InstallVerifier (in-process), ${kind}, vs plain yarn install`, verifier?.[kind].totalMs.median, yarn?.[kind].plain.median, kind));
    share.push(shareRow(`verifier-npm-${kind}`, `InstallVerifier (in-process), ${kind}, vs plain npm ci`, verifier?.[kind].totalMs.median, npm?.[kind].plain.median, kind));
    // The plugin's own report sections are not a measure any more: its checks run beside Yarn's fetch step
    // (ADR 0008), so Yarn's section times show waiting, not work. They stay in latest.json (pluginReportedTuf).
  }

  const client = [];
  const cal = micro?.calibration;
  if (cal) {
    client.push(metricRow('calibration-verify', 'calibration: one ed25519 verify (node:crypto, key already imported)', round(cal.ed25519VerifyUs.median, 1), 'µs',
      { note: `${cal.messageBytes} B message; sha512 ${round(cal.sha512MBps.median, 0)} MB/s (DESIGN.md 4 measured 64 µs and 1023 MB/s on its machine)` }));
    client.push(metricRow('calibration-key-import', 'calibration: importing a new ed25519 public key, DER / JWK; SPKI export', `${round(cal.keyImportDerUs, 1)} / ${round(cal.keyImportJwkUs, 1)}; ${round(cal.spkiExportUs, 1)}`, 'µs',
      { note: 'every role signed by a key the process has not used yet pays one import (models imports JWK)' }));
    // What this CPU allows before tufpm does anything: a role check with a new key is at least one import
    // and one verify. The target is judged against the measured rate, never against this bound.
    const floorUs = cal.ed25519VerifyCpuUs ? cal.ed25519VerifyCpuUs.median + cal.keyImportJwkCpuUs : cal.ed25519VerifyUs.median + cal.keyImportJwkUs;
    const budgetUs = 1e6 / TARGETS.roleChecksPerSec - floorUs;
    client.push(metricRow('calibration-ceiling', 'ceiling on this machine: ed25519 verify + key import alone, nothing else (per CPU second; calibration, measured apart: the role-check rows use the ceiling measured beside them)', round(1e6 / floorUs, 0), 'roles/s',
      { note: `${round(floorUs, 1)} µs/role; ${TARGETS.roleChecksPerSec.toLocaleString('en-US')}/s leaves ${round(budgetUs, 1)} µs per role for parsing, checks and GC` }));
  }
  for (const c of micro?.roleChecks ?? []) {
    // Judged per CPU second: "on one core" means one core's worth of time, which wall time on a shared
    // machine is not. CPU time counts every thread of the process (V8's GC helpers too), so it is the
    // stricter of the two whenever the machine is idle.
    const rate = c.rolesPerCpuSecond.median;
    // Issue 20: judged beside this machine's ceiling (verify + key import alone), within 10 % of it, as
    // well as against the absolute target (which a slower machine cannot reach whatever the code does).
    // in CPU time when measured so (the rate is per CPU second); wall time under load would understate it
    // Since issue 20's paired measurement: the ceiling over the same roles (key import + verify alone), in
    // blocks alternating with the checks of the same run, and the share taken per run; older results fall
    // back to the calibration's ceiling.
    let ofCeiling = '';
    if (c.ofCeiling) {
      const share = c.ofCeiling.median;
      ofCeiling = `${round(100 * share, 1)} % (runs ${round(100 * c.ofCeiling.min, 1)}-${round(100 * c.ofCeiling.max, 1)} %) of the ceiling ${round(c.ceilingRolesPerCpuSecond.median, 0).toLocaleString('en-US')}/s measured beside it (same roles, same runs; target ≥ 90 %: ${share >= 0.9 ? 'met' : 'not met'}); `;
    } else {
      const ceiling = !cal ? undefined : cal.ed25519VerifyCpuUs ? 1e6 / (cal.ed25519VerifyCpuUs.median + cal.keyImportJwkCpuUs) : 1e6 / (cal.ed25519VerifyUs.median + cal.keyImportJwkUs);
      if (ceiling) ofCeiling = `${round((100 * rate) / ceiling, 1)} % of the ceiling ${round(ceiling, 0).toLocaleString('en-US')}/s (target ≥ 90 %: ${rate >= 0.9 * ceiling ? 'met' : 'not met'}); `;
    }
    client.push(metricRow(`role-checks-${c.roles}`, `per-package role checks per CPU second, ${c.roles} roles (strict parse + signed bytes + ed25519 verify, one new key per role)`, round(rate, 0), 'roles/s',
      { target: `≥ ${TARGETS.roleChecksPerSec.toLocaleString('en-US')}/s`, met: rate >= TARGETS.roleChecksPerSec,
        note: `${ofCeiling}${round(c.cpuUsPerRole.median, 1)} CPU µs/role; wall clock ${round(c.rolesPerSecond.median, 0)}/s (${round(c.usPerRole.median, 1)} µs/role); roles ${round(c.avgRoleBytes, 0)} B` }));
    client.push(metricRow(`role-checks-prepared-${c.roles}`, `same checks, keys already prepared (a delegator reused), ${c.roles} roles`, round(c.preparedKeysRolesPerSecond.median, 0), 'roles/s',
      { note: `${round(c.preparedKeysUsPerRole.median, 1)} µs/role: the difference is first use of each public key` }));
    client.push(metricRow(`trusted-set-${c.roles}`, `TrustedMetadataSet.updateDelegatedTargets (all TUF 5.6 checks), ${c.roles} roles`, round(c.trustedSetRolesPerSecond.median, 0), 'roles/s',
      { note: `${round(c.trustedSetUsPerRole.median, 1)} µs/role wall${c.trustedSetOfCeiling ? `; ${round(c.trustedSetRolesPerCpuSecond.median, 0).toLocaleString('en-US')} per CPU second, ${round(100 * c.trustedSetOfCeiling.median, 1)} % of the ceiling beside it` : ''}` }));
    client.push(metricRow(`role-breakdown-${c.roles}`, `breakdown, ${c.roles} roles: strict parse (Metadata.parse, signed bytes taken in place when canonical) / signature check (keys cold)`, `${round(c.parseUsPerRole.median, 1)} / ${round(c.canonicalAndVerifyUsPerRole.median, 1)}`, 'µs/role'));
  }
  for (const d of micro?.delegationLookup ?? []) {
    client.push(metricRow(`lookup-${d.roles}`, `delegation lookup (rolesForTarget), ${d.roles} roles`, round(d.usPerLookup.median, 2), 'µs/lookup',
      { note: `index built in ${round(d.indexBuildMs.median, 0)} ms; a linear scan compiling every pattern takes ${round(d.linearScanUsPerLookup, 0)} µs/lookup` }));
  }
  for (const u of micro?.updater ?? []) {
    client.push(metricRow(`updater-cold-${u.packages}`, `Updater session over loopback HTTP, cold cache, ${u.packages} packages`, round(u.cold.msPerPackage.median, 3), 'ms/package',
      { note: `${round(u.cold.bytesPerPackage, 0)} metadata B/package (${u.cold.requests} requests; snapshot ${u.snapshotBytes} B, targets ${u.targetsBytes} B)` }));
    client.push(metricRow(`updater-warm-${u.packages}`, `Updater session, warm cache (roles re-verified from disk), ${u.packages} packages`, round(u.warm.msPerPackage.median, 3), 'ms/package',
      { note: `${round(u.warm.bytesPerPackage, 2)} metadata B/package (${u.warm.requests} requests)` }));
  }
  const perPkg = (traffic, n) => (traffic?.tuf ? round(traffic.tuf.bytes / n, 0) : undefined);
  if (yarn && pkgs) {
    client.push(metricRow('bytes-yarn-cold', 'TUF metadata bytes per installed package, yarn cold', perPkg(yarn.cold.traffic.tufpm, pkgs), 'B/package', { note: `${yarn.cold.traffic.tufpm.tuf.requests} TUF requests for ${pkgs} packages` }));
    client.push(metricRow('bytes-yarn-warm', 'TUF metadata bytes per installed package, yarn warm', perPkg(yarn.warm.traffic.tufpm, pkgs), 'B/package', { note: `${yarn.warm.traffic.tufpm.tuf.requests} TUF requests` }));
  }
  if (npm && pkgs) {
    client.push(metricRow('bytes-npm-cold', 'TUF metadata bytes per installed package, tufpm-npm cold', perPkg(npm.cold.traffic.tufpm, pkgs), 'B/package', { note: `${npm.cold.traffic.tufpm.tuf.requests} TUF requests for ${pkgs} packages` }));
    client.push(metricRow('bytes-npm-warm', 'TUF metadata bytes per installed package, tufpm-npm warm', perPkg(npm.warm.traffic.tufpm, pkgs), 'B/package', { note: `${npm.warm.traffic.tufpm.tuf.requests} TUF requests` }));
  }
  if (statuses.micro) client.push({ id: 'micro', measure: 'micro benchmarks', ...statuses.micro });
  const publishRows = [];
  if (publish) {
    const base = publish.none.median;
    for (const mode of ['unclaimed', 'claimed']) {
      const what = mode === 'unclaimed' ? 'unclaimed package: signed into its bin, snapshot + timestamp re-signed' : 'claimed package: maintainer-signed role verified, snapshot + timestamp re-signed';
      publishRows.push({ id: `publish-${mode}`, scenario: `publish on the loopback registry, ${what}`, status: 'ok', baseline: round(base, 1), tufpm: round(publish[mode].median, 1), ratio: publish[mode].median / base, runs: publish.publishes });
    }
  } else if (statuses.publish) {
    publishRows.push({ id: 'publish', scenario: 'publish latency', ...statuses.publish });
  }
  return { install, share, client, publish: publishRows };
}

const cell = (v) => (v === undefined || v === null ? '' : String(v).replace(/\|/g, '\\|'));
const met = (row) => (row.status !== 'ok' ? '' : row.met === undefined ? '' : row.met ? 'yes' : '**no**');
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;

export function renderMarkdown(result) {
  const { rows, machine, config } = result;
  const out = [];
  out.push(`# tufpm benchmark results`, '');
  out.push(`Run ${result.startedAt} (${result.durationS} s${config.quick ? ', BENCH_QUICK' : ''}), commit \`${machine.commit}\`.`);
  out.push(`Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.totalMemGiB} GiB, ${machine.platform}/${machine.arch}, Node ${machine.node}, npm ${machine.npm}, Yarn ${machine.yarn}. ` +
    `Load average at start ${machine.loadavgStart.join(' / ')}, at end ${machine.loadavgEnd.join(' / ')}.`);
  // Busy: something else ran when the bench started, or the load at the end exceeds what the bench itself
  // puts on the machine (one install process plus the registry, about 1.5).
  const busy = machine.loadavgStart[0] > 1 || (machine.loadavgEnd?.[0] ?? 0) > machine.cpus + 1;
  if (busy) {
    out.push('', `**The machine was busy** (1-minute load average ${machine.loadavgStart[0]} at start, ${machine.loadavgEnd?.[0]} at end, on ${machine.cpus} CPUs): wall times are inflated and noisy; the CPU-time figures are steadier.`, '');
  }
  if (result.world) {
    const w = result.world;
    const profile = w.profile === 'claimed'
      ? `${w.claimedRoles} per-package delegated roles (every installed package has its own maintainer-signed role)`
      : `profile ${w.profile}: ${w.claimedRoles} claimed package roles, every other package in one of ${w.bins} registry-signed hash bins` +
        (w.profile === 'realistic' ? ', plus real resolve and typescript tarballs installed through Yarn\'s builtin patch: locators' : '');
    out.push(`Registry: ${w.packages} generated packages, install closure ${w.closure} package versions, ${profile}; ${runsFor('cold', config.runs)} cold and ${runsFor('warm', config.runs)} warm runs per side, medians.`);
  }
  out.push('', '## Install wall time: tufpm vs plain (same registry, same run)', '');
  out.push('| scenario | baseline median | tufpm median | ratio | overhead | target | met? | CPU time, baseline → tufpm (ratio) |', '|---|---|---|---|---|---|---|---|');
  for (const r of rows.install) {
    if (r.status !== 'ok') {
      out.push(`| ${cell(r.scenario)} | ${r.status}: ${cell(r.reason)} | | | | ${r.target} | | |`);
      continue;
    }
    const cpu = r.cpuRatio === undefined ? 'not measured' : `${secs(r.cpuBaseline)} → ${secs(r.cpuTufpm)} (${r.cpuRatio.toFixed(3)})`;
    out.push(`| ${cell(r.scenario)} | ${secs(r.baseline)} | ${secs(r.tufpm)} | ${r.ratio.toFixed(3)} | ${r.overheadPct >= 0 ? '+' : ''}${r.overheadPct.toFixed(1)} % | ${r.target} | ${met(r)} | ${cpu} |`);
  }
  const yarnRaw = result.raw?.yarn;
  if (yarnRaw?.cold.yarnSteps) {
    out.push('', '## Yarn\'s own step times (medians, as Yarn prints them)', '');
    out.push('The plugin starts its TUF session in `validateProject` (the refresh runs while Yarn resolves), checks the tree during the fetch step and writes `tufpm-lock.json` after linking: that last part is in Yarn\'s total but in no step. A step Yarn printed without a time counts as 0 (marked *).', '');
    out.push('| install | step | plain | tufpm | difference |', '|---|---|---|---|---|');
    for (const kind of ['cold', 'warm']) {
      for (const [name, sides] of Object.entries(yarnRaw[kind].yarnSteps)) {
        const fmt = (side) => `${Math.round(sides[side].median)} ms${sides[side].untimed > 0 ? '*' : ''}`;
        const label = name === 'total' ? 'total ("Done in")' : name;
        out.push(`| ${kind} | ${label} | ${fmt('plain')} | ${fmt('tufpm')} | ${Math.round(sides.tufpm.median - sides.plain.median)} ms |`);
      }
    }
  }
  out.push('', '## Verification time as a share of the plain install', '');
  out.push('| scenario | verification | plain install | share | target | met? |', '|---|---|---|---|---|---|');
  for (const r of rows.share) {
    if (r.status !== 'ok') out.push(`| ${cell(r.scenario)} | ${r.status}: ${cell(r.reason)} | | | ${r.target} | |`);
    else out.push(`| ${cell(r.scenario)}${r.note ? ` (${cell(r.note)})` : ''} | ${r.verifyMs} ms | ${r.plainMs} ms | ${r.sharePct.toFixed(1)} % | ${r.target} | ${met(r)} |`);
  }
  out.push('', '## Client cost per package', '');
  out.push('| measure | value | target | met? | note |', '|---|---|---|---|---|');
  for (const r of rows.client) {
    if (r.status !== 'ok') out.push(`| ${cell(r.measure)} | ${r.status}: ${cell(r.reason)} | | | |`);
    else out.push(`| ${cell(r.measure)} | ${typeof r.value === 'number' ? r.value.toLocaleString('en-US') : cell(r.value)} ${r.unit} | ${cell(r.target)} | ${met(r)} | ${cell(r.note)} |`);
  }
  if ((rows.publish ?? []).length > 0) {
    out.push('', '## Publish latency: TUF signing on publish vs none (same run)', '');
    out.push('| scenario | no TUF, median | with TUF, median | ratio | publishes |', '|---|---|---|---|---|');
    for (const r of rows.publish) {
      if (r.status !== 'ok') out.push(`| ${cell(r.scenario)} | ${r.status}: ${cell(r.reason)} | | | |`);
      else out.push(`| ${cell(r.scenario)} | ${r.baseline} ms | ${r.tufpm} ms | ${r.ratio.toFixed(2)} | ${r.runs} |`);
    }
  }
  if (result.errors.length > 0) {
    out.push('', '## Failed runs', '');
    for (const e of result.errors) out.push(`- **${e.part}**: ${cell(e.message.split('\n')[0])}`);
  }
  out.push('', 'Definitions and method: docs/benchmarks.md. Raw numbers (every run): latest.json.', '');
  return out.join('\n');
}
