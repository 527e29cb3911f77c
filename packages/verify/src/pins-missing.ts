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
