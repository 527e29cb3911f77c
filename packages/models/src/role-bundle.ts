// Role bundles (ADR 0024, decision 2): a transport for many hash-bin role files in one response. A bundle is
// NOT metadata: nobody signs it and no snapshot lists it. It maps role names to the exact bytes of each
// role's file; a client hands each entry it asked for to the same checks a single download goes through,
// so a bundle can make an install cheaper but never make a role trusted.
//
// Format (strict JSON, parsed with parseJsonStrict: no duplicate keys, fatal UTF-8, bounded):
//   {"bundle":<k>,"format":1,"roles":{"<role name>":"<base64 of the role file's bytes>",...}}
// The snapshot version is in the file name only: a bundle whose bins did not change between two snapshots
// has the same bytes under both names (writers hard-link it), and each entry's version is checked against
// the snapshot by the client anyway.
// Base64 (RFC 4648, standard alphabet, padded) is exact for any bytes; the parser accepts only the one
// canonical encoding of each byte string (it re-encodes and compares), so one bundle has one meaning.
import { Buffer } from 'node:buffer';
import { MetadataParseError } from './errors.js';
import { parseJsonStrict } from './json-strict.js';
import type { SuccinctRoles } from './succinct-roles.js';

export const ROLE_BUNDLE_FORMAT = 1;
/** Bins per bundle: bundle k holds bins k*B .. k*B+B-1 of the succinct delegation (a fixed, public partition). */
export const BINS_PER_BUNDLE = 32;
/**
 * Upper bound of a bundle file, for writers (a larger bundle is not written; clients fetch the roles one by
 * one) and for clients (the download bound is the smaller of this and B roles at the client's role bound).
 * 32 bins of ~700 KB each (npm's 3.6M packages in 2^14 bins, ~220 packages a bin) fit in base64.
 */
export const MAX_ROLE_BUNDLE_BYTES = 32 * 1024 * 1024;

/** `<snapshot version>.bundle-<k>.json`: only with consistent snapshots, so a name never changes content. */
export function roleBundleFileName(snapshotVersion: number, bundle: number): string {
  return `${snapshotVersion}.bundle-${bundle}.json`;
}

/** The bundle holding `binName` of `succinct`, or undefined when the name is not one of its bins. */
export function roleBundleOfBin(succinct: SuccinctRoles, binName: string): number | undefined {
  if (!succinct.isDelegatedRole(binName)) return undefined;
  return Math.floor(parseInt(binName.slice(succinct.namePrefix.length + 1), 16) / BINS_PER_BUNDLE);
}

/** The bin names bundle `k` of `succinct` holds. */
export function roleBundleBins(succinct: SuccinctRoles, bundle: number): string[] {
  const out: string[] = [];
  const end = Math.min(succinct.numberOfBins, (bundle + 1) * BINS_PER_BUNDLE);
  for (let i = bundle * BINS_PER_BUNDLE; i < end; i++) out.push(`${succinct.namePrefix}-${i.toString(16).padStart(succinct.suffixLength, '0')}`);
  return out;
}

/** Number of bundles for `succinct`'s bins. */
export function roleBundleCount(succinct: SuccinctRoles): number {
  return Math.ceil(succinct.numberOfBins / BINS_PER_BUNDLE);
}

/** Bytes of bundle `k` holding `entries` (role name -> exact file bytes). */
export function encodeRoleBundle(bundle: number, entries: Iterable<[string, Uint8Array]>): Uint8Array {
  const roles: Record<string, string> = {};
  for (const [name, bytes] of entries) roles[name] = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return new TextEncoder().encode(JSON.stringify({ bundle, format: ROLE_BUNDLE_FORMAT, roles }));
}

// Linear-time checks only: a backtracking pattern with a repeated group overflowed V8's regexp stack on
// entries above ~4.4 M characters (a legitimate large bin, or a mirror's padding) and crashed the install
// with a RangeError instead of a parse error (red team s7, F0).
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64Strict(name: string, text: string): Uint8Array {
  if (text.length % 4 !== 0 || !BASE64_CHARS.test(text)) throw new MetadataParseError(`role bundle entry ${JSON.stringify(name)} is not padded standard base64`);
  const bytes = Buffer.from(text, 'base64');
  // non-zero padding bits decode to the same bytes as the canonical form: refuse them (one meaning only)
  if (bytes.toString('base64') !== text) throw new MetadataParseError(`role bundle entry ${JSON.stringify(name)} is not canonical base64`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Parses a bundle strictly: the expected bundle number, format 1, and every entry a
 * canonical base64 string. Throws MetadataParseError (LengthMismatchError above maxLength). The entries are
 * unverified bytes: nothing here says they are what the snapshot lists.
 */
export function parseRoleBundle(bytes: Uint8Array, maxLength: number, bundle: number): Map<string, Uint8Array> {
  const value = parseJsonStrict(bytes, maxLength);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MetadataParseError('role bundle is not a JSON object');
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  if (keys.join(',') !== 'bundle,format,roles') throw new MetadataParseError(`role bundle has fields ${keys.join(',')}, expected bundle,format,roles`);
  if (obj.format !== ROLE_BUNDLE_FORMAT) throw new MetadataParseError(`role bundle format ${String(obj.format)} is not ${ROLE_BUNDLE_FORMAT}`);
  if (obj.bundle !== bundle) throw new MetadataParseError(`role bundle is number ${String(obj.bundle)}, not ${bundle}`);
  const roles = obj.roles;
  if (typeof roles !== 'object' || roles === null || Array.isArray(roles)) throw new MetadataParseError('role bundle roles is not an object');
  const out = new Map<string, Uint8Array>();
  for (const [name, text] of Object.entries(roles as Record<string, unknown>)) {
    if (typeof text !== 'string') throw new MetadataParseError(`role bundle entry ${JSON.stringify(name)} is not a string`);
    out.set(name, decodeBase64Strict(name, text));
  }
  return out;
}
