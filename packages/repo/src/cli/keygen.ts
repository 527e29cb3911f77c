import { resolve, dirname, basename } from 'node:path';
import { publicKeyJson, writeNewKeyPair } from '../keys.js';
import { writeFileAtomic } from '@tufpm/merkle';
import { type Io, UsageError, parse, print } from './common.js';

export const usage = `usage: tufpm-repo keygen OUT_BASE
  writes OUT_BASE.pem (PKCS#8 private key, 0600), OUT_BASE.pub.pem (SPKI) and OUT_BASE.pub.json
  (securesystemslib JSON) for a new ed25519 key, e.g. a maintainer's key`;

export async function run(argv: string[], io: Io): Promise<number> {
  const p = parse(argv, {}, usage);
  if (p.positionals.length !== 1) throw new UsageError(usage);
  const base = resolve(p.positionals[0]!);
  const { signer, privatePath, publicPath } = await writeNewKeyPair(dirname(base), basename(base));
  await writeFileAtomic(`${base}.pub.json`, publicKeyJson(signer.key), { mode: 0o644 });
  print(io, p, `${signer.key.keyid}\n  private: ${privatePath}\n  public:  ${publicPath}, ${base}.pub.json`,
    { keyid: signer.key.keyid, private: privatePath, public: publicPath, publicJson: `${base}.pub.json` });
  return 0;
}
