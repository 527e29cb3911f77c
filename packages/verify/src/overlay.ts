// Overlay mode (ADR 0017): a team's own metadata-only TUF repository over an upstream registry it does not
// run. The top-level targets delegates every package path to one role of the team's reviewers, named
// OVERLAY_APPROVAL_ROLE; installers recognise an overlay repository by that signed delegation, never by a
// setting a pull request could flip.
import type { ReleaseIndex } from '@tufpm/models';
import { VerifyError } from './errors.js';

/** The approval role's name: not a valid npm package name (`_` cannot start one), so no claim can take it. */
export const OVERLAY_APPROVAL_ROLE = '_approved';

/** The command a team runs to approve what a lockfile resolves (docs/overlay.md). */
export const APPROVE_COMMAND = 'tufpm-overlay approve --lockfile <your lockfile> --key <reviewer key>';

/** A package (or version) the team's reviewers have not approved. */
export function notApprovedError(name: string, version: string | undefined, role?: string): VerifyError {
  const what = version === undefined ? name : `${name}@${version}`;
  return new VerifyError('TUF_NOT_APPROVED', `${what} is not approved by the team's reviewers (overlay repository, role ${OVERLAY_APPROVAL_ROLE})`, {
    packageName: name,
    ...(version === undefined ? {} : { version }),
    ...(role === undefined ? {} : { role }),
    attack: 'unapproved package (a name or version the team\'s reviewers never signed)',
    recovery: `nothing was installed; if the package is wanted, a reviewer approves it: ${APPROVE_COMMAND} (docs/overlay.md), then retry`,
  });
}

/** `1.2.3`, `=1.2.3`, `v1.2.3` -> `1.2.3`; undefined for a range, a tag or anything else. */
export function exactVersion(spec: string): string | undefined {
  const version = spec.trim().replace(/^=?v?/, '');
  return version.length <= 256 && /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(version) ? version : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Restricts an upstream packument, IN PLACE, to the approved versions and the approved dist-tags: the
 * upstream legitimately offers versions the team never reviewed, so they are hidden from the resolver
 * (which then can only pick approved ones) instead of failing the install. `time` entries of removed
 * versions go too (Yarn's age gate reads them). Call after offeredReleases accepted the shape.
 */
export function restrictToApproved(packument: unknown, approved: ReleaseIndex): void {
  if (!isPlainObject(packument)) return;
  const keep = new Set(approved.versions);
  const versions = packument['versions'];
  if (isPlainObject(versions)) for (const v of Object.keys(versions)) if (!keep.has(v)) delete versions[v];
  const time = packument['time'];
  if (isPlainObject(time)) for (const v of Object.keys(time)) if (v !== 'created' && v !== 'modified' && !keep.has(v)) delete time[v];
  packument['dist-tags'] = { ...approved.distTags };
}
