// Role bundles on the client (ADR 0024, decision 2): when an install needs more than a threshold of a
// bundle's hash bins, the bundle `<snapshot version>.bundle-<k>.json` is fetched once and each bin the
// install asks for is taken from it instead of a request of its own. This file only moves bytes: the
// Updater hands every entry it takes to TrustedMetadataSet.updateDelegatedTargets, the path a single
// download goes through, so an entry is verified (and refused) exactly as the same bytes fetched alone.
//
// A bundle that is missing, too long, or not a well-formed bundle is a network fault, not
// an attack (ADR 0019): the roles are then fetched one by one, as without bundles. Entries the install did
// not ask for are never handed out, verified or cached.
import { MetadataTooLargeError } from './errors.js';
import {
  BINS_PER_BUNDLE,
  LengthMismatchError,
  MAX_ROLE_BUNDLE_BYTES,
  TufError,
  parseRoleBundle,
  roleBundleFileName,
  roleBundleOfBin,
  type SuccinctRoles,
} from '@tufpm/models';

export interface RoleBundleOptions {
  /** bins of one bundle an install must need (asked for, or expected) before the bundle is fetched */
  threshold: number;
  /** how long a bin request below the threshold waits for others of its bundle before it goes alone */
  windowMs: number;
}

/**
 * Fetch a bundle from the third bin of it an install needs: one request then replaces at least three. A
 * bundle of 32 bins costs about 32 roles' bytes (x 4/3, base64), so below that the single requests are
 * cheaper on a slow link; at npm's scale most installs of more than ~100 packages cross it for every bundle.
 */
export const DEFAULT_ROLE_BUNDLES: Readonly<RoleBundleOptions> = Object.freeze({ threshold: 3, windowMs: 10 });

/** Longest role name an entry may carry in the bound below (TAP 15 bin names are far shorter). */
const MAX_ENTRY_NAME = 256;

/**
 * The download bound of one bundle: the snapshot does not list bundles, so the bound comes from what a
 * bundle can hold: B roles, each at most the client's role bound (targetsMaxLength), base64-encoded (4/3),
 * plus each entry's name and quoting and the fixed fields; never above MAX_ROLE_BUNDLE_BYTES (32 MiB),
 * which repository writers respect too (a larger bundle is not written).
 */
export function roleBundleMaxLength(maxRoleLength: number): number {
  const perEntry = Math.ceil(maxRoleLength / 3) * 4 + MAX_ENTRY_NAME + 8;
  return Math.min(MAX_ROLE_BUNDLE_BYTES, BINS_PER_BUNDLE * perEntry + 256);
}

/** What the fetcher did in one session (tests and benchmarks read it). */
export interface RoleBundleStats {
  /** bundles fetched and parsed */
  fetched: number;
  /** bundles that could not be used (missing, too long, malformed): their bins were fetched alone */
  failed: number;
  /** roles handed out from a bundle */
  entries: number;
}

type Entries = Map<string, Uint8Array> | undefined;

export class RoleBundleFetcher {
  readonly stats: RoleBundleStats = { fetched: 0, failed: 0, entries: 0 };
  readonly #download: (fileName: string, maxLength: number) => Promise<Uint8Array>;
  readonly #maxLength: number;
  readonly #options: RoleBundleOptions;
  /** per bundle: every bin of it the install asked for or is expected to ask for */
  readonly #needed = new Map<number, Set<string>>();
  readonly #bundles = new Map<number, Promise<Entries>>();
  #expected: string[] = [];
  #expectedFor: SuccinctRoles | undefined;
  #window: Promise<void> | undefined;

  constructor(download: (fileName: string, maxLength: number) => Promise<Uint8Array>, maxRoleLength: number, options: RoleBundleOptions) {
    this.#download = download;
    this.#maxLength = roleBundleMaxLength(maxRoleLength);
    this.#options = options;
  }

  /**
   * Roles the install already knows it will ask for (a lockfile's pins), not yet verified on this machine:
   * they count toward each bundle's threshold, so a bundle can be fetched at the first request for it.
   */
  expect(names: Iterable<string>): void {
    this.#expected.push(...names);
    this.#expectedFor = undefined;
  }

