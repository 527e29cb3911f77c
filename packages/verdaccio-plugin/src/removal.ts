import type { ServerResponse } from 'node:http';
import { basename } from 'node:path';
import { TufError } from '@tufpm/models';
import { withKeyLock } from '@tufpm/registry';
import { handOn, VerdaccioStoreError } from './hand-on.js';
import { localMetadata } from './publish.js';
import { sendRefusal } from './respond.js';
import type { SignedReleaseLists } from './signed-lists.js';
import type { LocalPackageMetadata, Next, VerdaccioLogger, VerdaccioRequest, VerdaccioStorage } from './verdaccio-types.js';

/**
 * Verdaccio removes versions through three routes: an attachment-less `PUT /<name>/-rev/<rev>` (npm's
 * unpublish of one version: the stored versions missing from the body are deleted, `changePackage`),
 * `DELETE /<name>/-/<file>/-rev/<rev>` (a tarball) and `DELETE /<name>/-rev/<rev>` (the whole package).
 * A version the signed release list names (ADR 0013) must stay: once Verdaccio no longer offers it, every
 * install of the package is refused (TUF_RELEASE_HIDDEN, the installers' defence against a frozen package),
 * and its tarball's removal fails installs of that version. For a claimed package only its maintainers'
 * signatures may change its releases; for an unclaimed one nobody can sign a list without it yet. So these
 * routes are refused for signed versions; `npm deprecate` (which keeps every version) passes.
 */
export class SignedReleaseRemovalError extends TufError {
  readonly status = 403;
  constructor(name: string, versions: readonly string[]) {
    super('VERDACCIO_SIGNED_RELEASE_REMOVAL', `${name}@${versions.slice(0, 5).join(', ')}${versions.length > 5 ? ', ...' : ''} ${versions.length === 1 ? 'is' : 'are'} signed in the registry's TUF metadata: removing ${versions.length === 1 ? 'it' : 'them'} from Verdaccio would make installs of ${name} fail (TUF_RELEASE_HIDDEN). Signed releases are not unpublished here; deprecate instead (npm deprecate)`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function signedVersions(lists: SignedReleaseLists, name: string): Promise<ReadonlySet<string>> {
  return new Set((await lists.releaseList(name))?.versions ?? []);
}

/**
 * An attachment-less PUT: the signed versions Verdaccio stores that the body leaves out. Verdaccio's star
 * (a body with `users` and no `versions`) rewrites the stored document with its own versions: nothing removed.
 * A body without a `versions` object otherwise counts as removing every version (Verdaccio normalizes it to none).
 */
export async function refuseSignedRemovalByChange(lists: SignedReleaseLists, name: string, doc: unknown, local: LocalPackageMetadata | undefined): Promise<void> {
  if (isObject(doc) && !Object.hasOwn(doc, 'versions') && isObject(doc['users'])) return;
  const signed = await signedVersions(lists, name);
  if (signed.size === 0) return;
  const kept = isObject(doc) && isObject(doc['versions']) ? doc['versions'] : {};
  // Kept means an object under the version: Verdaccio 6.8's changePackage deletes every stored version whose
  // incoming value is null or undefined, so `"1.0.0": null` removes it as surely as leaving it out (red team s7 F1).
  const removed = Object.keys(local?.versions ?? {}).filter((v) => signed.has(v) && !(Object.hasOwn(kept, v) && isObject(kept[v]))).sort();
  if (removed.length > 0) throw new SignedReleaseRemovalError(name, removed);
}

/** `DELETE /<name>/-rev/<rev>`: the whole package, refused while it has a signed version. */
export async function refuseSignedPackageRemoval(lists: SignedReleaseLists, name: string): Promise<void> {
  const signed = [...(await signedVersions(lists, name))].sort();
  if (signed.length > 0) throw new SignedReleaseRemovalError(name, signed);
}

/** `DELETE /<name>/-/<file>/-rev/<rev>`: refused when `file` is the tarball of a signed version (`<base>-<version>.tgz`). */
export async function refuseSignedTarballRemoval(lists: SignedReleaseLists, name: string, file: string): Promise<void> {
  const base = basename(name);
  const hit = [...(await signedVersions(lists, name))].filter((v) => file === `${base}-${v}.tgz`);
  if (hit.length > 0) throw new SignedReleaseRemovalError(name, hit);
}

export interface RemovalContext {
  lists: SignedReleaseLists;
  storage: VerdaccioStorage;
  logger: VerdaccioLogger;
  storeTimeoutMs: number;
}

/**
 * Runs `check`, then hands the request to Verdaccio and waits for its answer, under the package's lock:
 * a publish of the same package cannot land between the check and Verdaccio's change (the body was
 * computed from an older packument and would delete the new version).
 */
export async function guardedChange(req: VerdaccioRequest, res: ServerResponse, next: Next, name: string, ctx: RemovalContext, check: (local: LocalPackageMetadata | undefined) => Promise<void>): Promise<void> {
  await withKeyLock(`verdaccio-tufpm:${name}`, async () => {
    try {
      await check(await localMetadata(ctx.storage, name));
    } catch (err) {
      if (!(err instanceof SignedReleaseRemovalError)) throw err;
      ctx.logger.warn({ name, method: req.method, code: err.code }, 'tufpm: @{method} of @{name} refused (@{code})');
      sendRefusal(res, err);
      if (!req.complete) res.on('finish', () => req.destroy());
      return;
    }
    const hand = handOn(res, next, ctx.storeTimeoutMs);
    try {
      await hand.store();
      hand.release();
    } catch (err) {
      if (!(err instanceof VerdaccioStoreError)) throw err;
      if (err.status !== undefined) hand.release(); // Verdaccio's own refusal goes out
      else hand.discard(); // no answer in time: the connection is cut
    }
  });
}
