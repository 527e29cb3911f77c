// What an Updater is configured with (updater.ts), and what it reports of the roots a refresh trusted.
import type { RoleBundleOptions } from './bundle-fetcher.js';
import type { UpdaterConfig } from './config.js';
import type { RetryPolicy } from './download.js';
import type { Fetcher } from './fetcher.js';
import type { AuditorPolicy } from './merkle-cosignature.js';

export interface UpdaterOptions {
  /** local metadata directory: root.json must be there (see the conformance `init`); created 0700 when missing */
  metadataDir: string;
  metadataBaseUrl: string;
  targetBaseUrl?: string;
  /** where downloadTarget writes when no explicit file path is given */
  targetDir?: string;
  fetcher?: Fetcher;
  /** reference time for expiry checks, read once per refresh */
  clock?: () => Date;
  config?: Partial<UpdaterConfig>;
  retry?: RetryPolicy;
  /** trusted root bytes (shipped with the application or pinned in a lockfile), used and persisted when
   *  metadataDir holds no root.json yet; a cached root.json (already updated from it) wins */
  bootstrapRoot?: Uint8Array;
  /**
   * How delegated roles are cached: 'files' (default, one `<role>.json` per role, the layout TUF clients and
   * the conformance suite expect) or 'pack' (one `delegated-roles.pack`, written by persist(): for installers
   * that touch a role per package; see role-pack.ts). The pack also keeps a copy of the top-level targets,
   * whose own durable file stays.
   */
  delegatedRoleCache?: 'files' | 'pack';
  /**
   * 'pack' mode: the key (32 bytes) that seals the pack's verification records (one seal over every entry's
   * name, exact bytes and record: role-pack.ts, ADR 0011, ADR 0020). Keep it where whoever can write metadataDir cannot read it. Without it no
   * record is made or believed: every packed role's signatures are verified on every read.
   */
  verificationRecordKey?: Uint8Array;
  /**
   * Merkle snapshot profile (ADR 0022): the auditors whose cosignatures the tree root needs before anything
   * is trusted from it. Comes from the user's side (tufpm-auditors.json), never from the registry. Ignored
   * in the classic profile.
   */
  auditors?: AuditorPolicy;
  /**
   * Take hash-bin roles from role bundles (`<snapshot version>.bundle-<k>.json`, ADR 0024) when the session
   * needs more than a threshold of a bundle's bins: `true` for the defaults, or the threshold and window.
   * Off by default (plain TUF clients and the conformance suite see exactly the TUF requests). Consistent
   * snapshots and the classic profile only. Each entry is verified exactly as the role fetched alone.
   */
  roleBundles?: boolean | Partial<RoleBundleOptions>;
}

/** A root trusted in a refresh. */
export interface RootChainEntry {
  version: number;
  /** sha256 (hex) of the root file's bytes: what operators publish and `init --root-sha256` checks */
  sha256: string;
  /** sha256 (hex) of its canonical signed part (formatting- and signature-independent; old pins used it) */
  signedSha256: string;
}