  #neededOf(succinct: SuccinctRoles, bundle: number): Set<string> {
    if (this.#expectedFor !== succinct) {
      // the expected names are sorted into bundles once the bins' delegation is known
      this.#expectedFor = succinct;
      for (const name of this.#expected) {
        const k = roleBundleOfBin(succinct, name);
        if (k === undefined) continue;
        let set = this.#needed.get(k);
        if (set === undefined) this.#needed.set(k, (set = new Set()));
        set.add(name);
      }
    }
    let set = this.#needed.get(bundle);
    if (set === undefined) this.#needed.set(bundle, (set = new Set()));
    return set;
  }

  /**
   * The bytes of bin `name` of `succinct` from its bundle of snapshot `snapshotVersion`, or undefined: then
   * the caller fetches the role alone. Unverified bytes: the caller checks them like a single download.
   */
  async bytesFor(name: string, succinct: SuccinctRoles, snapshotVersion: number): Promise<Uint8Array | undefined> {
    const bundle = roleBundleOfBin(succinct, name);
    if (bundle === undefined) return undefined;
    const needed = this.#neededOf(succinct, bundle);
    needed.add(name);
    let fetching = this.#bundles.get(bundle);
    if (fetching === undefined && needed.size < this.#options.threshold) {
      // below the threshold: wait a moment for the other lookups of this burst, then decide again
      await this.#nextWindow();
      fetching = this.#bundles.get(bundle);
      if (fetching === undefined && needed.size < this.#options.threshold) return undefined;
    }
    if (fetching === undefined) {
      fetching = this.#fetch(snapshotVersion, bundle);
      this.#bundles.set(bundle, fetching);
    }
    const entries = await fetching;
    const bytes = entries?.get(name);
    if (bytes === undefined) return undefined;
    // handed out once (the Updater fetches each role at most once per session); nothing else is kept
    entries!.delete(name);
    this.stats.entries++;
    return bytes;
  }

  #nextWindow(): Promise<void> {
    this.#window ??= new Promise<void>((resolve) => {
      setTimeout(() => {
        this.#window = undefined;
        resolve();
      }, this.#options.windowMs);
    });
    return this.#window;
  }

  async #fetch(snapshotVersion: number, bundle: number): Promise<Entries> {
    try {
      const bytes = await this.#download(roleBundleFileName(snapshotVersion, bundle), this.#maxLength);
      const entries = parseRoleBundle(bytes, this.#maxLength, bundle);
      this.stats.fetched++;
      return entries;
    } catch (err) {
      // ADR 0019: a missing (404), unreachable, too long or malformed bundle is a fault of transport; every
      // role of it is then fetched alone and faces the checks there. Bugs (non-TufErrors) still propagate.
      if (!(err instanceof TufError)) throw err;
      this.stats.failed++;
      return undefined;
    }
  }
}

/**
 * TUF 5.6.1 (endless data) for a role taken from a bundle: the same refusals, with the same codes, that the
 * Updater's bounded download gives the same bytes fetched alone: a signed length above the bound
 * (TUF_METADATA_TOO_LARGE), more bytes than the signed length (TUF_LENGTH), more than the bound when no
 * length is signed (TUF_METADATA_TOO_LARGE). Hashes and the rest are checked by updateDelegatedTargets.
 */
export function boundBundledRole(role: string, bytes: Uint8Array, signedLength: number | undefined, bound: number): Uint8Array {
  if (signedLength !== undefined && signedLength > bound) {
    throw new MetadataTooLargeError(role, bound, 'targetsMaxLength', `is signed with a length of ${signedLength} bytes`);
  }
  if (signedLength !== undefined && bytes.length > signedLength) {
    throw new LengthMismatchError(`${role} (from a role bundle): more than ${signedLength} bytes received`);
  }
  if (signedLength === undefined && bytes.length > bound) {
    throw new MetadataTooLargeError(role, bound, 'targetsMaxLength', 'is longer', { cause: new LengthMismatchError(`${role} (from a role bundle): more than ${bound} bytes`) });
  }
  return bytes;
}
