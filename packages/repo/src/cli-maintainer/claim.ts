import { isReleaseIndexPath, parseUnclaimRecords } from '@tufpm/models';
import { resolve } from 'node:path';
import { type Key } from '@tufpm/models';
import { readFileBounded } from '../fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';
import { claimRequestToJSON, createClaimRequest, parseClaimRequest, verifyClaimRequest, type ClaimRequest } from '../maintainer/claims.js';
import { MaintainerConfigError } from '../maintainer/errors.js';
import { readMaintainerPublicKey } from '../maintainer/key-file.js';
import { fetchVersions, submitClaim } from '../maintainer/registry-client.js';
import { fetchBinTargets } from '../maintainer/remote-role.js';
import { MAX_ROLE_BYTES, signRole } from '../maintainer/role-build.js';
import { checkPackageName } from '../tarball.js';
import { type Env, REGISTRY_OPTIONS, UsageError, expirySeconds, parse, print, registryAndToken, session, signerFrom, str, list } from './common.js';

export const usage = `usage: tufpm claim request <name> --key FILE [--pub FILE]... --threshold N [--out FILE]
                          [--registry URL] [--root tufpm-root.json] [--cache DIR] [--expires 365d]
       tufpm claim cosign <request.json> --key FILE
       tufpm claim submit <request.json> [--registry URL]
  request: builds a claim of <name> for your key (--key) and the other maintainers' public keys (--pub),
           with role version 1 (one above the last one for a name the registry unclaimed) adopting the versions the registry signed so far (looked up and verified
           through TUF), signed by your key; written to --out (default <name>.claim.json).
  cosign:  adds another maintainer's signature (the threshold must be reached before submitting).
  submit:  sends the request to the registry, authenticated by the package's publish token (.npmrc);
           the operator approves it with the offline key (tufpm-repo approve-claim).`;

async function readRequest(path: string): Promise<ClaimRequest> {
  return parseClaimRequest(await readFileBounded(path, MAX_ROLE_BYTES));
}

async function writeRequest(path: string, req: ClaimRequest): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(claimRequestToJSON(req), null, 2) + '\n', { mode: 0o644 });
}

export async function run(argv: string[], e: Env): Promise<number> {
  const [sub, ...rest] = argv;
  const p = parse(rest, { ...REGISTRY_OPTIONS, key: { type: 'string' }, pub: { type: 'string', multiple: true }, threshold: { type: 'string' }, out: { type: 'string' }, expires: { type: 'string' } }, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const arg = p.positionals[0]!;
  if (sub === 'request') {
    checkPackageName(arg);
    const t = str(p, 'threshold') ?? '1';
    if (!/^[1-9][0-9]{0,2}$/.test(t)) throw new UsageError(`--threshold must be a positive integer\n\n${usage}`);
    const signer = await signerFrom(e, p, usage);
    const keys: Key[] = [signer.key];
    for (const f of list(p, 'pub')) keys.push(await readMaintainerPublicKey(resolve(e.cwd, f)));
    const { registryUrl } = await registryAndToken(e, p, arg);
    const s = await session(e, p, registryUrl);
    const existing = await fetchBinTargets(s, arg, await fetchVersions(registryUrl, arg));
    const exp = expirySeconds(p);
    // ADR 0026: a name unclaimed before starts one above its last role version, as the offline-signed
    // unclaim record in the verified top-level targets says (the snapshot still lists that role).
    const unclaimed = parseUnclaimRecords(s.trustedSet?.targets?.signed.unrecognized ?? {}).get(arg);
    const version = unclaimed === undefined ? 1 : unclaimed.roleVersion + 1;
    const req = createClaimRequest({ name: arg, keys, threshold: Number(t), existing, now: new Date(), version, ...(exp === undefined ? {} : { expiresInSeconds: exp }) });
    signRole(req.role, [signer]);
    const v = verifyClaimRequest(req, new Date(), { firstVersion: version });
    const out = resolve(e.cwd, str(p, 'out') ?? `${encodeURIComponent(arg)}.claim.json`);
    await writeRequest(out, req);
    print(e, p, `claim request for ${arg}: ${req.threshold} of ${keys.length} key(s), adopting ${existing.filter((x) => !isReleaseIndexPath(x.path)).length} version(s); ${v.distinctKeys} of ${v.threshold} signatures\nwrote ${out}`,
      { name: arg, keyids: keys.map((k) => k.keyid), threshold: req.threshold, adopted: existing.filter((x) => !isReleaseIndexPath(x.path)).map((x) => x.path), signatures: v.distinctKeys, file: out });
    return 0;
  }
  const file = resolve(e.cwd, arg);
  if (sub === 'cosign') {
    const req = await readRequest(file);
    verifyClaimRequest(req, new Date()); // existing signatures must be valid before adding ours
    const signer = await signerFrom(e, p, usage);
    if (!req.keys.some((k) => k.keyid === signer.key.keyid)) throw new MaintainerConfigError(`your key ${signer.key.keyid} is not one of the keys the claim of ${req.name} lists`);
    signRole(req.role, [signer]);
    const v = verifyClaimRequest(req, new Date());
    await writeRequest(file, req);
    print(e, p, `co-signed the claim of ${req.name}: ${v.distinctKeys} of ${v.threshold} signatures`, { name: req.name, signatures: v.distinctKeys, threshold: v.threshold });
    return 0;
  }
  if (sub === 'submit') {
    const req = await readRequest(file);
    const { registryUrl, token } = await registryAndToken(e, p, req.name);
    if (token === undefined) throw new MaintainerConfigError(`no auth token for ${registryUrl} in .npmrc`);
    const message = await submitClaim(registryUrl, token, req.name, claimRequestToJSON(req));
    print(e, p, message, { name: req.name, message });
    return 0;
  }
  throw new UsageError(usage);
}
