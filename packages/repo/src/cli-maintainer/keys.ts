import { resolve } from 'node:path';
import { readFileBounded } from '../fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';
import { MaintainerConfigError } from '../maintainer/errors.js';
import { createKeyChange, keyChangeToJSON, parseKeyChange, signKeyChange, type KeyChangeRequest } from '../maintainer/key-change.js';
import { readMaintainerPublicKey } from '../maintainer/key-file.js';
import { fetchCurrentRole } from '../maintainer/remote-role.js';
import { MAX_ROLE_BYTES } from '../maintainer/role-build.js';
import { checkPackageName } from '../tarball.js';
import { type Env, REGISTRY_OPTIONS, UsageError, expirySeconds, list, parse, print, registryAndToken, session, signerFrom, str } from './common.js';

export const usage = `usage: tufpm keys change <name> --key FILE [--remove KEYID]... [--add PUB]... [--threshold N] [--out FILE]
                         [--registry URL] [--root tufpm-root.json] [--cache DIR]
       tufpm keys approve <request.json> --key FILE [--registry URL] [--root ...]
       tufpm keys submit <request.json> [--registry URL]
  change:  rotate or revoke maintainer keys of a claimed package (and/or change its threshold): builds
           the new key set from the current delegation (verified through TUF), the role re-signed as
           version N+1 for the new keys, and your approval; written to --out (default <name>.key-change.json).
  approve: another maintainer adds an approval (a current key) and/or a role signature (a new key).
           The change needs a threshold of current keys approving it and a threshold of new keys on the role.
  submit:  sends it to the registry with the package's publish token; the operator applies it with the
           offline key that signs claims (tufpm-repo apply-key-change).`;

async function readChange(path: string): Promise<KeyChangeRequest> {
  return parseKeyChange(await readFileBounded(path, MAX_ROLE_BYTES));
}

async function writeChange(path: string, req: KeyChangeRequest): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(keyChangeToJSON(req), null, 2) + '\n', { mode: 0o644 });
}

export async function run(argv: string[], e: Env): Promise<number> {
  const [sub, ...rest] = argv;
  const p = parse(rest, { ...REGISTRY_OPTIONS, key: { type: 'string' }, remove: { type: 'string', multiple: true }, add: { type: 'string', multiple: true }, threshold: { type: 'string' }, out: { type: 'string' }, expires: { type: 'string' } }, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const arg = p.positionals[0]!;
  if (sub === 'change' || sub === 'approve') {
    const existing = sub === 'approve' ? await readChange(resolve(e.cwd, arg)) : undefined;
    const name = existing?.name ?? arg;
    checkPackageName(name);
    const { registryUrl } = await registryAndToken(e, p, name);
    const { role: current, delegation } = await fetchCurrentRole(await session(e, p, registryUrl), name);
    const currentKeys = delegation.role.keyids.map((id) => delegation.keys.get(id)!);
    let req: KeyChangeRequest;
    let out: string;
    if (existing === undefined) {
      const t = str(p, 'threshold');
      if (t !== undefined && !/^[1-9][0-9]{0,2}$/.test(t)) throw new UsageError(`--threshold must be a positive integer\n\n${usage}`);
      const add = [];
      for (const f of list(p, 'add')) add.push(await readMaintainerPublicKey(resolve(e.cwd, f)));
      const exp = expirySeconds(p);
      req = createKeyChange({ name, currentKeys, currentRole: current, remove: list(p, 'remove'), add, threshold: t === undefined ? delegation.role.threshold : Number(t), now: new Date(), ...(exp === undefined ? {} : { expiresInSeconds: exp }) });
      out = resolve(e.cwd, str(p, 'out') ?? `${encodeURIComponent(name)}.key-change.json`);
    } else {
      req = existing;
      out = resolve(e.cwd, arg);
    }
    const signer = await signerFrom(e, p, usage);
    const did = signKeyChange(req, signer, delegation.role.keyids);
    await writeChange(out, req);
    print(e, p, `${sub === 'change' ? 'key change' : 'approved key change'} of ${name}: ${req.keys.length} key(s), threshold ${req.threshold}; ` +
      `${req.approvals.size} approval(s) of ${delegation.role.threshold} needed, ${req.role.signatures.size} role signature(s) of ${req.threshold} needed\nwrote ${out}`,
      { name, keyids: req.keys.map((k) => k.keyid), threshold: req.threshold, approvals: req.approvals.size, roleSignatures: req.role.signatures.size, ...did, file: out });
    return 0;
  }
  if (sub === 'submit') {
    const req = await readChange(resolve(e.cwd, arg));
    const { registryUrl, token } = await registryAndToken(e, p, req.name);
    if (token === undefined) throw new MaintainerConfigError(`no auth token for ${registryUrl} in .npmrc`);
    const res = await fetch(`${registryUrl}-/tufpm/key-changes/${encodeURIComponent(req.name)}`, {
      method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(keyChangeToJSON(req)),
    });
    const body = (await res.json()) as { message?: string; error?: string; code?: string };
    if (!res.ok) throw new MaintainerConfigError(`${body.code ?? res.status}: ${body.error ?? 'key change refused'}`);
    print(e, p, body.message ?? 'submitted', { name: req.name, message: body.message });
    return 0;
  }
  throw new UsageError(usage);
}
