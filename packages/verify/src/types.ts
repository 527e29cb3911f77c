import type { SignedDependencies } from './signed-dependencies.js';
import type { SignedManifestFields } from './manifest-fields.js';

export type VerifyMode = 'enforce' | 'warn';

export interface ProgressEvent {
  phase: 'refresh' | 'resolve' | 'verify';
  done: number;
  total: number;
  name?: string;
}

export interface VerifierOptions {
  /** Directory holding tufpm-lock.json (the project root). */
  projectDir: string;
  /** npm registry base URL, e.g. http://127.0.0.1:4873/ */
  registryUrl: string;
  /** TUF metadata URL; default `${registryUrl}/-/tuf/metadata/`. */
  metadataUrl?: string;
  /** The root the project trusts initially; default `${projectDir}/tufpm-root.json`. */
  trustedRootPath?: string;
  /**
   * The machine's tufpm state directory (state-dir.ts, ADR 0011): verified TUF metadata, the delegated-role
   * pack, Yarn bindings and the record key. Created 0700 when missing; refused (TUF_STATE_DIR_UNSAFE) when
   * another user owns it, it is writable by group or others, or it lies inside one of `packageCaches`.
   */
  stateDir: string;
  /**
   * `stateDir` is the user-level default (TUFPM_STATE_DIR, XDG, HOME), not a setting the project's
   * configuration chose: then it may lie inside the project (a project in HOME itself). Any other state
   * directory inside the project is refused: a pull request could commit a forged one there.
   */
  stateDirIsDefault?: boolean;
  /** Directories other processes may write (Yarn's global folder and cache, the npm cache): never the state's home. */
  packageCaches?: string[];
  mode?: VerifyMode;
  /** Exact package names or '@scope/*' whose tarballs are NOT verified. Weakens security. */
  unsafeUnverifiedPackages?: string[];
  lockfileName?: string;
  /**
   * Read the pins (floors, root pin, claims, package pins) from this file instead of the project's
   * tufpm-lock.json; commit() still writes the project's. For `yarn dlx`, whose temporary project is
   * checked against the pins of the project it was started from without adding its packages to them.
   */
  pinsPath?: string;
  clock?: () => Date;
  onProgress?: (event: ProgressEvent) => void;
  /** Concurrency for resolveAll (role fetches); default 8. */
  concurrency?: number;
  /**
   * Team policy: packages that must be signed by their own maintainers (a claimed, per-package role) rather
   * than by the registry's online keys. `true` = every package; a list = exact names or '@scope/*'.
   */
  requireMaintainerSigned?: boolean | string[];
  /** With requireMaintainerSigned: the package role's threshold must be at least this. */
  minimumThreshold?: number;
  /**
   * Runs the TUF session (metadata refresh, role downloads and signature checks) on this worker thread
   * (an entry of tuf-worker.ts), off the installer's main thread, when the machine has no verified roles
   * cached yet for this repository (a cold install: hundreds of downloads and checks). A warm install's
   * session (~30 ms for 600 packages) stays in-process: the worker's start-up would cost more. Ignored when
   * `clock` is set (a clock cannot cross threads).
   */
  tufWorker?: () => import('node:worker_threads').Worker;
  /** Bound (bytes) on the snapshot; default the client's (config.snapshotMaxLength, 16 MB). Raise it only
   *  to what the registry's snapshot needs: every byte of it is one an online timestamp key can make each
   *  install fetch and parse (docs/benchmarks.md, "Metadata size"). */
  snapshotMaxLength?: number;
  /** The installer's own network timeout in ms (Yarn's `httpTimeout`, npm's `fetch-timeout`): the TUF
   *  client's idle and header timeouts and its slow-retrieval grace are shortened to it, never lengthened
   *  (tuf-session.ts `clientTimeouts`; ADR 0019). Default: the client's (30 s idle, 10 s grace). */
  networkTimeoutMs?: number;
}

export interface SignedTarget {
  name: string;
  version: string;
  targetPath: string;
  role: string;
  roleVersion: number;
  length: number;
  sha512: string;
  sha256?: string;
  integrity: string;
  maintainerSigned: boolean;
  /** signatures the package's delegation requires */
  threshold: number;
  /** The dependency maps of the signed tarball's package.json (target `custom.npm`); absent when the
   *  repository that signed the target did not record them. */
  dependencies?: SignedDependencies;
  /** The install-relevant package.json fields signed with the tarball (bin, os/cpu/libc, install scripts,
   *  node-gyp, ...); absent when the repository that signed the target did not record them. */
  manifestFields?: SignedManifestFields;
}

export interface VerifierSummary {
  registry: string;
  mode: VerifyMode;
  root: { version: number; sha256: string; expires: string };
  timestamp: { version: number; expires: string };
  snapshot: { version: number; expires: string };
  targets: { version: number; expires: string };
  pinned: { root: number; timestamp: number; snapshot: number; packages: number } | null;
  packages: { verified: number; maintainerSigned: number; registrySigned: number };
}

