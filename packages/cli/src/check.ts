import { homedir } from 'node:os';
import { join } from 'node:path';
import { TufError } from '@tufpm/models';
import {
  DEFAULT_LOCKFILE_NAME,
  InstallVerifier,
  VerifyError,
  defaultStateDir,
  pinsMissingError,
  readLockfile,
  type SignedTarget,
  type VerifierSummary,
} from '@tufpm/verify';
import type { LockEntry } from './lock-entries.js';
import { readProjectLockfiles, type ProjectLockfile } from './project-lockfiles.js';
import { checkNpmEntry } from './npm-entry.js';
import { projectMetadataUrl } from './npmrc.js';
import { checkYarnEntry, unboundPatches } from './yarn-entry.js';

export interface ProjectVerifyOptions {
  projectDir: string;
  /** lockfiles to check (paths); default: every one of yarn.lock, npm-shrinkwrap.json / package-lock.json present */
  lockfiles?: string[];
  /** default: the registry tufpm-lock.json pins */
  registryUrl?: string;
  /** default: `tufpm-metadata-url` of the project's .npmrc or `tufMetadataUrl` of its .yarnrc.yml, else <registry>/-/tuf/metadata/ */
  metadataUrl?: string;
  /** default: <projectDir>/tufpm-root.json */
  trustedRootPath?: string;
  /** the machine's tufpm state directory; default as the installers' (TUFPM_STATE_DIR, XDG, ~/.local/state/tufpm) */
  stateDir?: string;
  requireMaintainerSigned?: string[];
  minimumThreshold?: number;
  /** names or `@scope/*` not looked up at all (weakens the gate) */
  unsafeUnverifiedPackages?: string[];
  /** names or `@scope/*` whose git / file / remote sources are let through (weakens the gate) */
  unsafeAllowNonRegistry?: string[];
  onProgress?: (done: number, total: number, name: string) => void;
}

export interface VerifiedPackage {
  lockfile: string;
  name: string;
  version: string;
  role: string;
  maintainerSigned: boolean;
}

export interface ProjectVerifyResult {
  lockfiles: string[];
  verified: VerifiedPackage[];
  /** the project's own workspaces and bundled packages (covered by their parent's signed tarball) */
  notLookedUp: number;
  exempt: string[];
  unsafeAllowed: string[];
  failures: TufError[];
  summary: VerifierSummary;
}

function matches(name: string, list: readonly string[] | undefined): boolean {
  return (list ?? []).some((entry) => entry === '*' || entry === name || (entry.endsWith('/*') && name.startsWith(entry.slice(0, -1))));
}

function unsafeSource(lockfile: string, entry: LockEntry): VerifyError {
  const what = entry.version === '' ? entry.name : `${entry.name}@${entry.version}`;
  return new VerifyError('TUF_UNSAFE_SOURCE', `${lockfile}: ${what} comes from a ${entry.kind} source (${(entry.source ?? '').slice(0, 200)}), which no TUF role signs`, {
    packageName: entry.name,
    ...(entry.version === '' ? {} : { version: entry.version }),
    attack: 'unverifiable dependency source (bytes signed by nobody)',
    recovery: 'depend on a registry version instead, or accept the risk for this name with --unsafe-allow-non-registry',
  });
}

/**
 * `tufpm verify` (ADR 0015): every registry package of the project's lockfiles against the signed TUF state
 * and tufpm-lock.json, through the same InstallVerifier the installers use (delegated role, pins, claims,
 * signer policy), and each entry's binding to the signed bytes: package-lock.json's integrity must be the
 * signed sha512, yarn.lock's checksum the one tufpm-lock.json bound to the signed tarball. Needs neither
 * npm nor Yarn, installs and writes nothing in the project; every failure is collected.
 */
export async function verifyProject(options: ProjectVerifyOptions): Promise<ProjectVerifyResult> {
  const pinsPath = join(options.projectDir, DEFAULT_LOCKFILE_NAME);
  const pins = await readLockfile(pinsPath);
  // The gate refuses a project without pins: a pull request deleting them must not pass CI.
  if (pins === undefined) throw pinsMissingError(pinsPath, 'tufpm verify');
  const lockfiles: ProjectLockfile[] = await readProjectLockfiles(options.projectDir, options.lockfiles);
  const stateDir = options.stateDir ?? defaultStateDir();
  // as the installers: the project's .npmrc / .yarnrc.yml name the TUF repository (overlay mode) unless --metadata-url does
  const metadataUrl = options.metadataUrl ?? (await projectMetadataUrl(options.projectDir));
  const verifier = await InstallVerifier.open({
    projectDir: options.projectDir,
    registryUrl: options.registryUrl ?? pins.registry,
    ...(metadataUrl === undefined ? {} : { metadataUrl }),
    ...(options.trustedRootPath === undefined ? {} : { trustedRootPath: options.trustedRootPath }),
    stateDir,
    stateDirIsDefault: options.stateDir === undefined,
    // the package caches npm and Yarn write by default: never the home of the trusted state (ADR 0011)
    packageCaches: [join(homedir(), '.npm'), join(homedir(), '.yarn', 'berry')],
    mode: 'enforce',
    ...(options.unsafeUnverifiedPackages === undefined ? {} : { unsafeUnverifiedPackages: options.unsafeUnverifiedPackages }),
    ...(options.requireMaintainerSigned === undefined ? {} : { requireMaintainerSigned: options.requireMaintainerSigned.includes('*') ? true : options.requireMaintainerSigned }),
    ...(options.minimumThreshold === undefined ? {} : { minimumThreshold: options.minimumThreshold }),
  });
  try {
    const result: ProjectVerifyResult = {
      lockfiles: lockfiles.map((l) => l.path),
      verified: [],
      notLookedUp: 0,
      exempt: [],
      unsafeAllowed: [],
      failures: [],
      summary: verifier.summary(),
    };
    const work: Array<{ lockfile: ProjectLockfile; entry: LockEntry }> = [];
    for (const lockfile of lockfiles) {
      if (lockfile.format === 'yarn') result.failures.push(...unboundPatches(lockfile.name, lockfile.entries));
      for (const entry of lockfile.entries) {
        if (entry.kind === 'workspace' || entry.kind === 'bundled') result.notLookedUp++;
        else if (entry.kind !== 'registry') {
          if (matches(entry.name, options.unsafeAllowNonRegistry)) result.unsafeAllowed.push(`${entry.name} (${(entry.source ?? '').slice(0, 200)})`);
          else result.failures.push(unsafeSource(lockfile.name, entry));
        } else if (verifier.isExempt(entry.name)) result.exempt.push(`${entry.name}@${entry.version}`);
        else work.push({ lockfile, entry });
      }
    }
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      while (next < work.length) {
        const { lockfile, entry } = work[next++]!;
        try {
          const signed: SignedTarget = await verifier.resolve(entry.name, entry.version);
          if (lockfile.format === 'npm') await checkNpmEntry(verifier, lockfile.name, entry, signed);
          else checkYarnEntry(verifier, lockfile.name, entry, signed);
          result.verified.push({ lockfile: lockfile.name, name: entry.name, version: entry.version, role: signed.role, maintainerSigned: signed.maintainerSigned });
        } catch (error) {
          if (!(error instanceof TufError)) throw error;
          result.failures.push(error);
        }
        options.onProgress?.(++done, work.length, entry.name);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(8, work.length)) }, worker));
    result.summary = verifier.summary();
    return result;
  } finally {
    await verifier.close();
  }
}
