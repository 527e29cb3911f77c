// Opening an install's verification session (InstallVerifier.open): the project's pins and auditors, the
// machine's state directory, the refreshed TUF metadata and the machine's sealed records, each checked
// before the verifier answers anything. Nothing is written to the project here.
import { join } from 'node:path';
import { VerifyError } from './errors.js';
import { DEFAULT_LOCKFILE_NAME, readLockfile, rootDigestKind, type RoleKeys, type SideLockfile } from './lockfile.js';
import { hasVerifiedRoles, openTufSession, type TufSession } from './tuf-session.js';
import { DEFAULT_AUDITORS_NAME, readAuditorPolicy } from './auditors.js';
import { auditorsRecord, checkAuditorsAgainstPins } from './auditors-pin.js';
import { openTufSessionInWorker } from './worker-session.js';
import { MachineBindings } from './machine-bindings.js';
import { CheckedTarballs } from './checked-tarballs.js';
import { CheckedPackages } from './checked-packages.js';
import { checkStateTree, openMachineState, registryStateDir } from './state-dir.js';
import { checkProvenRolesAgainstPins, checkStateAgainstPins } from './pin-checks.js';
import type { VerifierOptions } from './types.js';

export const DEFAULT_TRUSTED_ROOT_NAME = 'tufpm-root.json';

export function normalizeRegistry(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Where an install's pins are written (the project's tufpm-lock.json) and where they are read from. */
export function pinsLocation(options: VerifierOptions): { lockfilePath: string; pinsFile: string } {
  const lockfilePath = join(options.projectDir, options.lockfileName ?? DEFAULT_LOCKFILE_NAME);
  return { lockfilePath, pinsFile: options.pinsPath ?? lockfilePath };
}

/** What InstallVerifier.open hands the verifier: every part already checked against the pins. */
export interface OpenedSession {
  tuf: TufSession;
  pins: SideLockfile | undefined;
  machineBindings: MachineBindings;
  checkedTarballs: CheckedTarballs;
  checkedPackages: CheckedPackages;
  /** the project's tufpm-auditors.json as the pins record it (merkle.auditors), when it has one */
  auditors: RoleKeys | undefined;
}

/**
 * Loads the pins and the trusted root, refreshes the TUF metadata and refuses a repository state older
 * than the pins. The TUF session is closed again when a later step fails.
 */
export async function openVerifierSession(options: VerifierOptions): Promise<OpenedSession> {
  const registryUrl = normalizeRegistry(options.registryUrl);
  const { pinsFile } = pinsLocation(options);
  const pins = await readLockfile(pinsFile);
  if (pins && normalizeRegistry(pins.registry) !== registryUrl) {
    throw new VerifyError('TUF_LOCKFILE', `${pinsFile} pins registry ${pins.registry}, but the install uses ${registryUrl}`, {
      attack: 'registry substitution',
      recovery: 'point the install at the pinned registry, or delete tufpm-lock.json deliberately to re-pin',
    });
  }
  const auditors = await readAuditorPolicy(join(options.projectDir, DEFAULT_AUDITORS_NAME));
  // ADR 0022: the pins recorded that auditors are required; a project without them (or with weaker ones) is refused
  if (pins) checkAuditorsAgainstPins(pins, auditors?.policy, pinsFile);
  options.onProgress?.({ phase: 'refresh', done: 0, total: 1 });
  const machine = await openMachineState(options.stateDir, options.packageCaches, options.stateDirIsDefault === true ? undefined : options.projectDir);
  const metadataUrl = options.metadataUrl ?? `${registryUrl}-/tuf/metadata/`;
  // What this install reads from the state directory: no symlinks, nothing writable by others (ADR 0011).
  await checkStateTree(machine.dir, registryStateDir(machine.dir, metadataUrl));
  const sessionOptions = {
    registryUrl,
    metadataUrl,
    trustedRootPath: options.trustedRootPath ?? join(options.projectDir, DEFAULT_TRUSTED_ROOT_NAME),
    cacheDir: registryStateDir(machine.dir, metadataUrl),
    recordKey: machine.recordKey,
    ...(options.snapshotMaxLength !== undefined ? { snapshotMaxLength: options.snapshotMaxLength } : {}),
    ...(options.networkTimeoutMs !== undefined ? { networkTimeoutMs: options.networkTimeoutMs } : {}),
    // ADR 0022: the project's own auditors (never the registry's word); plain JSON, it may cross to the worker
    ...(auditors !== undefined ? { auditors: auditors.raw } : {}),
    ...(pins ? { pinnedRoot: { version: pins.root.version, sha256: pins.root.sha256, digest: rootDigestKind(pins) } } : {}),
  };
  const useWorker = options.tufWorker !== undefined && options.clock === undefined && !(await hasVerifiedRoles(sessionOptions));
  const tuf = useWorker
    ? await openTufSessionInWorker(sessionOptions, options.tufWorker!())
    : await openTufSession({ ...sessionOptions, ...(options.clock ? { clock: options.clock } : {}) });
  options.onProgress?.({ phase: 'refresh', done: 1, total: 1 });
  try {
    const [machineBindings, checkedTarballs, checkedPackages] = await Promise.all([
      MachineBindings.load(sessionOptions.cacheDir, machine.recordKey),
      CheckedTarballs.load(sessionOptions.cacheDir, machine.recordKey),
      CheckedPackages.load(sessionOptions.cacheDir, machine.recordKey),
    ]);
    if (pins) checkStateAgainstPins(pins, tuf.state(), tuf.rootChain(), pinsFile);
    // Merkle profile (TAP 16): the roles of the pinned packages are known now; their proofs are fetched
    // concurrently here instead of one round trip per package lookup later. Classic profile: the same roles
    // tell the session which role bundles (ADR 0024) the lookups will need.
    if (pins) {
      const proven = new Map(await tuf.prefetch([...new Set([...pins.packages.values()].map((p) => p.role))]));
      if (tuf.state().merkle !== undefined) checkProvenRolesAgainstPins(pins, proven, pinsFile);
    }
    return { tuf, pins, machineBindings, checkedTarballs, checkedPackages, auditors: auditors === undefined ? undefined : auditorsRecord(auditors.policy) };
  } catch (error) {
    await tuf.close();
    throw error;
  }
}
