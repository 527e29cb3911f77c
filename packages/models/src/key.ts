import { constants, createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { canonicalize } from './canonical-json.js';
import { ed25519KeyObject, ed25519Spki, ed25519VerifyPrepared, getCryptoBackend, isWeakEd25519PublicKey } from './crypto-backend.js';
import { MetadataParseError, UnsupportedAlgorithmError } from './errors.js';
import { isHexBytes } from './hashes.js';
import { FieldReader, asObject, withUnrecognized, type JsonObject } from './fields.js';

type Prepared =
  | { kind: 'ed25519'; raw: Uint8Array; keyObject: KeyObject }
  | { kind: 'ecdsa' | 'rsa'; keyObject: KeyObject; spki: Buffer }
  | { kind: 'error'; error: Error };

const ED25519_HEX = /^[0-9a-fA-F]{64}$/;

/** Minimum RSA modulus we accept; smaller keys are forgeable in practice. */
const MIN_RSA_BITS = 2048;

export interface KeyVal {
  public: string;
  [k: string]: unknown;
}

/**
 * A public key as TUF metadata lists it. The public key material is parsed once, on first use, and the
 * resulting node KeyObject is cached (DESIGN.md 4: rebuilding it on every verify is a measured cost).
 */
export class Key {
  private prepared: Prepared | undefined;
  private fingerprint: string | undefined;

  constructor(
    readonly keyid: string,
    readonly keytype: string,
    readonly scheme: string,
    readonly keyval: KeyVal,
    readonly unrecognized: JsonObject = {},
  ) {}

  static fromJSON(keyid: string, obj: unknown): Key {
    const r = new FieldReader(obj, `key ${keyid}`);
    const keytype = r.string('keytype');
    const scheme = r.string('scheme');
    const kv = new FieldReader(r.object('keyval'), `key ${keyid}.keyval`);
    const pub = kv.string('public');
    const keyval: KeyVal = { ...kv.rest(), public: pub };
    return new Key(keyid, keytype, scheme, keyval, r.rest());
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      { keytype: this.keytype, scheme: this.scheme, keyval: { ...asObject(this.keyval, 'keyval') } },
      this.unrecognized,
    );
  }

  /** sha256 hex of the canonical JSON of the key object (the TUF keyid convention). */
  computeKeyid(): string {
    return createHash('sha256').update(canonicalize(this.toJSON())).digest('hex');
  }

  /**
   * Identity of the public key material (sha256 of the raw key: ed25519 bytes, EC point, RSA n/e), independent of
   * keyid and of the keytype spelling. Thresholds count distinct fingerprints, so one key listed
   * under two keyids counts once. Keys that cannot be parsed get a fingerprint of their JSON.
   */
  get publicKeyFingerprint(): string {
    if (this.fingerprint === undefined) {
      const p = this.prepare();
      this.fingerprint = p.kind === 'error'
        ? 'unparsed:' + createHash('sha256').update(canonicalize({ keytype: this.keytype, scheme: this.scheme, keyval: this.keyval })).digest('hex')
        : 'spki:' + createHash('sha256').update(p.kind === 'ed25519' ? ed25519Spki(p.raw) : p.spki).digest('hex');
    }
    return this.fingerprint;
  }

  /** True when the key type/scheme is one tufpm can verify and the key material parses. */
  isSupported(): boolean {
    return this.prepare().kind !== 'error';
  }

  /**
   * Verifies a hex signature over data. Returns false for a wrong or malformed signature; throws
   * UnsupportedAlgorithmError for an unknown keytype/scheme and MetadataParseError for unparsable
   * key material.
   */
  verify(data: Uint8Array, signatureHex: string): boolean {
    const p = this.prepare();
    if (p.kind === 'error') throw p.error;
    if (typeof signatureHex !== 'string') return false;
    // TUF 4.2 (SIGNATURE is a hex string): every character must be a hex digit, or a mirror could rewrite
    // signatures into other text that Buffer.from still decodes to the same bytes (red team s8).
    if (!isHexBytes(signatureHex)) return false;
    const sig = Buffer.from(signatureHex, 'hex');
    switch (p.kind) {
      case 'ed25519':
        return ed25519VerifyPrepared(p.keyObject, p.raw, data, sig, getCryptoBackend());
      case 'ecdsa':
        return verifyOrFalse(() => nodeVerify('sha256', data, { key: p.keyObject, dsaEncoding: 'der' }, sig));
      case 'rsa':
        return verifyOrFalse(() =>
          nodeVerify('sha256', data, {
            key: p.keyObject,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_AUTO,
          }, sig),
        );
    }
  }

  private prepare(): Prepared {
    if (this.prepared === undefined) {
      try {
        this.prepared = this.parseMaterial();
      } catch (err) {
        if (!(err instanceof UnsupportedAlgorithmError || err instanceof MetadataParseError)) throw err;
        this.prepared = { kind: 'error', error: err };
      }
    }
    return this.prepared;
  }

  private parseMaterial(): Prepared {
    const { keytype, scheme } = this;
    const pub = this.keyval.public;
    if (keytype === 'ed25519' && scheme === 'ed25519') {
      if (typeof pub !== 'string' || !ED25519_HEX.test(pub)) {
        throw new MetadataParseError(`key ${this.keyid}: ed25519 public key must be 64 hex characters`);
      }
      const raw = Buffer.from(pub, 'hex');
      if (isWeakEd25519PublicKey(raw)) {
        throw new MetadataParseError(`key ${this.keyid}: small-order or non-canonical ed25519 public key`);
      }
      const keyObject = importOrThrow(this.keyid, () => ed25519KeyObject(raw));
      // The SPKI of an ed25519 key (for the fingerprint) is a fixed prefix + the raw key, built only when
      // asked for: exporting it through OpenSSL costs ~0.1 ms a key, which adds up with one delegated
      // role (and key) per npm package.
      return { kind: 'ed25519', raw, keyObject };
    }
    if ((keytype === 'ecdsa' || keytype === 'ecdsa-sha2-nistp256') && scheme === 'ecdsa-sha2-nistp256') {
      const keyObject = importPem(this.keyid, pub);
      if (keyObject.asymmetricKeyType !== 'ec' || keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        throw new MetadataParseError(`key ${this.keyid}: not a NIST P-256 public key`);
      }
      // Identity from the uncompressed point: one key in compressed and uncompressed SPKI encodings would
      // otherwise count as two distinct keys toward a threshold.
      const jwk = keyObject.export({ format: 'jwk' });
      return { kind: 'ecdsa', keyObject, spki: Buffer.from(`ec:P-256:${String(jwk.x)}:${String(jwk.y)}`, 'utf8') };
    }
    if (keytype === 'rsa' && scheme === 'rsassa-pss-sha256') {
      const keyObject = importPem(this.keyid, pub);
      if (keyObject.asymmetricKeyType !== 'rsa' || (keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
        throw new MetadataParseError(`key ${this.keyid}: not an RSA public key of at least ${MIN_RSA_BITS} bits`);
      }
      const jwk = keyObject.export({ format: 'jwk' });
      return { kind: 'rsa', keyObject, spki: Buffer.from(`rsa:${String(jwk.n)}:${String(jwk.e)}`, 'utf8') };
    }
    throw new UnsupportedAlgorithmError(`key ${this.keyid}: unsupported keytype/scheme ${keytype}/${scheme}`);
  }
}

function importPem(keyid: string, pem: unknown): KeyObject {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new MetadataParseError(`key ${keyid}: public key must be a PEM SubjectPublicKeyInfo`);
  }
  return importOrThrow(keyid, () => createPublicKey({ key: pem, format: 'pem' }));
}

function importOrThrow(keyid: string, f: () => KeyObject): KeyObject {
  try {
    return f();
  } catch (err) {
    // node:crypto reports malformed key material as errors with an ERR_* code.
    if (err instanceof Error && 'code' in err) {
      throw new MetadataParseError(`key ${keyid}: cannot parse public key`, { cause: err });
    }
    throw err;
  }
}

function verifyOrFalse(f: () => boolean): boolean {
  try {
    return f();
  } catch (err) {
    // OpenSSL raises for structurally invalid signatures (bad DER); that is a failed verification.
    if (err instanceof Error && 'code' in err && String((err as { code: unknown }).code).startsWith('ERR_OSSL')) return false;
    throw err;
  }
}
