// The I/O half of the Merkle profile (TAP 16, ADR 0022), used by the Updater: proof files fetched once per
// role and session, deduplicated and with bounded concurrency, and the auditors' cosignatures on the tree
// root; both read first from the proof cache (merkle-proof-cache.ts) and verified again like a download.
// Every check on the bytes is TrustedMetadataSet's / the pure helpers'; this file only moves bytes.
import { MerkleProofError, proofPath } from '@tufpm/merkle';
import { TufError } from '@tufpm/models';
import { checkCosignature, cosignatureFileName, COSIGNATURE_MAX_LENGTH, type AuditorPolicy } from './merkle-cosignature.js';
import { MerkleUnauditedError } from './merkle-errors.js';
import type { MerkleTreeHead } from './merkle-profile.js';
import { MERKLE_PROOF_MAX_LENGTH } from './merkle-view.js';
import { DownloadError } from './errors.js';
import type { TrustedMetadataSet } from './trusted-metadata-set.js';
import type { MerkleProofCache } from './merkle-proof-cache.js';

export type Download = (fileName: string, maxLength: number) => Promise<Uint8Array>;

/** Run `work` over `items` with at most `limit` in flight. */
export async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class MerkleLoader {
  readonly #download: Download;
  readonly #concurrency: number;
  readonly #proofs = new Map<string, Promise<void>>();
  readonly #cache: MerkleProofCache | undefined;

  constructor(download: Download, concurrency: number, cache?: MerkleProofCache) {
    this.#download = download;
    this.#concurrency = concurrency;
    this.#cache = cache;
  }

  /** Writes the proofs and cosignatures verified in this session to the proof cache. */
  async persist(): Promise<void> {
    await this.#cache?.flush();
  }

  /** TAP 16: the role's proof against the session's one pinned root, verified by the trusted set (once per role). */
  ensureProof(trusted: TrustedMetadataSet, roleName: string): Promise<void> {
    let load = this.#proofs.get(roleName);
    if (load === undefined) {
      load = (async () => {
        if (trusted.hasProof(roleName)) return;
        const head = trusted.merkleHead!;
        // TAP 16: a cached proof is verified against the pinned root like a downloaded one; one that fails
        // (another root, tampered, malformed) is never used: the proof is fetched again
        const cached = await this.#cache?.proof(head.root, roleName);
        if (cached !== undefined) {
          try {
            trusted.proveRole(roleName, cached);
            return;
          } catch (err) {
            if (!(err instanceof MerkleProofError)) throw err;
          }
        }
        // proofs bounded in size before parsing (endless data); the file name carries the pinned root, and
        // the proof's own "root" must equal it too
        const bytes = await this.#download(proofPath(head.root, roleName), MERKLE_PROOF_MAX_LENGTH);
        trusted.proveRole(roleName, bytes);
        this.#cache?.add(head.root, 'proofs', roleName, bytes);
      })();
      this.#proofs.set(roleName, load);
    }
    return load;
  }

  /** Proofs for many roles at once (an install knows most of its roles up front): one round trip per wave. */
  async prefetch(trusted: TrustedMetadataSet, roleNames: Iterable<string>): Promise<void> {
    const names = [...new Set(roleNames)].filter((n) => !this.#proofs.has(n));
    await forEachBounded(names, this.#concurrency, (name) => this.ensureProof(trusted, name));
  }

  /**
   * TAP 16 (auditors): at least `policy.threshold` of the user's auditor keys cosigned exactly this root and
   * size. A cosignature that is missing (404), malformed, for another tree or badly signed does not count; a
   * registry that is unreachable while the threshold is not met is reported as such (DownloadError).
   */
  async checkAuditors(head: MerkleTreeHead, policy: AuditorPolicy): Promise<void> {
    let valid = 0;
    const problems: string[] = [];
    let unreachable: DownloadError | undefined;
    await forEachBounded([...policy.keys], this.#concurrency, async ([keyid, key]) => {
      // a cached cosignature counts only when it checks against exactly this epoch, root and size
      const cached = await this.#cache?.cosignature(head.root, keyid);
      if (cached !== undefined && checkCosignature(cached, key, head) === undefined) {
        valid++;
        return;
      }
      let bytes: Uint8Array;
      try {
        bytes = await this.#download(cosignatureFileName(head.root, keyid), COSIGNATURE_MAX_LENGTH);
      } catch (err) {
        if (!(err instanceof DownloadError)) {
          // an oversized answer (endless data) does not count; anything that is not a TufError is a bug
          if (!(err instanceof TufError)) throw err;
          problems.push(`${keyid.slice(0, 12)}: ${err.message}`);
          return;
        }
        if (err.retryable) unreachable ??= err;
        problems.push(`${keyid.slice(0, 12)}: ${err.status === 404 ? 'has not signed' : err.message}`);
        return;
      }
      const reason = checkCosignature(bytes, key, head);
      if (reason === undefined) {
        valid++;
        this.#cache?.add(head.root, 'cosignatures', keyid, bytes);
      } else problems.push(`${keyid.slice(0, 12)}: ${reason}`);
    });
    if (valid >= policy.threshold) return;
    if (unreachable !== undefined) throw unreachable;
    throw new MerkleUnauditedError(head.root, valid, policy.threshold, problems.length > 0 ? ` (${problems.join('; ')})` : '');
  }
}
