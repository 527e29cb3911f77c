import { type Io, UsageError, int, list, openRepo, parse, print, readKeys, readSigners } from './common.js';

export const usage = `usage: tufpm-repo add-package NAME --key MAINTAINER_KEY [--key ...] [--threshold N]
    [--sign-key PRIVATE_KEY ...] [--allow-unsigned]  (--dir|--registry) --keys KEYS_DIR
  Claims NAME: a role of its own, delegated by targets (offline key) before the unclaimed bins,
  with the maintainers' public keys (PEM or securesystemslib JSON) and threshold (default 1).
  Versions already in unclaimed bins move into it; the maintainers sign it (--sign-key) now,
  or later when --allow-unsigned writes it staged.`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, {
    key: { type: 'string', multiple: true },
    'sign-key': { type: 'string', multiple: true },
    threshold: { type: 'string' },
    'allow-unsigned': { type: 'boolean' },
  }, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const name = p.positionals[0]!;
  if (list(p, 'key').length === 0) throw new UsageError(`at least one --key is required\n\n${usage}`);
  const keys = await readKeys(list(p, 'key'));
  const signers = await readSigners(list(p, 'sign-key'));
  const repo = await openRepo(p, usage);
  const res = await repo.addPackage(name, keys, int(p, 'threshold', usage) ?? 1, { signers, allowUnsigned: p.values['allow-unsigned'] === true });
  print(io, p, `claimed ${res.name}: ${res.threshold} of ${res.keyids.join(', ')}` +
    (res.movedTargets.length > 0 ? `\n  moved from unclaimed bins: ${res.movedTargets.join(', ')}` : '') +
    (res.signed ? '' : '\n  role written UNSIGNED: installs of this package fail until its maintainers sign it'), res);
  return 0;
}
