import { type Io, UsageError, list, openRepo, parse, print, readSigners } from './common.js';

export const usage = `usage: tufpm-repo refresh-expiry ROLE|online|bins|all [--sign-key PRIVATE_KEY ...]
    (--dir|--registry) --keys KEYS_DIR
  Gives the role(s) a new expiry (now + the configured duration) and version, re-signs them, and
  signs a new snapshot and timestamp. online = unclaimed and its bins; all = every registry-signed
  role (root, targets, unclaimed, bins, snapshot, timestamp). A package role is refreshed by name,
  with its maintainers' --sign-key.`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, { 'sign-key': { type: 'string', multiple: true } }, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const repo = await openRepo(p, usage);
  const res = await repo.refreshExpiry(p.positionals[0]!, { signers: await readSigners(list(p, 'sign-key')) });
  const lines = Object.entries(res);
  print(io, p, lines.length > 12
    ? `refreshed ${lines.length} roles; timestamp expires ${res['timestamp']}`
    : lines.map(([k, v]) => `${k} expires ${v}`).join('\n'), res);
  return 0;
}
