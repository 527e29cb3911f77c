import type { Configuration } from '@yarnpkg/core';
import { VerifyError } from '@tufpm/verify';

/**
 * The `checksumBehavior` values under which the checksum Yarn's cache reports for an archive is the hash of
 * the file it hands over: `throw` (a file whose hash differs from yarn.lock is refused) and `update` (the
 * file's own hash is reported, and the plugin compares it with the TUF binding). Anything else is refused in
 * enforce mode, whatever set it (the project's or the home .yarnrc.yml, YARN_CHECKSUM_BEHAVIOR):
 * - `ignore` reports yarn.lock's checksum for a file that does not match it;
 * - `reset` does the same on a cache or mirror miss: Yarn copies a mirror file whose hash differs from
 *   yarn.lock into its cache under yarn.lock's checksum and reports that checksum, so a poisoned mirror
 *   (or one a pull request commits beside `globalFolder: ./...`) would be linked under the genuine one;
 * - any other spelling is not a value this plugin has checked Yarn's cache for (an allow-list fails closed).
 */
const SAFE = new Set(['throw', 'update']);

/** The refusal for the effective `checksumBehavior` of this configuration, or null when it is safe. */
export function checksumBehaviorRefusal(configuration: Configuration): VerifyError | null {
  const value = String(configuration.get('checksumBehavior'));
  if (SAFE.has(value)) return null;
  const shown = JSON.stringify(value.slice(0, 40));
  const why = value === 'ignore'
    ? 'Yarn would use archives whose hash matches no checksum in yarn.lock'
    : value === 'reset'
      ? 'Yarn would file a cache or mirror archive whose hash differs from yarn.lock under yarn.lock\'s checksum and link it'
      : 'it is not a value whose checksums the plugin can rely on';
  return new VerifyError('TUF_UNSAFE_SOURCE', `checksumBehavior: ${shown} is refused with tufMode: enforce: ${why}; only throw (Yarn's default) or update keep each reported checksum the hash of the archive Yarn links`, {
    attack: 'poisoned cache or mirror archive filed under the genuine yarn.lock checksum (checksumBehavior set by a .yarnrc.yml change, the home .yarnrc.yml or YARN_CHECKSUM_BEHAVIOR)',
    recovery: 'remove checksumBehavior from .yarnrc.yml (or set it to throw) and unset YARN_CHECKSUM_BEHAVIOR; if a change added it, review that change: clear Yarn\'s cache and mirror (yarn cache clean --mirror) and any mirror it commits (globalFolder)',
  });
}
