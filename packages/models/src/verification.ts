import { MetadataParseError, UnsignedMetadataError, UnsupportedAlgorithmError } from './errors.js';
import type { Key } from './key.js';
import type { Metadata } from './metadata.js';
import type { Role } from './role.js';
import type { Signed } from './signed.js';

export interface VerificationResult {
  /** distinctKeys >= threshold */
  verified: boolean;
  threshold: number;
  /** keyids (of the role) whose signature verified, in the role's keyid order */
  signedBy: string[];
  /** number of distinct public keys among signedBy: what counts towards the threshold */
  distinctKeys: number;
}

/**
 * TUF 5.3.4 / 5.4.2 / 5.5.3 / 5.6.3 (arbitrary software attack): counts the role's keys that signed `delegate`'s canonical bytes.
 * - Only keyids listed in the role count; signatures by other keyids are ignored.
 * - Keys count by their public key material, so one key listed under two keyids counts once.
 * - A key of an unsupported type or with unparsable material counts as not signed; it does not
 *   stop the other keys from being checked.
 * `signedBytes`: the canonical bytes of `delegate.signed`, from Metadata.parse of the bytes `delegate`
 * was just parsed from (saves canonicalizing again). Omitted, they are computed from `delegate.signed`.
 */
export function getVerificationResult(
  keys: ReadonlyMap<string, Key>,
  role: Role,
  delegate: Metadata<Signed>,
  signedBytes?: Uint8Array,
): VerificationResult {
  // TUF 4.1: the signatures cover the canonical JSON of `signed`, never the bytes as sent.
  const data = signedBytes ?? delegate.signedBytes();
  const signedBy: string[] = [];
  // the keys that verified, for counting distinct ones: the first on its own, an array only from the second on
  let firstKey: Key | undefined;
  let moreKeys: Key[] | undefined;
  const keyids = role.keyids;
  // a keyid listed twice is checked once (a Set only when there is more than one keyid: per-package roles have one)
  const seen = keyids.length > 1 ? new Set<string>() : undefined;
  for (const keyid of keyids) {
    if (seen !== undefined) {
      if (seen.has(keyid)) continue;
      seen.add(keyid);
    }
    const key = keys.get(keyid);
    const sig = delegate.signatures.get(keyid);
    if (key === undefined || sig === undefined) continue;
    let ok: boolean;
    try {
      ok = key.verify(data, sig.sig);
    } catch (err) {
      if (err instanceof UnsupportedAlgorithmError || err instanceof MetadataParseError) continue;
      throw err;
    }
    if (ok) {
      signedBy.push(keyid);
      if (firstKey === undefined) firstKey = key;
      else (moreKeys ??= [firstKey]).push(key);
    }
  }
  // One verified key is one distinct key; fingerprints (a hash per key) only matter when keys could repeat.
  const distinctKeys = moreKeys === undefined ? (firstKey === undefined ? 0 : 1) : new Set(moreKeys.map((k) => k.publicKeyFingerprint)).size;
  return { verified: distinctKeys >= role.threshold, threshold: role.threshold, signedBy, distinctKeys };
}

/** Like getVerificationResult, but throws UnsignedMetadataError when the threshold is not reached. */
export function verifyThreshold(
  keys: ReadonlyMap<string, Key>,
  role: Role,
  delegate: Metadata<Signed>,
  roleName: string,
  signedBytes?: Uint8Array,
): VerificationResult {
  const result = getVerificationResult(keys, role, delegate, signedBytes);
  if (!result.verified) {
    throw new UnsignedMetadataError(
      `${roleName} was signed by ${result.distinctKeys}/${result.threshold} required distinct keys`,
    );
  }
  return result;
}
