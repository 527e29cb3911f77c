// Markdown for the real-tree and network parts: per network condition, one row per client and cache state,
// plain vs tufpm medians (wall, CPU, peak memory) and their ratios, judged against issue 20's targets:
// Yarn cold <= 1.05, Yarn warm <= 1.10, tufpm-npm ci never slower than npm ci (<= 1.00), peak memory
// within 15 % of plain. Judged on the CPU ratio (wall time on a shared machine moves with others' load);
// the wall ratio is beside it.
import { median, round } from '../lib/stats.mjs';

const LABEL = { 'yarn-node-modules': 'Yarn node-modules', 'yarn-pnp': 'Yarn PnP', npm: 'npm ci → tufpm-npm ci' };

export function targetFor(client, kind) {
  if (client === 'npm') return 1.0;
  return kind === 'cold' ? 1.05 : 1.1;
}
export const MEMORY_TARGET = 1.15;

const s = (ms) => (typeof ms === 'number' && Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'n/a');
const mib = (x) => (typeof x === 'number' && Number.isFinite(x) ? `${x.toFixed(0)} MiB` : 'n/a');
const r = (x) => (typeof x === 'number' ? x.toFixed(3) : 'n/a');
/**
 * Median over rounds of tufpm / plain CPU within the same round (the two installs ran back to back), which
 * a drift in the machine's load between rounds moves less than the ratio of the two medians.
 */
export function pairedCpuRatio(m) {
  const n = Math.min(m.plain.runs.length, m.tufpm.runs.length);
  const ratios = [];
  for (let i = 0; i < n; i++) if (m.plain.runs[i].cpuMs > 0) ratios.push(m.tufpm.runs[i].cpuMs / m.plain.runs[i].cpuMs);
  return ratios.length > 0 ? round(median(ratios), 3) : undefined;
}

const verdict = (x, target) => (typeof x !== 'number' ? 'n/a' : x <= target ? 'met' : `not met (+${round((x - target) * 100, 1)} points)`);

export function renderRealTree(result) {
  const lines = [
    `# tufpm bench: ${result.benchmark.replace('tufpm ', '')} part`,
    '',
    `Run ${result.startedAt} (${result.durationS} s), commit \`${result.machine.commit}\`. ${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}, npm ${result.machine.npm}, Yarn ${result.machine.yarn}. ` +
      `Load average at start ${result.machine.loadavgStart.join(' / ')}, at end ${result.machine.loadavgEnd.join(' / ')}.`,
    '',
    `Tree: bench/real-tree/package-lock.json, ${result.tree.closure} package versions (tarballs from the npm registry, imported with \`tufpm-repo import\` in ${result.tree.importS} s; ${result.tree.profile}), served by \`tufpm-registry\` behind the bench's network proxy. ` +
      `${result.config.runs.cold} cold and ${result.config.runs.warm} warm rounds per side, alternating plain / tufpm; medians. Ratio = tufpm / plain in this run. ` +
      'Targets are judged on the **CPU** ratio (user + sys of the install process; the machine is shared, so wall time moves with other load); the wall ratio is beside it. ' +
      'The paired CPU ratio is the median over rounds of tufpm / plain within one round (back-to-back installs), less moved by load drifting between rounds; with few rounds under heavy load both move by ±10 points or more.',
    '',
    ...(result.complete === false ? ['**Partial**: the run was cut short; only the rows below were measured.', ''] : []),
  ];
  for (const [condition, byClient] of Object.entries(result.results)) {
    const c = result.config.conditions.find((x) => x.name === condition);
    lines.push(`## ${condition}${c && c.rttMs > 0 ? ` (round trip ${c.rttMs} ms per request, ${c.mbit} Mbit/s shared cap)` : ' (no added latency)'}`, '');
    lines.push('| install | plain wall | tufpm wall | wall ratio | plain CPU | tufpm CPU | CPU ratio | paired CPU ratio | target | CPU verdict | plain peak RSS | tufpm peak RSS | RSS ratio |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const [client, kinds] of Object.entries(byClient)) {
      for (const kind of ['cold', 'warm']) {
        const m = kinds[kind];
        const target = targetFor(client, kind);
        lines.push(`| ${LABEL[client] ?? client}, ${kind} | ${s(m.plain.wallMs)} | ${s(m.tufpm.wallMs)} | ${r(m.ratios.wall)} | ${s(m.plain.cpuMs)} | ${s(m.tufpm.cpuMs)} | ${r(m.ratios.cpu)} | ${r(pairedCpuRatio(m))} | ≤ ${target.toFixed(2)} | ${verdict(m.ratios.cpu, target)} | ${mib(m.plain.maxRssMiB)} | ${mib(m.tufpm.maxRssMiB)} | ${r(m.ratios.maxRss)}${client.startsWith('yarn') ? ` (${verdict(m.ratios.maxRss, MEMORY_TARGET)})` : ''} |`);
      }
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
