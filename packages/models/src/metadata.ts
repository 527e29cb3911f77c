import { canonicalize, sortedJson } from './canonical-json.js';
import { MetadataParseError } from './errors.js';
import { FieldReader, withUnrecognized, type JsonObject } from './fields.js';
import { parseJsonStrict, tapeValue, tokenizeEnvelope, DEFAULT_MAX_JSON_LENGTH } from './json-strict.js';
import { targetsFromTape } from './targets-tape.js';
import { Root } from './root.js';
import { Signature, type Signed, type TopLevelRole } from './signed.js';
import type { Signer } from './signer.js';
import { Snapshot } from './snapshot.js';
import { Targets } from './targets.js';
import { Timestamp } from './timestamp.js';
import { MAX_SIGNATURES } from './limits.js';

export interface SignedByType {
  root: Root;
  timestamp: Timestamp;
  snapshot: Snapshot;
  targets: Targets;
}

function signedFromJSON(obj: unknown, expectedType?: TopLevelRole): Signed {
  const r = new FieldReader(obj, 'signed');
  const type = r.string('_type');
  if (expectedType !== undefined && type !== expectedType) {
    throw new MetadataParseError(`expected ${expectedType} metadata, got _type ${JSON.stringify(type)}`);
  }
  switch (type) {
    case 'root': return Root.fromJSON(obj);
    case 'timestamp': return Timestamp.fromJSON(obj);
    case 'snapshot': return Snapshot.fromJSON(obj);
    case 'targets': return Targets.fromJSON(obj);
    default: throw new MetadataParseError(`unknown metadata _type ${JSON.stringify(type)}`);
  }
}

/** Metadata just parsed from bytes, with the bytes its signatures must cover (see Metadata.parse). */
export interface ParsedMetadata<T extends Signed = Signed> {
  metadata: Metadata<T>;
  /** Canonical JSON of `metadata.signed` as parsed: equal to `metadata.signedBytes()` until it is mutated. */
  signedBytes: Uint8Array;
}

/** The envelope `{ signed, signatures }` of any TUF metadata file. */
export class Metadata<T extends Signed = Signed> {
  signed: T;
  /** keyid -> signature; at most one signature per keyid. */
  signatures: Map<string, Signature>;
  unrecognized: JsonObject;

  constructor(signed: T, signatures: Map<string, Signature> = new Map(), unrecognized: JsonObject = {}) {
    this.signed = signed;
    this.signatures = signatures;
    this.unrecognized = unrecognized;
  }

  /** Strictly parses metadata bytes (throws MetadataParseError; LengthMismatchError above maxLength). */
  static fromBytes<K extends TopLevelRole>(data: Uint8Array, expectedType: K, maxLength?: number): Metadata<SignedByType[K]>;
  static fromBytes(data: Uint8Array, expectedType?: TopLevelRole, maxLength?: number): Metadata;
  static fromBytes(data: Uint8Array, expectedType?: TopLevelRole, maxLength = DEFAULT_MAX_JSON_LENGTH): Metadata {
    return Metadata.fromJSON(parseJsonStrict(data, maxLength), expectedType);
  }

  /**
   * Like fromBytes, and also returns the canonical bytes of `signed`, for verifying the signatures
   * right away (getVerificationResult's `signedBytes`). When `signed` is already canonical JSON in
   * `data` (what tufpm's repository writes) they are that span of `data`, a view without a copy;
   * otherwise they are canonicalized from the parsed value here. Either way they are what
   * `metadata.signedBytes()` returns now: they do not follow later changes to `metadata`, but a view does
   * follow changes to `data`, so verify before `data` is reused.
   */
  static parse<K extends TopLevelRole>(data: Uint8Array, expectedType: K, maxLength?: number): ParsedMetadata<SignedByType[K]>;
  static parse(data: Uint8Array, expectedType?: TopLevelRole, maxLength?: number): ParsedMetadata;
  static parse(data: Uint8Array, expectedType?: TopLevelRole, maxLength = DEFAULT_MAX_JSON_LENGTH): ParsedMetadata {
    const tape = tokenizeEnvelope(data, maxLength);
    // The usual per-package role is built straight from the tape; anything else (other roles, other shapes,
    // anything invalid) is read by the general path from the same tape, which accepts exactly the same
    // documents and words every error (targets-tape.ts).
    const usual = expectedType === undefined || expectedType === 'targets' ? targetsFromTape(tape) : undefined;
    const metadata = usual !== undefined ? new Metadata(usual.signed, usual.signatures) : Metadata.fromJSON(tapeValue(tape, 0), expectedType);
    return { metadata, signedBytes: tape.canonicalSigned ?? metadata.signedBytes() };
  }

  static fromJSON<K extends TopLevelRole>(obj: unknown, expectedType: K): Metadata<SignedByType[K]>;
  static fromJSON(obj: unknown, expectedType?: TopLevelRole): Metadata;
  static fromJSON(obj: unknown, expectedType?: TopLevelRole): Metadata {
    const r = new FieldReader(obj, 'metadata');
    const signed = signedFromJSON(r.raw('signed'), expectedType);
    const signatures = new Map<string, Signature>();
    const list = r.array('signatures');
    if (list.length > MAX_SIGNATURES) throw new MetadataParseError(`${list.length} signatures, more than the ${MAX_SIGNATURES} allowed`);
    for (const s of list) {
      const sig = Signature.fromJSON(s);
      // TUF 4.2: the keyid MUST be unique in the signatures array. python-tuf refuses this too: which of two signatures for one keyid would count?
      if (signatures.has(sig.keyid)) throw new MetadataParseError(`multiple signatures for keyid ${sig.keyid}`);
      signatures.set(sig.keyid, sig);
    }
    return new Metadata(signed, signatures, r.rest());
  }

  static root(bytes: Uint8Array, maxLength?: number): Metadata<Root> {
    return Metadata.fromBytes(bytes, 'root', maxLength);
  }

  static timestamp(bytes: Uint8Array, maxLength?: number): Metadata<Timestamp> {
    return Metadata.fromBytes(bytes, 'timestamp', maxLength);
  }

  static snapshot(bytes: Uint8Array, maxLength?: number): Metadata<Snapshot> {
    return Metadata.fromBytes(bytes, 'snapshot', maxLength);
  }

  static targets(bytes: Uint8Array, maxLength?: number): Metadata<Targets> {
    return Metadata.fromBytes(bytes, 'targets', maxLength);
  }

  /** Canonical JSON of `signed`, unknown fields included: the bytes the signatures cover. */
  signedBytes(): Uint8Array {
    return canonicalize(this.signed.toJSON());
  }

  /**
   * The whole envelope as compact JSON with sorted keys (standard escapes, so it parses back).
   * Not the signed bytes: those are signedBytes(), canonical JSON of `signed` only.
   */
  toBytes(): Uint8Array {
    return sortedJson(this.toJSON());
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      { signed: this.signed.toJSON(), signatures: [...this.signatures.values()].map((s) => s.toJSON()) },
      this.unrecognized,
    );
  }

  /** Signs the current signed bytes; replaces all signatures unless append is true. */
  sign(signer: Signer, append = false): Signature {
    const sig = new Signature(signer.key.keyid, signer.sign(this.signedBytes()));
    if (!append) this.signatures.clear();
    this.signatures.set(sig.keyid, sig);
    return sig;
  }
}
