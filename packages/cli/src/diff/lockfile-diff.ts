import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SideLockfile } from '@tufpm/verify';
import { MAX_LOCK_BYTES, type LockEntry } from '../lock-entries.js';
import { parsePackageLock } from '../package-lock.js';
import { readBounded } from '../project-lockfiles.js';
import { parseYarnLock } from '../yarn-lock.js';
import { readBlobAtCommit } from './git-pins.js';
import { compareVersions, pairVersionLists, type PinsDiff } from './pins-diff.js';

// The project lockfiles' side of a review (ADR 0016). tufpm-lock.json alone can hide a change: a pull request
// that edits only package-lock.json or yarn.lock (a downgrade, a typosquat added) leaves the pins as they were,
// so a summary of the pins says nothing. The lockfiles decide what an install fetches, so their registry
// packages are compared too, and every change whose version the head's pins do not list is marked: a frozen
// install refuses it (TUF_PINS_STALE) until a verified install records it.

/** The lockfiles compared, each on its own (a project may hold yarn.lock and package-lock.json). */
export const PROJECT_LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock'] as const;

export interface LockPackageChange {
  name: string;
  from?: string;
  to?: string;
  /** the head's tufpm-lock.json pins name@to (absent for a removal) */
  pinned?: boolean;
}

export interface LockfileDiff {
  file: string;
  base: { present: boolean };
  head: { present: boolean };
  added: LockPackageChange[];
  removed: LockPackageChange[];
  upgraded: LockPackageChange[];
  downgraded: LockPackageChange[];
}

/** name -> versions of the registry packages a lockfile installs (workspaces, bundled, git, file: not here). */
function registryVersions(entries: LockEntry[] | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const e of entries ?? []) {
    if (e.kind !== 'registry' || e.version === '') continue;
    let versions = out.get(e.name);
    if (versions === undefined) out.set(e.name, (versions = new Set()));
    versions.add(e.version);
  }
  return out;
}

/** Registry package changes between two parses of one lockfile, marked against the head's pins. */
export function diffLockfile(file: string, base: LockEntry[] | undefined, head: LockEntry[] | undefined, headPins: Pick<SideLockfile, 'packages'> | undefined): LockfileDiff {
  const out: LockfileDiff = { file, base: { present: base !== undefined }, head: { present: head !== undefined }, added: [], removed: [], upgraded: [], downgraded: [] };
  const b = registryVersions(base);
  const h = registryVersions(head);
  const pinned = (name: string, version: string): boolean => headPins?.packages.has(`${name}@${version}`) === true;
  for (const name of [...new Set([...b.keys(), ...h.keys()])].sort()) {
    const { pairs, added, removed } = pairVersionLists(b.get(name) ?? new Set(), h.get(name) ?? new Set());
    for (const [from, to] of pairs) (compareVersions(to, from) >= 0 ? out.upgraded : out.downgraded).push({ name, from, to, pinned: pinned(name, to) });
    for (const to of added) out.added.push({ name, to, pinned: pinned(name, to) });
    for (const from of removed) out.removed.push({ name, from });
  }
  return out;
}

/** The changes a frozen install would refuse until a verified install records them. */
export function unpinnedChanges(d: LockfileDiff): LockPackageChange[] {
  return [...d.added, ...d.upgraded, ...d.downgraded].filter((c) => c.pinned === false);
}

function parse(file: string, label: string, text: string | undefined): LockEntry[] | undefined {
  if (text === undefined) return undefined;
  const where = `${file} (${label})`;
  return file === 'yarn.lock' ? parseYarnLock(where, text) : parsePackageLock(where, text);
}

/**
 * Compares each project lockfile between the base commit and the head (a commit, or the working tree), adds
 * them to `diff` with a warning per lockfile whose changes the pins do not record, and a DOWNGRADE warning
 * for each such downgrade (a downgrade the pins record is already warned about by the pins diff).
 */
export async function addLockfileChanges(
  diff: PinsDiff,
  project: string,
  base: { commit: string; label: string },
  head: { commit?: string; label: string },
  headPins: Pick<SideLockfile, 'packages'> | undefined,
): Promise<void> {
  diff.lockfiles = [];
  for (const file of PROJECT_LOCKFILES) {
    const baseText = await readBlobAtCommit(project, base.commit, file, base.label, MAX_LOCK_BYTES);
    const headText = head.commit !== undefined
      ? await readBlobAtCommit(project, head.commit, file, head.label, MAX_LOCK_BYTES)
      : existsSync(join(project, file)) ? await readBounded(join(project, file)) : undefined;
    if (baseText === undefined && headText === undefined) continue;
    const d = diffLockfile(file, parse(file, base.label, baseText), parse(file, head.label, headText), headPins);
    diff.lockfiles.push(d);
    const unpinned = unpinnedChanges(d);
    if (unpinned.length > 0) {
      const names = unpinned.map((c) => `${c.name}@${c.to!}`);
      diff.warnings.push({
        code: 'LOCKFILE_NOT_PINNED',
        message: `${file} installs ${unpinned.length} package version(s) tufpm-lock.json does not pin: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', ...' : ''} (not pinned: run ${file === 'yarn.lock' ? 'yarn install' : 'tufpm-npm install'} to record; a frozen install refuses them with TUF_PINS_STALE)`,
      });
    }
    for (const c of d.downgraded) {
      if (c.pinned === false) diff.warnings.push({ code: 'DOWNGRADE', message: `${c.name} goes down from ${c.from!} to ${c.to!} in ${file}: a downgrade can bring back a fixed vulnerability` });
    }
  }
}
