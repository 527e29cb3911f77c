import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { type Io, UsageError, metadataDir, openRepo, parse, print, str } from './common.js';

export const usage = `usage: tufpm-repo status (--dir|--registry) --keys KEYS_DIR [--json]
  Per role: version, expiry, signatures present vs threshold, missing signatures. With a registry
  directory (--registry, or a --dir that is its tuf/metadata): signed tarballs whose file is missing,
  tarballs no role signs, links, and publishes a killed registry left half done.
  Exits 1 when some role is expired or under its threshold, or something is orphaned.`;

/** The registry directory: --registry, or the one whose tuf/metadata --dir is (the registry layout). */
function registryDirOf(p: ReturnType<typeof parse>, metadata: string): string | undefined {
  if (str(p, 'registry') !== undefined) return dirname(dirname(metadata));
  const tuf = dirname(metadata);
  if (basename(metadata) === 'metadata' && basename(tuf) === 'tuf' && existsSync(`${dirname(tuf)}/packages`)) return dirname(tuf);
  return undefined;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, {}, usage);
  if (p.positionals.length !== 0) throw new UsageError(usage);
  const registryDir = registryDirOf(p, metadataDir(p, usage));
  const s = await (await openRepo(p, usage)).status(registryDir === undefined ? {} : { registryDir });
  const lines = s.roles.map((r) =>
    `${r.name.padEnd(24)} v${String(r.version).padEnd(5)} expires ${r.expires}${r.expired ? ' EXPIRED' : ''}  ` +
    `${r.signedBy.length}/${r.threshold} signatures${r.verified ? '' : ' UNDER THRESHOLD'}` +
    (r.missing.length > 0 ? `  missing: ${r.missing.join(', ')}` : '') +
    (r.crossSigned === false ? '  NOT CROSS-SIGNED by the previous root' : ''));
  const b = s.bins;
  lines.push(`${`${b.namePrefix}-* (${b.count})`.padEnd(24)} v${b.minVersion}..v${b.maxVersion} earliest expiry ${b.earliestExpiry}, ${b.targets} targets` +
    (b.expired.length > 0 ? `, ${b.expired.length} EXPIRED` : '') + (b.unverified.length > 0 ? `, ${b.unverified.length} UNDER THRESHOLD` : ''));
  const o = s.orphans;
  if (o !== undefined) {
    const kinds: Array<[keyof typeof o.counts, string, string[]]> = [
      ['signedWithoutFile', 'signed targets WITHOUT THEIR FILE', o.signedWithoutFile],
      ['filesWithoutTarget', 'tarballs NO ROLE SIGNS', o.filesWithoutTarget],
      ['links', 'SYMBOLIC LINKS below packages/', o.links],
      ['interruptedPublishes', 'INTERRUPTED PUBLISHES (finished at the registry\'s next start)', o.interruptedPublishes],
    ];
    const bad = kinds.filter(([k]) => (o.counts[k] ?? 0) > 0);
    if (bad.length === 0) lines.push(`registry ${o.registryDir}: every signed tarball has its file, every tarball is signed`);
    for (const [k, what, list] of bad) lines.push(`registry: ${o.counts[k]} ${what}: ${list.join(', ')}${(o.counts[k] ?? 0) > list.length ? ', ...' : ''}`);
  }
  lines.push(s.healthy ? 'healthy' : 'NOT HEALTHY');
  print(io, p, lines.join('\n'), s);
  return s.healthy ? 0 : 1;
}
