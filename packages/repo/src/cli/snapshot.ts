import { type Io, UsageError, openRepo, parse, print } from './common.js';

export const usage = `usage: tufpm-repo snapshot (--dir|--registry) --keys KEYS_DIR
  Signs a new snapshot listing every targets role at its current version, and a new timestamp.`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, {}, usage);
  if (p.positionals.length !== 0) throw new UsageError(usage);
  const res = await (await openRepo(p, usage)).snapshot();
  print(io, p, `snapshot v${res.snapshot}, timestamp v${res.timestamp}`, res);
  return 0;
}
