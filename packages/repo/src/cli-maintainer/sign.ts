import { resolve } from 'node:path';
import type { Metadata, Targets } from '@tufpm/models';
import { KeyMismatchError } from '../errors.js';
import { checkRelease, type ReleaseCheckInput } from '../maintainer/release-check.js';
import { fetchCurrentRole } from '../maintainer/remote-role.js';
import { prepareRelease, roleFileFor, signRole } from '../maintainer/role-build.js';
import { readPackageTarball } from '../tarball.js';
import { type Env, REGISTRY_OPTIONS, UsageError, expirySeconds, parse, print, registryAndToken, session, signerFrom, str } from './common.js';
import { readRoleFile, readTarballFile, writeRoleFile } from './role-io.js';

export const usage = `usage: tufpm sign <tarball> --key FILE [--tag latest] [--current ROLE.json] [--registry URL] [--root tufpm-root.json]
                  [--cache DIR] [--out FILE] [--expires 365d] [--passphrase-env VAR] [--json]
  Signs a release: reads the tarball \`npm pack\` wrote, takes the package's current role (fetched and
  verified through TUF from the registry, starting at the trusted root --root; or, fully offline, from
  --current), and writes role version N+1 with the new target (length, sha512, sha256) signed by your key
  to <tarball>.role.json (or --out). The role's signed release list gains the version under the dist-tag
  --tag (default latest; tufpm publish uses the same tag). Then: tufpm publish <tarball> (co-signers first
  run tufpm cosign).`;

export async function run(argv: string[], e: Env): Promise<number> {
  const p = parse(argv, { ...REGISTRY_OPTIONS, key: { type: 'string' }, tag: { type: 'string' }, current: { type: 'string' }, out: { type: 'string' }, expires: { type: 'string' } }, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const tarballPath = resolve(e.cwd, p.positionals[0]!);
  const tarball = await readTarballFile(tarballPath);
  const pkg = await readPackageTarball(tarball);
  let current: Metadata<Targets>;
  let delegation: ReleaseCheckInput['delegation'] | undefined;
  const currentFile = str(p, 'current');
  if (currentFile !== undefined) {
    current = await readRoleFile(resolve(e.cwd, currentFile));
  } else {
    const { registryUrl } = await registryAndToken(e, p, pkg.name);
    const got = await fetchCurrentRole(await session(e, p, registryUrl), pkg.name);
    current = got.role;
    delegation = got.delegation;
  }
  const signer = await signerFrom(e, p, usage);
  if (delegation !== undefined && !delegation.role.keyids.includes(signer.key.keyid)) {
    throw new KeyMismatchError(`your key ${signer.key.keyid} is not a maintainer key of ${pkg.name} (its keys: ${delegation.role.keyids.join(', ')})`);
  }
  const tag = str(p, 'tag');
  const { role } = await prepareRelease(current, tarball, {
    now: new Date(),
    ...(expirySeconds(p) === undefined ? {} : { expiresInSeconds: expirySeconds(p)! }),
    ...(tag === undefined ? {} : { tag }),
  });
  signRole(role, [signer]);
  let status = `threshold unknown (offline: --current)`;
  let complete: boolean | undefined;
  if (delegation !== undefined) {
    // The same checks the registry will make, so a mistake shows here, on the maintainer's machine.
    const r = checkRelease({ name: pkg.name, delegation, current, candidate: role, now: new Date(), tarball: { path: pkg.targetPath, length: pkg.target.length, hashes: { sha512: pkg.target.hashes['sha512']!, sha256: pkg.target.hashes['sha256']! }, custom: pkg.target.custom } });
    complete = r.complete;
    status = `${r.verification.distinctKeys} of ${r.verification.threshold} signatures`;
  }
  const out = resolve(e.cwd, str(p, 'out') ?? roleFileFor(tarballPath));
  await writeRoleFile(out, role);
  const next = complete === false ? `co-signers: tufpm cosign ${p.positionals[0]} --key <their key>; then tufpm publish ${p.positionals[0]}` : `next: tufpm publish ${p.positionals[0]}`;
  print(e, p, `signed ${pkg.name}@${pkg.version}: role ${pkg.name} v${role.signed.version} adds ${pkg.targetPath} (${status})\nwrote ${out}\n${next}`, {
    name: pkg.name, version: pkg.version, roleVersion: role.signed.version, targetPath: pkg.targetPath, keyid: signer.key.keyid,
    roleFile: out, complete: complete ?? null,
  });
  return 0;
}
