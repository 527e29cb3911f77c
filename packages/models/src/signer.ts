import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { MetadataParseError, UnsupportedAlgorithmError } from './errors.js';
import { Key } from './key.js';

/** Something that can sign canonical bytes for one key (a local private key, later a hardware key). */
export interface Signer {
  readonly key: Key;
  /** Returns the signature as hex (the TUF `sig` field). */
  sign(data: Uint8Array): string;
}

/** Builds a Key whose keyid is the TUF-conventional sha256 of its canonical JSON. */
export function keyWithComputedId(keytype: string, scheme: string, publicValue: string): Key {
  const draft = new Key('', keytype, scheme, { public: publicValue });
  return new Key(draft.computeKeyid(), keytype, scheme, { public: publicValue });
}

export function ed25519KeyFromPublicHex(hex: string): Key {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new MetadataParseError('ed25519 public key must be 64 hex characters');
  return keyWithComputedId('ed25519', 'ed25519', hex.toLowerCase());
}

function keyFromPublicKeyObject(pub: KeyObject): Key {
  switch (pub.asymmetricKeyType) {
    case 'ed25519': {
      const x = pub.export({ format: 'jwk' }).x;
      if (typeof x !== 'string') throw new MetadataParseError('cannot export ed25519 public key');
      return ed25519KeyFromPublicHex(Buffer.from(x, 'base64url').toString('hex'));
    }
    case 'ec':
      if (pub.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        throw new UnsupportedAlgorithmError('only NIST P-256 ECDSA keys are supported');
      }
      return keyWithComputedId('ecdsa', 'ecdsa-sha2-nistp256', pub.export({ format: 'pem', type: 'spki' }).toString());
    case 'rsa':
      return keyWithComputedId('rsa', 'rsassa-pss-sha256', pub.export({ format: 'pem', type: 'spki' }).toString());
    default:
      throw new UnsupportedAlgorithmError(`unsupported key type ${String(pub.asymmetricKeyType)}`);
  }
}

/** A TUF Key from a PEM SubjectPublicKeyInfo (ed25519, ECDSA P-256 or RSA). */
export function keyFromPublicPem(pem: string): Key {
  let pub: KeyObject;
  try {
    pub = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    if (err instanceof Error && 'code' in err) throw new MetadataParseError('cannot parse public key PEM', { cause: err });
    throw err;
  }
  return keyFromPublicKeyObject(pub);
}

class KeyObjectSigner implements Signer {
  readonly key: Key;
  constructor(private readonly privateKey: KeyObject) {
    this.key = keyFromPublicKeyObject(createPublicKey(privateKey));
  }

  sign(data: Uint8Array): string {
    const k = this.privateKey;
    switch (k.asymmetricKeyType) {
      case 'ed25519':
        return nodeSign(null, data, k).toString('hex');
      case 'ec':
        return nodeSign('sha256', data, { key: k, dsaEncoding: 'der' }).toString('hex');
      default: // rsa, checked by keyFromPublicKeyObject
        return nodeSign('sha256', data, {
          key: k,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        }).toString('hex');
    }
  }
}

/**
 * Keys are generated straight to PEM and imported again: Node 20 can deadlock when the garbage collector
 * frees a key-generation job while a KeyObject of that job is being exported (the export holds the key's
 * mutex while allocating; the job's destructor takes the same mutex). Seen here as test and bench processes
 * stuck in a futex wait in `ExportJWKEdKey` under `~KeyGenJob`.
 */
function generatedPair(type: 'ed25519' | 'ec'): { signer: Signer; privateKeyPem: string; key: Key } {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  const privateKeyPem = type === 'ed25519'
    ? generateKeyPairSync('ed25519', { publicKeyEncoding, privateKeyEncoding }).privateKey
    : generateKeyPairSync('ec', { namedCurve: 'prime256v1', publicKeyEncoding, privateKeyEncoding }).privateKey;
  const signer = signerFromPem(privateKeyPem);
  return { signer, privateKeyPem, key: signer.key };
}

export function generateEd25519KeyPair(): { signer: Signer; privateKeyPem: string; key: Key } {
  return generatedPair('ed25519');
}

/** Generates an ECDSA P-256 key pair (tests and interop; ed25519 is the default). */
export function generateEcdsaP256KeyPair(): { signer: Signer; privateKeyPem: string; key: Key } {
  return generatedPair('ec');
}

/** A Signer from a PKCS#8 (or SEC1/PKCS#1) PEM private key: ed25519, ECDSA P-256 or RSA (PSS). */
export function signerFromPem(privateKeyPem: string, passphrase?: string): Signer {
  let priv: KeyObject;
  try {
    priv = createPrivateKey(passphrase === undefined ? { key: privateKeyPem, format: 'pem' } : { key: privateKeyPem, format: 'pem', passphrase });
  } catch (err) {
    if (err instanceof Error && 'code' in err) throw new MetadataParseError('cannot parse private key PEM (wrong passphrase?)', { cause: err });
    throw err;
  }
  return new KeyObjectSigner(priv);
}
