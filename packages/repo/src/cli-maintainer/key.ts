import { resolve } from 'node:path';
import { publicKeyJson } from '../keys.js';
import { generateMaintainerKey, readMaintainerPublicKey, readMaintainerSigner } from '../maintainer/key-file.js';
import { PassphraseError } from '../maintainer/errors.js';
import { type Env, UsageError, need, parse, passphraseSource, print, str } from './common.js';

export const usage = `usage: tufpm key generate --key FILE [--passphrase-env VAR] [--json]
       tufpm key show --key FILE [--verify] [--passphrase-env VAR] [--json]
  generate: a new ed25519 key, written encrypted (PKCS#8, passphrase) to FILE, public half to FILE.pub.
            The passphrase is read from the environment variable VAR, or asked twice on the terminal.
  show:     keyid and public key (from FILE.pub for an encrypted key; --verify decrypts FILE and checks
            that FILE.pub is its public half). Give the keyid and FILE.pub to the registry operator.`;

export async function run(argv: string[], e: Env): Promise<number> {
  const [sub, ...rest] = argv;
  const p = parse(rest, { key: { type: 'string' }, verify: { type: 'boolean' } }, usage);
  if (p.positionals.length !== 0) throw new UsageError(usage);
  const keyPath = resolve(e.cwd, need(p, 'key', usage));
  if (sub === 'generate') {
    let passphrase: string;
    if (str(p, 'passphrase-env') !== undefined) {
      passphrase = await passphraseSource(e, p)();
    } else {
      const ask = passphraseSource(e, p, 'new passphrase: ');
      passphrase = await ask();
      const again = await passphraseSource(e, p, 'repeat passphrase: ')();
      if (again !== passphrase) throw new PassphraseError('the passphrases differ');
    }
    const g = await generateMaintainerKey(keyPath, passphrase);
    print(e, p, `generated ed25519 key ${g.key.keyid}\n  private (encrypted): ${g.privatePath}\n  public: ${g.publicPath}`,
      { keyid: g.key.keyid, keytype: g.key.keytype, scheme: g.key.scheme, public: g.key.keyval.public, privatePath: g.privatePath, publicPath: g.publicPath });
    return 0;
  }
  if (sub === 'show') {
    const key = await readMaintainerPublicKey(keyPath);
    if (p.values['verify'] === true) {
      const signer = await readMaintainerSigner(keyPath, passphraseSource(e, p, `passphrase for ${keyPath}: `));
      if (signer.key.keyid !== key.keyid) throw new PassphraseError(`${keyPath}.pub does not hold the public half of ${keyPath}`);
    }
    print(e, p, `keyid ${key.keyid}\n${key.keytype}/${key.scheme} ${key.keyval.public}\n${publicKeyJson(key)}`,
      { keyid: key.keyid, keytype: key.keytype, scheme: key.scheme, public: key.keyval.public });
    return 0;
  }
  throw new UsageError(usage);
}
