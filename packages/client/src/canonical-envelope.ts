// The two halves of a metadata file written as canonical JSON (`{"signatures":[...],"signed":{...}}`, as
// tufpm-repo writes every file), found without parsing the `signed` half: its bytes are then exactly the
// canonical bytes the signatures cover (TUF 4.1), so they can be checked before anything decodes them.
import { MAX_SIGNATURES, MetadataParseError, Signature } from '@tufpm/models';

const PREFIX = Buffer.from('{"signatures":[', 'utf8');
const SEPARATOR = Buffer.from('],"signed":{', 'utf8');

export interface CanonicalEnvelope {
  signatures: Map<string, Signature>;
  /** the `signed` value's bytes, as stored */
  signedBytes: Uint8Array;
}

/**
 * Splits `bytes` at the first `],"signed":{`, or returns undefined when the file is not shaped like a
 * canonical envelope. The split is only a guess: the caller must verify the signatures over `signedBytes`
 * and decode `signed` from those same bytes, so a wrong guess can only fail verification (a file that is
 * not canonical JSON, or a crafted one, takes the caller's full path), never make other bytes count.
 */
export function splitCanonicalEnvelope(bytes: Uint8Array): CanonicalEnvelope | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < PREFIX.length + SEPARATOR.length + 1 || buf[buf.length - 1] !== 0x7d) return undefined;
  if (!buf.subarray(0, PREFIX.length).equals(PREFIX)) return undefined;
  const at = buf.indexOf(SEPARATOR, PREFIX.length - 1);
  if (at < 0) return undefined;
  let list: unknown;
  try {
    list = JSON.parse(buf.subarray(PREFIX.length - 1, at + 1).toString('utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (!Array.isArray(list) || list.length > MAX_SIGNATURES) return undefined;
  const signatures = new Map<string, Signature>();
  for (const entry of list) {
    let sig: Signature;
    try {
      sig = Signature.fromJSON(entry);
    } catch (error) {
      if (error instanceof MetadataParseError) return undefined;
      throw error;
    }
    // TUF 4.2: one signature per keyid (as Metadata.fromJSON refuses)
    if (signatures.has(sig.keyid)) return undefined;
    signatures.set(sig.keyid, sig);
  }
  return { signatures, signedBytes: buf.subarray(at + SEPARATOR.length - 1, buf.length - 1) };
}
