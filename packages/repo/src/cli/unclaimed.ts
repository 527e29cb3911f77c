import { type Io, UsageError, openRepo, parse, print } from './common.js';

export const usage = `usage: tufpm-repo unclaimed NAME[@VERSION] (--dir|--registry) --keys KEYS_DIR [--json]
  Shows which role covers a package: its own role if claimed, else the unclaimed hash bin of each
  signed version (and of VERSION, if given).`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, {}, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const spec = p.positionals[0]!;
  const at = spec.lastIndexOf('@');
  const [name, version] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
  const repo = await openRepo(p, usage);
  const c = repo.coverage(name, version);
  const lines = [c.claimed ? `${name} is claimed: role ${name}, ${c.threshold} of ${c.keyids!.join(', ')}` : `${name} is not claimed: covered by unclaimed bins`];
  for (const t of c.targets) lines.push(`  ${t.path} -> ${t.role}`);
  if (c.binForVersion !== undefined) lines.push(`  version ${c.binForVersion.version}: ${c.binForVersion.path} -> ${c.binForVersion.role}`);
  print(io, p, lines.join('\n'), c);
  return 0;
}
