import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { NewKey } from '../rotation.js';
import { readPublicKeyFile } from '../keys.js';
import { UnknownPackageError } from '../errors.js';
import { type Io, UsageError, list, openRepo, parse, print, readSigners, resolveKeyid, str } from './common.js';

export const usage = `usage: tufpm-repo rotate-key ROLE OLD_KEY [--new-key KEY_FILE] [--sign-key PRIVATE_KEY ...]
    (--dir|--registry) --keys KEYS_DIR
  ROLE: root, targets, snapshot, timestamp, unclaimed, or a claimed package.
  OLD_KEY: a keyid, a unique keyid prefix (8+ hex digits) or a key file.
  For registry roles a new key is generated unless --new-key gives a private key; it is stored in the
  keys dir and the old key file moves to KEYS_DIR/retired/. A new root is signed by the old and the
  new root keys. For a package, --new-key is the maintainer's new public key and --sign-key re-signs
  the package role.`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, { 'new-key': { type: 'string' }, 'sign-key': { type: 'string', multiple: true } }, usage);
  if (p.positionals.length !== 2) throw new UsageError(usage);
  const [role, oldArg] = p.positionals as [string, string];
  const repo = await openRepo(p, usage);
  if (!repo.repo.hasRole(role) || repo.isBin(role)) {
    throw new UnknownPackageError(`"${role}" is neither a registry role (root, targets, snapshot, timestamp, unclaimed) nor a claimed package`);
  }
  const candidates = repo.repo.parentOf(role).role.keyids;
  const oldKeyid = await resolveKeyid(oldArg, candidates, `role ${role}`);
  let newKey: NewKey | undefined;
  const nk = str(p, 'new-key');
  if (nk !== undefined) {
    const text = await readFile(resolve(nk), 'utf8');
    newKey = text.includes('PRIVATE KEY-----') ? { privateKeyPem: text } : { publicKey: await readPublicKeyFile(resolve(nk)) };
  }
  const res = await repo.rotateKey(role, oldKeyid, newKey, { signers: await readSigners(list(p, 'sign-key')) });
  print(io, p, `rotated ${role}: ${res.oldKeyid} -> ${res.newKeyid}` +
    (res.newKeyFile !== undefined ? `\n  new key: ${res.newKeyFile}` : '') +
    (res.retiredKeyFile !== undefined ? `\n  old key moved to ${res.retiredKeyFile}` : '') +
    `\n  versions: ${Object.entries(res.versions).map(([k, v]) => `${k} v${v}`).join(', ')}`, res);
  return 0;
}
