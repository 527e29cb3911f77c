// Writes the role bundles of a snapshot (ADR 0024, decision 2): `<snapshot version>.bundle-<k>.json` beside
// the roles, bundle k holding the exact file bytes of bins k*B .. k*B+B-1 of one succinct delegation. Called
// by persistRepository after the delegated roles and before the snapshot that lists them, so a client that
// sees snapshot N finds its bundles in place (each written atomically). Only with consistent snapshots (a
// bundle's name then never changes content) and in the classic profile (the Merkle profile has no snapshot
// file; its clients fetch proofs in batches instead).
import { link, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  MAX_ROLE_BUNDLE_BYTES,
  encodeRoleBundle,
  roleBundleBins,
  roleBundleCount,
  roleBundleFileName,
  type SuccinctRoles,
} from '@tufpm/models';
import { isErrno, readFileBounded } from './fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';
import type { Repository } from './repository.js';

export interface RoleBundleContext {
  repo: Repository;
  dir: string;
  /** the role whose succinct_roles delegation the bundles cover (the npm profile's `unclaimed`) */
  delegator: string;
  /** the snapshot version being written */
  snapshotVersion: number;
  /** the snapshot version the files on disk were last published under, when known */
  previousSnapshotVersion: number | undefined;
  /** roles written in this persist (their bytes are new) */
  changed: ReadonlySet<string>;
  /** the file name a role is stored under, at a version */
  fileOf: (name: string, version: number) => string;
  maxRoleBytes: number;
}

/** What was written: bundle numbers rebuilt from role files, linked unchanged, or skipped as too large. */
export interface RoleBundleReport {
  built: number[];
  linked: number[];
  tooLarge: number[];
}

function succinctOf(ctx: RoleBundleContext): SuccinctRoles | undefined {
  if (!ctx.repo.delegated.has(ctx.delegator)) return undefined;
  return ctx.repo.targetsRole(ctx.delegator).signed.delegations?.succinctRoles;
}

/**
 * A bundle none of whose bins changed since the previous snapshot has the same bytes: it is hard-linked
 * under the new name (temp link, then rename, so an existing file of that name is replaced atomically)
 * instead of rebuilt. Returns false when there is no previous bundle to link (or links are not supported).
 */
async function linkUnchanged(dir: string, from: string, to: string): Promise<boolean> {
  const tmp = join(dir, `.${to}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await link(join(dir, from), tmp);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'EPERM') || isErrno(err, 'ENOTSUP') || isErrno(err, 'EXDEV') || isErrno(err, 'EMLINK')) return false;
    throw err;
  }
  try {
    await rename(tmp, join(dir, to));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return true;
}

export async function writeRoleBundles(ctx: RoleBundleContext): Promise<RoleBundleReport> {
  const report: RoleBundleReport = { built: [], linked: [], tooLarge: [] };
  const succinct = succinctOf(ctx);
  if (succinct === undefined) return report;
  const meta = ctx.repo.snapshot.signed.meta;
  for (let k = 0; k < roleBundleCount(succinct); k++) {
    const bins = roleBundleBins(succinct, k);
    const name = roleBundleFileName(ctx.snapshotVersion, k);
    const unchanged = !bins.some((b) => ctx.changed.has(b));
    if (unchanged && ctx.previousSnapshotVersion !== undefined &&
        await linkUnchanged(ctx.dir, roleBundleFileName(ctx.previousSnapshotVersion, k), name)) {
      report.linked.push(k);
      continue;
    }
    const entries: Array<[string, Uint8Array]> = [];
    let total = 0;
    for (const bin of bins) {
      const version = meta.get(`${bin}.json`)?.version;
      // a bin the snapshot does not list is not served as a role either: leave it out (clients fetch alone)
      if (version === undefined) continue;
      const bytes = await readFileBounded(join(ctx.dir, ctx.fileOf(bin, version)), ctx.maxRoleBytes);
      total += bytes.length;
      entries.push([bin, bytes]);
    }
    // base64 grows 4/3; a bundle past the bound is not written (clients then fetch these bins one by one)
    if (Math.ceil(total / 3) * 4 + entries.length * 64 + 128 > MAX_ROLE_BUNDLE_BYTES) {
      report.tooLarge.push(k);
      continue;
    }
    await writeFileAtomic(join(ctx.dir, name), encodeRoleBundle(k, entries), { mode: 0o644 });
    report.built.push(k);
  }
  return report;
}
