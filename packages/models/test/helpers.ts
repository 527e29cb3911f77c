import { Metadata, Root, Snapshot, Targets, Timestamp, generateEd25519KeyPair, type Signer, type TopLevelRole } from '../src/index.js';

export const FUTURE = new Date('2100-01-01T00:00:00Z');
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A tiny signed repository: one ed25519 key per top-level role, threshold 1. */
export function makeRepo(): {
  signers: Record<TopLevelRole, Signer>;
  root: Metadata<Root>;
  timestamp: Metadata<Timestamp>;
  snapshot: Metadata<Snapshot>;
  targets: Metadata<Targets>;
} {
  const signers = {
    root: generateEd25519KeyPair().signer,
    timestamp: generateEd25519KeyPair().signer,
    snapshot: generateEd25519KeyPair().signer,
    targets: generateEd25519KeyPair().signer,
  };
  const root = new Metadata(new Root({ expires: FUTURE }));
  for (const r of ['root', 'timestamp', 'snapshot', 'targets'] as const) root.signed.addKey(signers[r].key, r);
  root.sign(signers.root);
  const targets = new Metadata(new Targets({ expires: FUTURE }));
  targets.sign(signers.targets);
  const snapshot = new Metadata(new Snapshot({ expires: FUTURE }));
  snapshot.sign(signers.snapshot);
  const timestamp = new Metadata(new Timestamp({ expires: FUTURE }));
  timestamp.sign(signers.timestamp);
  return { signers, root, timestamp, snapshot, targets };
}

/** Parses JSON, applies a mutation to the `signed` object, re-serialises (signatures unchanged). */
export function mutateSigned(bytes: Uint8Array, f: (signed: Record<string, unknown>) => void): Uint8Array {
  const obj = JSON.parse(dec(bytes)) as { signed: Record<string, unknown> };
  f(obj.signed);
  return enc(JSON.stringify(obj));
}
