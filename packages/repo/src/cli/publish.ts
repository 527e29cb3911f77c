import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readPackageTarball, type PackageTarball } from '../tarball.js';
import { type Io, UsageError, list, openRepo, parse, print, readSigners, str } from './common.js';

export const usage = `usage: tufpm-repo publish TARBALL.tgz [...] [--package NAME] [--key MAINTAINER_PRIVATE_KEY ...]
    (--dir|--registry) --keys KEYS_DIR
  Signs each tarball as target <name>/-/<basename>-<version>.tgz: into its package's role with the
  maintainers' keys (--key) when the package is claimed, else into its unclaimed bin with the online
  key; then a new snapshot and timestamp. --package checks the tarball's own package.json name.
  (This signs metadata only; copy tarballs and packuments with 'import' or the registry.)`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, { key: { type: 'string', multiple: true }, package: { type: 'string' } }, usage);
  if (p.positionals.length === 0) throw new UsageError(usage);
  const tarballs: PackageTarball[] = [];
  for (const f of p.positionals) tarballs.push(await readPackageTarball(new Uint8Array(await readFile(resolve(f)))));
  const signers = await readSigners(list(p, 'key'));
  const repo = await openRepo(p, usage);
  const expectedName = str(p, 'package');
  const res = await repo.publishPrepared(tarballs, expectedName === undefined ? { signers } : { signers, expectedName });
  print(io, p, res.map((r) => `${r.added ? 'signed' : 'already signed'} ${r.targetPath} in ${r.role}`).join('\n') +
    `\nsnapshot v${repo.repo.snapshot.signed.version}, timestamp v${repo.repo.timestamp.signed.version}`, res);
  return 0;
}
