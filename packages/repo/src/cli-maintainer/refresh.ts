import { resolve } from 'node:path';
import { exists } from '../fs-util.js';
import { KeyMismatchError } from '../errors.js';
import { MaintainerConfigError, RegistryResponseError } from '../maintainer/errors.js';
import { fetchCurrentRole } from '../maintainer/remote-role.js';
import { signRole } from '../maintainer/role-build.js';
import { buildRefreshRole } from '../maintainer/role-refresh.js';
import { checkPackageName } from '../tarball.js';
import { type Env, REGISTRY_OPTIONS, UsageError, expirySeconds, parse, print, registryAndToken, session, signerFrom, str } from './common.js';
import { readRoleFile, writeRoleFile } from './role-io.js';

export const usage = `usage: tufpm refresh <name> --key FILE [--out FILE] [--expires 365d] [--submit]
                     [--registry URL] [--root tufpm-root.json] [--cache DIR] [--passphrase-env VAR]
  Renews the expiry of your package's role without a release: role version N+1 with the same targets,
  signed by your key, written to --out (default <name>.refresh.json). If the file exists, your signature
  is added to it (co-signing). --submit uploads it (at threshold) with the package's publish token.`;

export async function run(argv: string[], e: Env): Promise<number> {
  const p = parse(argv, { ...REGISTRY_OPTIONS, key: { type: 'string' }, out: { type: 'string' }, expires: { type: 'string' }, submit: { type: 'boolean' } }, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const name = p.positionals[0]!;
  checkPackageName(name);
  const out = resolve(e.cwd, str(p, 'out') ?? `${encodeURIComponent(name)}.refresh.json`);
  const { registryUrl, token } = await registryAndToken(e, p, name);
  const { role: current, delegation } = await fetchCurrentRole(await session(e, p, registryUrl), name);
  const signer = await signerFrom(e, p, usage);
  if (!delegation.role.keyids.includes(signer.key.keyid)) throw new KeyMismatchError(`your key ${signer.key.keyid} is not a maintainer key of ${name}`);
  const exp = expirySeconds(p);
  const role = (await exists(out)) ? await readRoleFile(out) : buildRefreshRole(current, { now: new Date(), ...(exp === undefined ? {} : { expiresInSeconds: exp }) });
  if (role.signed.version !== current.signed.version + 1) throw new MaintainerConfigError(`${out} holds role v${role.signed.version}, the current role is v${current.signed.version}: delete it and start again`);
  signRole(role, [signer]);
  await writeRoleFile(out, role);
  let message = `signed role ${name} v${role.signed.version} (expires ${role.signed.expires.toISOString()}), ${role.signatures.size} of ${delegation.role.threshold} signatures\nwrote ${out}`;
  if (p.values['submit'] === true) {
    if (token === undefined) throw new MaintainerConfigError(`no auth token for ${registryUrl} in .npmrc`);
    const res = await fetch(`${registryUrl}-/tufpm/roles/${encodeURIComponent(name)}`, {
      method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(role.toJSON()),
    });
    const body = (await res.json()) as { message?: string; error?: string; code?: string };
    if (!res.ok) throw new RegistryResponseError(`refresh of ${name}: ${body.error ?? res.status}`, res.status, body.code);
    message += `\n${body.message ?? 'accepted'}`;
  }
  print(e, p, message, { name, roleVersion: role.signed.version, expires: role.signed.expires.toISOString(), signatures: role.signatures.size, file: out, submitted: p.values['submit'] === true });
  return 0;
}
