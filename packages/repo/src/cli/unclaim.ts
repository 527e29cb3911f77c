import { type Io, UsageError, openRepo, parse, print } from './common.js';

export const usage = `usage: tufpm-repo unclaim NAME (--dir|--registry) --keys KEYS_DIR [--json]
  Hands a claimed package back to the registry-signed hash bins (ADR 0026), with the OFFLINE targets key:
  the top-level targets stops delegating to NAME's role and records a signed unclaim record for NAME; the
  versions and release list the maintainers signed move into NAME's bins (signed with the online key); the
  snapshot keeps listing the retired role at its last version; snapshot and timestamp are re-signed.
  Later publishes of NAME are signed by the registry. Installers that knew NAME as maintainer-signed accept
  it registry-signed only because of the record (a registry that drops a claim with its online keys alone
  is refused). The maintainers can claim NAME again later (tufpm claim request / approve-claim).
  Confirm with the maintainers out of band first.`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, {}, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const repo = await openRepo(p, usage);
  const res = await repo.unclaim(p.positionals[0]!);
  print(io, p, `unclaimed ${res.name}: its role stays listed at v${res.roleVersion}, no longer delegated (was ${res.threshold} of ${res.keyids.join(', ')}); ` +
    `${res.moved.length} version(s) now signed by the registry in ${res.bins.join(', ') || 'no bin'} (targets v${res.targetsVersion})`, res);
  return 0;
}
