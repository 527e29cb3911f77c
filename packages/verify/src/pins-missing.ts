import { basename } from 'node:path';
import { VerifyError } from './errors.js';

/**
 * A project without tufpm-lock.json has no floor (README "Caveat", threat-model "First install"): a frozen
 * install (`yarn install --immutable`, `tufpm-npm ci`, `tufpm verify`) refuses it, since a pull request that
 * deletes the file would otherwise turn the rollback and claim checks off without a word (ADR 0015).
 */
export function pinsMissingError(lockfilePath: string, command: string): VerifyError {
  const name = basename(lockfilePath);
  return new VerifyError('TUF_PINS_MISSING', `${command}: ${lockfilePath} is missing; a frozen install needs the pins committed beside the lockfile`, {
    attack: `pins removed (a deleted ${name} turns off the rollback floors and the recorded claims)`,
    recovery: `restore ${name} from version control (git checkout -- ${name}); for a new project run \`tufpm-npm init\` or \`yarn tuf init\`, then install and commit it`,
  });
}

/** The warning a non-frozen install prints when it starts without pins (it writes them at its end). */
export function pinsMissingWarning(lockfilePath: string): string {
  return `TUF_PINS_MISSING (warning): no ${basename(lockfilePath)}: this install cannot detect a rollback to an older repository state or a dropped claim; it writes the file at its end: commit it (or run init first)`;
}

/**
 * A frozen install whose lockfile installs registry packages the pins do not list (ADR 0004, ADR 0015): a pull
 * request edited package-lock.json / yarn.lock without the verified install that records them, so tufpm-lock.json
 * (what `tufpm diff` reviews) no longer describes what CI installs, and those packages have no pinned floor.
 * Like `npm ci` with a package.json out of sync, or `yarn install --immutable` when yarn.lock would change.
 */
export function pinsStaleError(lockfilePath: string, command: string, unpinned: readonly string[], nonFrozen: string): VerifyError {
  const name = basename(lockfilePath);
  const shown = unpinned.slice(0, 20).join(', ') + (unpinned.length > 20 ? `, and ${unpinned.length - 20} more` : '');
  return new VerifyError('TUF_PINS_STALE', `${command}: ${unpinned.length} package(s) in the lockfile are not pinned in ${name}: ${shown}`, {
    attack: `lockfile changed without its pins (packages added, upgraded or downgraded outside a verified install never show in a review of ${name})`,
    recovery: `run \`${nonFrozen}\`, review the change with \`tufpm diff\` and commit ${name} with the lockfile; if you did not make this change, restore the lockfile from version control`,
  });
}
