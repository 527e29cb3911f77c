// One audit round (TAP 16 auditors, ADR 0022): verify the repository's newest timestamp like any client
// (TUF 5.3-5.4 through @tufpm/client's Updater), then replay every tree delta from the last root this
// auditor verified to the root the timestamp signs against its own replica, and cosign that root only when
// each step only added leaves or raised versions and recomputed exactly the signed root and size.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DEFAULT_RETRY, HttpFetcher, Updater, cosignatureFileName, downloadBytes, ensurePrivateDir, joinUrl, signCosignature, writeFileAtomic, PRIVATE_FILE_MODE, type Fetcher, type RetryPolicy } from '@tufpm/client';
import { DEFAULT_MAX_DELTA_BYTES, EMPTY, MerkleStore, applyDelta, deltaPath, parseDelta, type MerkleDelta } from '@tufpm/merkle';
import { signerFromPem, type Signer } from '@tufpm/models';
import { AuditForkError, AuditorConfigError } from './errors.js';

export interface AuditOptions {
  metadataUrl: string;
  /** the auditor's own state: the TUF metadata it trusts and its replica of the tree */
  stateDir: string;
  /** the repository's root.json, needed on the first run (afterwards the state's root is used and updated) */
  trustedRoot?: Uint8Array;
  signer: Signer;
  /** where cosignatures go, as merkle/<root>/auditors/<keyid>.json (the metadata directory a registry serves) */
  outDir: string;
  /** most deltas replayed in one round (a longer history fails: start the auditor closer to the present) */
  maxDeltas?: number;
  fetcher?: Fetcher;
  retry?: RetryPolicy;
  clock?: () => Date;
}

export interface AuditResult {
  root: string;
  size: number;
  epoch: number;
  timestampVersion: number;
  /** deltas replayed in this round (0: the root was verified before) */
  deltasReplayed: number;
  leavesReplayed: number;
  cosignature: string;
  /** the cosignature file existed already (cosignatures are immutable once written) */
  alreadySigned: boolean;
}

const EMPTY_ROOT = Buffer.from(EMPTY).toString('hex');

export async function auditOnce(options: AuditOptions): Promise<AuditResult> {
  const metadataDir = join(options.stateDir, 'metadata');
  await ensurePrivateDir(options.stateDir);
  await ensurePrivateDir(metadataDir);
  if (!existsSync(join(metadataDir, 'root.json')) && options.trustedRoot === undefined) {
    throw new AuditorConfigError(`no trusted root in ${metadataDir}: pass the repository's root.json (--trusted-root) on the first run`);
  }
  const updater = new Updater({
    metadataDir,
    metadataBaseUrl: options.metadataUrl,
    ...(options.trustedRoot !== undefined ? { bootstrapRoot: options.trustedRoot } : {}),
    ...(options.fetcher !== undefined ? { fetcher: options.fetcher } : {}),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
  });
  // TUF 5.3-5.4 (and the client's TAP 16 checks: one tree per epoch, a tree never shrinks)
  const trusted = await updater.refresh();
  const head = trusted.merkleHead;
  if (head === undefined) throw new AuditorConfigError(`${options.metadataUrl} does not use the Merkle snapshot profile: there is no tree to audit`);
  const timestampVersion = trusted.timestamp!.signed.version;

  const store = await MerkleStore.open(join(options.stateDir, 'replica'));
  const verified = store.committedHead();
  let deltasReplayed = 0;
  let leavesReplayed = 0;
  if (verified.root !== head.root || verified.size !== head.size) {
    const chain = await collectDeltas(options, head, verified);
    for (const step of chain) {
      // TAP 16: only additions, raises and tombstones; the recomputed root and size must be the signed ones
      applyDelta(store.tree, step.delta, step.expected);
      await store.commit();
      deltasReplayed++;
      leavesReplayed += step.delta.leaves.length;
    }
  }
  const cosignature = join(options.outDir, cosignatureFileName(head.root, options.signer.key.keyid));
  const alreadySigned = existsSync(cosignature);
  if (!alreadySigned) {
    await mkdir(dirname(cosignature), { recursive: true });
    await writeFileAtomic(cosignature, signCosignature(head, timestampVersion, options.signer), { mode: PRIVATE_FILE_MODE, durable: true });
  }
  return { root: head.root, size: head.size, epoch: head.epoch, timestampVersion, deltasReplayed, leavesReplayed, cosignature, alreadySigned };
}

interface Step {
  delta: MerkleDelta;
  expected: { root: string; size: number };
}

/**
 * Walks delta.json back from the signed root until it reaches the root this auditor verified last. A
 * history that reaches the empty tree without meeting it (while the replica is not empty) forked away
 * from what the auditor verified: the registry rewrote history.
 */
async function collectDeltas(options: AuditOptions, head: { root: string; size: number }, verified: { root: string; size: number }): Promise<Step[]> {
  const max = options.maxDeltas ?? 10_000;
  const chain: Step[] = [];
  let expected = { root: head.root, size: head.size };
  for (;;) {
    if (chain.length >= max) throw new AuditorConfigError(`more than ${max} deltas between the verified root ${verified.root} and ${head.root}: raise --max-deltas or start from a newer replica`);
    // bounded before parsing (endless data); parseDelta is strict
    const bytes = await downloadBytes(options.fetcher ?? new HttpFetcher(), joinUrl(options.metadataUrl, deltaPath(expected.root)), DEFAULT_MAX_DELTA_BYTES, options.retry ?? DEFAULT_RETRY);
    const delta = parseDelta(bytes);
    chain.unshift({ delta, expected });
    if (delta.previous_root === verified.root && delta.previous_size === verified.size) return chain;
    if (delta.previous_root === EMPTY_ROOT || delta.previous_size < verified.size) {
      throw new AuditForkError(`the history of tree ${head.root} does not pass through ${verified.root} (size ${verified.size}), the root this auditor verified last: the registry rewrote or forked its history`);
    }
    expected = { root: delta.previous_root, size: delta.previous_size };
  }
}

/** Reads a private key file for signing (PEM; ed25519, ECDSA P-256 or RSA). */
export async function readSignerFile(path: string): Promise<Signer> {
  return signerFromPem(await readFile(path, 'utf8'));
}
