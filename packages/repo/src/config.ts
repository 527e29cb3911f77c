import { join } from 'node:path';
import { parseJsonStrict } from '@tufpm/models';
import { InvalidInputError, RepositoryStateError } from './errors.js';
import { isErrno, readFileBounded } from './fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';

const DAY = 24 * 60 * 60;

/** How long each kind of role stays valid after it is signed, in seconds. */
export interface Expiries {
  root: number;
  targets: number;
  snapshot: number;
  timestamp: number;
  /** the `unclaimed` role and its hash bins (online key) */
  unclaimed: number;
  /** per-package (claimed) roles, signed by maintainers */
  package: number;
}

export const DEFAULT_EXPIRIES: Expiries = {
  root: 365 * DAY,
  targets: 365 * DAY,
  snapshot: 7 * DAY,
  timestamp: 1 * DAY,
  unclaimed: 90 * DAY,
  package: 365 * DAY,
};

/** Operator settings kept beside the keys (`<keysDir>/repo.json`), not in the served metadata dir. */
export interface RepoConfig {
  expiries: Expiries;
  /** Record length + sha256 of every role in snapshot (bigger snapshot, stronger binding). */
  snapshotLengthAndHashes: boolean;
  /** Merkle profile: materialize every proof file at each epoch (static hosting, ADR 0021). */
  materializeProofs?: boolean;
  /**
   * Every package with a signed version has its signed release list (ADR 0013): true for repositories
   * initialised since; a new package then needs no scan of every bin for older versions (which would load
   * every bin of a large repository into memory on its first publish). Absent: older repository, scanned.
   */
  releaseListsComplete?: boolean;
}

export function configPath(keysDir: string): string {
  return join(keysDir, 'repo.json');
}

export function checkExpiries(e: Partial<Expiries>): Expiries {
  const out = { ...DEFAULT_EXPIRIES, ...e };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new InvalidInputError(`expiry of ${k} must be a positive whole number of seconds`);
  }
  return out;
}

export async function writeConfig(keysDir: string, config: RepoConfig): Promise<void> {
  await writeFileAtomic(configPath(keysDir), JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
}

export async function readConfig(keysDir: string): Promise<RepoConfig> {
  let bytes: Uint8Array;
  try {
    bytes = await readFileBounded(configPath(keysDir), 64 * 1024);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new RepositoryStateError(`${configPath(keysDir)} is missing (is ${keysDir} the keys directory of an initialised repository?)`, { cause: err });
    throw err;
  }
  const obj = parseJsonStrict(bytes) as Partial<RepoConfig> | null;
  if (typeof obj !== 'object' || obj === null) throw new RepositoryStateError(`${configPath(keysDir)} is not a JSON object`);
  return {
    expiries: checkExpiries(obj.expiries ?? {}),
    snapshotLengthAndHashes: obj.snapshotLengthAndHashes === true,
    materializeProofs: obj.materializeProofs === true,
    ...(obj.releaseListsComplete === true ? { releaseListsComplete: true } : {}),
  };
}

/** Parses "90d", "12h", "30m", "3600s" or plain seconds. */
export function parseDuration(text: string): number {
  const m = /^([1-9][0-9]{0,9})([smhd]?)$/.exec(text.trim());
  if (m === null) throw new InvalidInputError(`invalid duration ${JSON.stringify(text)} (use e.g. 365d, 12h, 3600)`);
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: DAY }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * mult;
}
