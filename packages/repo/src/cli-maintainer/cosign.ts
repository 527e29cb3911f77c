import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Metadata, Targets } from '@tufpm/models';
import { InvalidInputError, KeyMismatchError } from '../errors.js';
import { exists } from '../fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';
import { RoleTargetError, RoleVersionError } from '../maintainer/errors.js';
import { fetchStaged } from '../maintainer/registry-client.js';
import { checkRelease, identicalTarget, type UploadedTarball } from '../maintainer/release-check.js';
import { fetchCurrentRole } from '../maintainer/remote-role.js';
import { roleFileFor, signRole } from '../maintainer/role-build.js';
import { readPackageTarball, type PackageTarball } from '../tarball.js';
import { type Env, REGISTRY_OPTIONS, UsageError, parse, print, registryAndToken, session, signerFrom, str } from './common.js';
import { publishFile } from './publish.js';
import { readRoleFile, readTarballFile, writeRoleFile } from './role-io.js';

export const usage = `usage: tufpm cosign <tarball | name@version> --key FILE [--role FILE] [--current ROLE.json]
                    [--registry URL] [--root tufpm-root.json] [--cache DIR] [--out-dir DIR] [--publish]
                    [--passphrase-env VAR] [--json]
  Adds your signature to a staged release. With a tarball (your own \`npm pack\` of the same sources), the
  role comes from --role, <tarball>.role.json, or the registry's staged release; with name@version the
  staged tarball and role are downloaded (publish token from .npmrc) into --out-dir (default .).
  Before signing, the role is checked as the registry will check it, against the package's current
  role verified through TUF (or, offline, against --current): version N+1, earlier targets unchanged,
  the new target equal to the tarball byte for byte, existing signatures valid.
  --publish uploads the co-signed release right away (same as tufpm publish).`;

function targetOf(pkg: PackageTarball): UploadedTarball {
  return { path: pkg.targetPath, length: pkg.target.length, hashes: { sha512: pkg.target.hashes['sha512']!, sha256: pkg.target.hashes['sha256']! }, custom: pkg.target.custom };
}

export async function run(argv: string[], e: Env): Promise<number> {
  const p = parse(argv, { ...REGISTRY_OPTIONS, key: { type: 'string' }, role: { type: 'string' }, current: { type: 'string' }, 'out-dir': { type: 'string' }, publish: { type: 'boolean' }, tag: { type: 'string' } }, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const arg = p.positionals[0]!;
  let tarballPath: string;
  let tarball: Uint8Array;
  let role: Metadata<Targets>;
  let roleFile: string;
  if (await exists(resolve(e.cwd, arg))) {
    tarballPath = resolve(e.cwd, arg);
    tarball = await readTarballFile(tarballPath);
    const pkg = await readPackageTarball(tarball);
    roleFile = resolve(e.cwd, str(p, 'role') ?? roleFileFor(tarballPath));
    if (await exists(roleFile)) {
      role = await readRoleFile(roleFile);
    } else {
      const { registryUrl, token } = await registryAndToken(e, p, pkg.name);
      const staged = await fetchStaged(registryUrl, token, pkg.name);
      if (staged === undefined || staged.version !== pkg.version) throw new InvalidInputError(`no role at ${roleFile} and no staged release of ${pkg.name}@${pkg.version} on ${registryUrl}`);
      role = staged.role;
    }
  } else {
    const m = /^(@[^/@]+\/[^/@]+|[^/@]+)@([^/@]+)$/.exec(arg);
    if (m === null) throw new UsageError(`${arg} is neither a tarball nor name@version\n\n${usage}`);
    const [, name, version] = m;
    const { registryUrl, token } = await registryAndToken(e, p, name!);
    const staged = await fetchStaged(registryUrl, token, name!);
    if (staged === undefined || staged.version !== version) throw new InvalidInputError(`no staged release of ${name}@${version} on ${registryUrl}`);
    const outDir = resolve(e.cwd, str(p, 'out-dir') ?? '.');
    tarballPath = join(outDir, basename(staged.tarballPath));
    tarball = staged.tarball;
    await mkdir(outDir, { recursive: true });
    await writeFileAtomic(tarballPath, tarball, { mode: 0o644 });
    role = staged.role;
    roleFile = roleFileFor(tarballPath);
  }
  const pkg = await readPackageTarball(tarball);
  const signer = await signerFrom(e, p, usage);
  const currentFile = str(p, 'current');
  let status: string;
  if (currentFile === undefined) {
    const { registryUrl } = await registryAndToken(e, p, pkg.name);
    const { role: current, delegation } = await fetchCurrentRole(await session(e, p, registryUrl), pkg.name);
    if (!delegation.role.keyids.includes(signer.key.keyid)) {
      throw new KeyMismatchError(`your key ${signer.key.keyid} is not a maintainer key of ${pkg.name} (its keys: ${delegation.role.keyids.join(', ')})`);
    }
    checkRelease({ name: pkg.name, delegation, current, candidate: role, now: new Date(), tarball: targetOf(pkg) });
    signRole(role, [signer]);
    const r = checkRelease({ name: pkg.name, delegation, current, candidate: role, now: new Date(), tarball: targetOf(pkg) });
    status = `${r.verification.distinctKeys} of ${r.verification.threshold} signatures`;
  } else {
    // Offline: no delegation to count signatures against, but the content is still checked.
    const current = await readRoleFile(resolve(e.cwd, currentFile));
    if (role.signed.version !== current.signed.version + 1) throw new RoleVersionError(`the staged role is v${role.signed.version}, the current role v${current.signed.version}`);
    for (const [path, t] of current.signed.targets) {
      const mine = role.signed.targets.get(path);
      if (mine === undefined || !identicalTarget(mine, t)) throw new RoleTargetError(`the staged role drops or changes ${path}`);
    }
    const added = [...role.signed.targets.keys()].filter((k) => !current.signed.targets.has(k));
    const t = role.signed.targets.get(pkg.targetPath);
    if (added.length !== 1 || t === undefined || t.length !== pkg.target.length || t.hashes['sha512'] !== pkg.target.hashes['sha512']) {
      throw new RoleTargetError(`the staged role does not add exactly this tarball (${pkg.targetPath})`);
    }
    signRole(role, [signer]);
    status = `${role.signatures.size} signature(s); threshold not checked offline`;
  }
  await writeRoleFile(roleFile, role);
  let published = '';
  let outcome: string | undefined;
  if (p.values['publish'] === true) {
    const r = await publishFile(e, p, tarballPath, roleFile, false);
    outcome = r.outcome;
    published = r.outcome === 'published' ? `\n+ ${r.name}@${r.version}` : `\nstaged: ${r.message}`;
  }
  print(e, p, `co-signed ${pkg.name}@${pkg.version} (role v${role.signed.version}, ${status})\nwrote ${roleFile}${published}`, {
    name: pkg.name, version: pkg.version, roleVersion: role.signed.version, keyid: signer.key.keyid, roleFile, tarball: tarballPath, outcome: outcome ?? null,
  });
  return 0;
}
