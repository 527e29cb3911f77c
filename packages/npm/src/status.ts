import { join } from 'node:path';
import { TufError } from '@tufpm/models';
import { DEFAULT_LOCKFILE_NAME, readLockfile, type VerifierSummary } from '@tufpm/verify';
import { unsafeSettings, type NpmConfig } from './config.js';
import { openVerifier } from './install.js';
import type { Progress } from './progress.js';
import { toReport, type FailureReport } from './report.js';

export interface StatusResult {
  prefix: string;
  registry: string;
  trustedRoot: string;
  lockfile: string;
  /** What tufpm-lock.json pins, read without any network access. */
  pins: { root: { version: number; sha256: string }; timestamp: number; snapshot: number; packages: number } | null;
  /** The freshly refreshed repository state (null when the refresh failed: see `error`). */
  current: VerifierSummary | null;
  error: FailureReport | null;
  unsafe: string[];
}

/** `tufpm-npm status`: pins from tufpm-lock.json plus the current signed state and its expiries. */
export async function runStatus(config: NpmConfig, progress: Progress): Promise<StatusResult> {
  const lockfile = join(config.prefix, DEFAULT_LOCKFILE_NAME);
  const pins = await readLockfile(lockfile);
  let current: VerifierSummary | null = null;
  let error: FailureReport | null = null;
  try {
    current = (await openVerifier(config, progress)).summary();
  } catch (caught) {
    // A refresh failure is part of the status (expired timestamp, rollback below the pins, ...).
    if (!(caught instanceof TufError)) throw caught;
    error = toReport(caught);
  } finally {
    progress.done();
  }
  return {
    prefix: config.prefix,
    registry: config.registry,
    trustedRoot: config.tufpmRoot,
    lockfile,
    pins: pins
      ? { root: pins.root, timestamp: pins.timestamp.version, snapshot: pins.snapshot.version, packages: pins.packages.size }
      : null,
    current,
    error,
    unsafe: unsafeSettings(config),
  };
}

export function formatStatus(status: StatusResult): string {
  const lines = [`project:   ${status.prefix}`, `registry:  ${status.registry}`, `root file: ${status.trustedRoot}`];
  const c = status.current;
  if (c) {
    lines.push(`trusted:   root v${c.root.version} (expires ${c.root.expires}), timestamp v${c.timestamp.version} (expires ${c.timestamp.expires})`);
    lines.push(`           snapshot v${c.snapshot.version} (expires ${c.snapshot.expires}), targets v${c.targets.version} (expires ${c.targets.expires})`);
  }
  const p = status.pins;
  lines.push(p ? `pins:      ${status.lockfile}: root v${p.root.version}, timestamp v${p.timestamp}, snapshot v${p.snapshot}, ${p.packages} package(s)` : `pins:      none (${status.lockfile} does not exist yet)`);
  if (status.unsafe.length > 0) lines.push(`UNSAFE:    ${status.unsafe.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
