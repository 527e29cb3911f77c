import { type Io, UsageError, openRepo, parse, print } from './common.js';

export const usage = `usage: tufpm-repo status (--dir|--registry) --keys KEYS_DIR [--json]
  Per role: version, expiry, signatures present vs threshold, missing signatures.
  Exits 1 when some role is expired or under its threshold.`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, {}, usage);
  if (p.positionals.length !== 0) throw new UsageError(usage);
  const s = await (await openRepo(p, usage)).status();
  const lines = s.roles.map((r) =>
    `${r.name.padEnd(24)} v${String(r.version).padEnd(5)} expires ${r.expires}${r.expired ? ' EXPIRED' : ''}  ` +
    `${r.signedBy.length}/${r.threshold} signatures${r.verified ? '' : ' UNDER THRESHOLD'}` +
    (r.missing.length > 0 ? `  missing: ${r.missing.join(', ')}` : '') +
    (r.crossSigned === false ? '  NOT CROSS-SIGNED by the previous root' : ''));
  const b = s.bins;
  lines.push(`${`${b.namePrefix}-* (${b.count})`.padEnd(24)} v${b.minVersion}..v${b.maxVersion} earliest expiry ${b.earliestExpiry}, ${b.targets} targets` +
    (b.expired.length > 0 ? `, ${b.expired.length} EXPIRED` : '') + (b.unverified.length > 0 ? `, ${b.unverified.length} UNDER THRESHOLD` : ''));
  lines.push(s.healthy ? 'healthy' : 'NOT HEALTHY');
  print(io, p, lines.join('\n'), s);
  return s.healthy ? 0 : 1;
}
