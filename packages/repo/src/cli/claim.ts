import { type Io, UsageError, openRepo, parse, print } from './common.js';

export const usage = `usage: tufpm-repo claim (--dir|--registry) --keys KEYS_DIR [--json]
  Lists the claimed packages in delegation (trust) order with their keys and thresholds.`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, {}, usage);
  if (p.positionals.length !== 0) throw new UsageError(usage);
  const repo = await openRepo(p, usage);
  const rows = repo.claimedPackages().map((r) => ({
    name: r.name, threshold: r.threshold, keyids: [...r.keyids], paths: r.paths ?? [],
    version: repo.repo.targetsRole(r.name).signed.version, targets: repo.repo.targetsRole(r.name).signed.targets.size,
  }));
  print(io, p, rows.length === 0 ? 'no claimed packages' :
    rows.map((r) => `${r.name} v${r.version}: ${r.threshold} of ${r.keyids.join(', ')} (${r.targets} targets)`).join('\n'), rows);
  return 0;
}
