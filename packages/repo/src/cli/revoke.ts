import { type Io, UsageError, int, openRepo, parse, print, resolveKeyid } from './common.js';

export const usage = `usage: tufpm-repo revoke PACKAGE KEY [--threshold N] (--dir|--registry) --keys KEYS_DIR
  Removes a (compromised) maintainer key from a claimed package's delegation (signed by the targets
  key), then signs a new snapshot and timestamp. KEY: keyid, unique prefix, or key file.`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, { threshold: { type: 'string' } }, usage);
  if (p.positionals.length !== 2) throw new UsageError(usage);
  const [pkg, keyArg] = p.positionals as [string, string];
  const repo = await openRepo(p, usage);
  const claimed = repo.claimedRole(pkg);
  const keyid = await resolveKeyid(keyArg, claimed?.keyids ?? [], `package ${pkg}`).catch((err: unknown) => {
    // An unknown package is the clearer error than "no such key in it".
    if (claimed === undefined && /^[0-9a-f]{8,64}$/.test(keyArg)) return keyArg;
    throw err;
  });
  const t = int(p, 'threshold', usage);
  const res = await repo.revokeKey(pkg, keyid, t === undefined ? {} : { threshold: t });
  print(io, p, `revoked ${keyid} from ${pkg}: now ${res.threshold} of ${res.keyids.join(', ')} (targets v${res.targetsVersion})`, res);
  return 0;
}
