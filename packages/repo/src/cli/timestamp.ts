import { type Io, UsageError, openRepo, parse, print } from './common.js';

export const usage = `usage: tufpm-repo timestamp (--dir|--registry) --keys KEYS_DIR
  Signs a new timestamp for the current snapshot (run it well within the timestamp expiry).`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, {}, usage);
  if (p.positionals.length !== 0) throw new UsageError(usage);
  const res = await (await openRepo(p, usage)).timestamp();
  print(io, p, `timestamp v${res.timestamp}`, res);
  return 0;
}
