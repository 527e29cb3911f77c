import Arborist from '@npmcli/arborist';
import pickManifest from 'npm-pick-manifest';
import type { NpmConfig } from './config.js';
import { arboristOptions, openVerifier } from './install.js';
import type { Progress } from './progress.js';
import { arboristsPacote, withReleaseListGuard } from './release-guard.js';
import type { Output } from './report.js';

export interface OutdatedEntry {
  current: string | null;
  wanted: string;
  latest: string;
  dependent: string;
  location: string | null;
}

/**
 * `tufpm-npm outdated`: npm outdated's current / wanted / latest for the project's direct dependencies (or
 * the names given). Each packument is fetched by the pacote Arborist uses and compared with the package's
 * signed release list (ADR 0013) before a version is picked from it, so `wanted` and `latest` are signed
 * versions and `latest` the signed dist-tag: a registry cannot hide a fix or advertise an unsigned version
 * here either. `before` / `min-release-age` apply as in npm. Exit 1 when something is outdated, as npm.
 */
export async function runOutdated(config: NpmConfig, names: string[], io: { out: Output; json: boolean }, progress: Progress): Promise<number> {
  const verifier = await openVerifier(config, progress);
  progress.done();
  const options = arboristOptions(config);
  const tree = await new Arborist(options).loadActual();
  const pacote = arboristsPacote();
  const before = options['before'] instanceof Date ? options['before'] : undefined;
  const result: Record<string, OutdatedEntry> = {};
  const edges = [...tree.edgesOut.values()]
    .filter((edge) => names.length === 0 || names.includes(edge.name))
    .filter((edge) => !(edge.to?.isWorkspace ?? false) && !(edge.to?.isLink ?? false))
    .sort((a, b) => a.name.localeCompare(b.name));
  await withReleaseListGuard(
    verifier,
    async () => {
      for (const edge of edges) {
        // an alias (npm:real@1) names the real package; other non-registry specs have no registry versions
        const alias = /^npm:((?:@[^/@]+\/)?[^@]+)(?:@(.*))?$/.exec(edge.spec);
        const name = alias ? alias[1]! : edge.name;
        const range = alias ? (alias[2] ?? '*') : edge.spec;
        if (/^(git|file|https?|github):|\//.test(range)) continue;
        const packument = await pacote.packument(name, { ...options, fullMetadata: before !== undefined });
        const pick = (spec: string): string => pickManifest(packument, spec, { ...options, ...(before ? { before } : {}) }).version;
        const wanted = pick(range);
        const latest = pick('latest');
        const current = edge.to?.version ?? null;
        if (current !== wanted || current !== latest) {
          result[edge.name] = { current, wanted, latest, dependent: tree.packageName, location: edge.to ? edge.to.path : null };
        }
      }
    },
    before === undefined ? {} : { before },
  );
  if (io.json) io.out.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else if (Object.keys(result).length > 0) {
    const rows = [['Package', 'Current', 'Wanted', 'Latest', 'Depended by'], ...Object.entries(result).map(([n, e]) => [n, e.current ?? 'MISSING', e.wanted, e.latest, e.dependent])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    io.out.stdout(`${rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')}\n`);
  }
  return Object.keys(result).length === 0 ? 0 : 1;
}
