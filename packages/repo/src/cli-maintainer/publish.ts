import { resolve } from 'node:path';
import type { Metadata, Targets } from '@tufpm/models';
import { RepositoryStateError } from '../errors.js';
import { exists } from '../fs-util.js';
import { readReleaseIndex } from '../release-index.js';
import { roleFileFor } from '../maintainer/role-build.js';
import { publishRelease, type PublishReleaseResult } from '../maintainer/registry-client.js';
import { MaintainerConfigError } from '../maintainer/errors.js';
import { readPackageTarball } from '../tarball.js';
import { type Env, type Parsed, UsageError, parse, print, registryAndToken, str } from './common.js';
import { readRoleFile, readTarballFile } from './role-io.js';

export const usage = `usage: tufpm publish <tarball> [--role FILE] [--registry URL] [--tag latest] [--unsigned] [--json]
  Uploads the tarball and its signed role (default <tarball>.role.json) to the registry, the way
  \`npm publish\` does: registry URL and token from --registry / NPM_CONFIG_REGISTRY / .npmrc (project,
  then ~/.npmrc; //host[:port]/:_authToken=...). Below the threshold the registry stages the release
  (invisible to installers) until co-signers complete it. --unsigned publishes without a role (for a
  package that has not claimed keys: the registry signs it).`;

export async function publishFile(e: Env, p: Parsed, tarballArg: string, roleArg: string | undefined, unsigned: boolean): Promise<PublishReleaseResult & { name: string; version: string }> {
  const tarballPath = resolve(e.cwd, tarballArg);
  const tarball = await readTarballFile(tarballPath);
  const pkg = await readPackageTarball(tarball);
  const roleFile = resolve(e.cwd, roleArg ?? roleFileFor(tarballPath));
  let role;
  if (!unsigned) {
    if (!(await exists(roleFile))) throw new MaintainerConfigError(`no signed role at ${roleFile}: run tufpm sign ${tarballArg} first (or --unsigned for a package without maintainer keys)`);
    role = await readRoleFile(roleFile);
  }
  const { registryUrl, token } = await registryAndToken(e, p, pkg.name);
  if (token === undefined) throw new MaintainerConfigError(`no auth token for ${registryUrl} in .npmrc (//${new URL(registryUrl).host}/:_authToken=...)`);
  // The tag signed into the role's release list (tufpm sign --tag), unless given here (ADR 0013).
  const tag = str(p, 'tag') ?? (role === undefined ? undefined : signedTagOf(role, pkg.name, pkg.version));
  const r = await publishRelease({ registryUrl, token, tarball, pkg, ...(role === undefined ? {} : { role }), ...(tag === undefined ? {} : { tag }) });
  return { ...r, name: pkg.name, version: pkg.version };
}

/** The tag the signed release list points at the version (`latest` first), if any. */
function signedTagOf(role: Metadata<Targets>, name: string, version: string): string | undefined {
  let index;
  try {
    index = readReleaseIndex(role.signed, name);
  } catch (err) {
    if (err instanceof RepositoryStateError) return undefined; // the registry refuses the role and says why
    throw err;
  }
  const tags = Object.entries(index?.distTags ?? {}).filter(([, v]) => v === version).map(([t]) => t);
  return tags.includes('latest') ? 'latest' : tags.sort()[0];
}

export async function run(argv: string[], e: Env): Promise<number> {
  const p = parse(argv, { registry: { type: 'string' }, role: { type: 'string' }, tag: { type: 'string' }, unsigned: { type: 'boolean' } }, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const r = await publishFile(e, p, p.positionals[0]!, str(p, 'role'), p.values['unsigned'] === true);
  print(e, p, r.outcome === 'published' ? `+ ${r.name}@${r.version}` : `staged ${r.name}@${r.version}: ${r.message}`, r);
  return 0;
}
