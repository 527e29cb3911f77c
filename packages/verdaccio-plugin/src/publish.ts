import type { ServerResponse } from 'node:http';
import { TufError } from '@tufpm/models';
import { RegistryError, distTagsAfterPublish, parsePublishDocument, prepareVersion, withKeyLock } from '@tufpm/registry';
import { TUFPM_FIELD, readProxiedPackages, type MaintainerPublishEvent, type MaintainerPublishHook } from '@tufpm/repo';
import { join } from 'node:path';
import { handOn, VerdaccioStoreError } from './hand-on.js';
import { sendError, sendRefusal } from './respond.js';
import type { LocalPackageMetadata, Next, VerdaccioLogger, VerdaccioRequest, VerdaccioStorage } from './verdaccio-types.js';

export interface PublishContext {
  /** tufpm directory (`tuf/metadata`, `tuf/staged`) */
  dir: string;
  hook: MaintainerPublishHook;
  storage: VerdaccioStorage;
  logger: VerdaccioLogger;
  storeTimeoutMs: number;
  /** called once per publish with its outcome (metrics, tests) */
  onOutcome?: (o: { name: string; version?: string; outcome: 'accepted' | 'refused'; code?: string; ms: number }) => void;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A publish carries a tarball; deprecate, star and unpublish-a-version send `_attachments: {}` or none. */
export function carriesTarball(doc: unknown): boolean {
  return isObject(doc) && isObject(doc['_attachments']) && Object.keys(doc['_attachments']).length > 0;
}

/** The package as Verdaccio stores it locally (not merged with uplinks); undefined when it has none. */
export function localMetadata(storage: VerdaccioStorage, name: string): Promise<LocalPackageMetadata | undefined> {
  return new Promise((resolve, reject) => {
    storage.localStorage.getPackageMetadata(name, (err, data) => {
      if (err !== null && err !== undefined) {
        if (err.status === 404) resolve(undefined);
        else reject(err);
        return;
      }
      resolve(data);
    });
  });
}

/**
 * ADR 0025: a name approved from an uplink takes its versions from reviewed lockfiles; a local publish
 * would get the online key's signature without a review. A broken proxied-packages.json refuses (500).
 */
async function refuseIfProxied(dir: string, name: string): Promise<void> {
  if ((await readProxiedPackages(join(dir, 'tuf', 'metadata'))).has(name)) {
    throw new RegistryError('REGISTRY_FORBIDDEN', `${name} is proxied from an uplink and approved from lockfiles (tufpm-overlay approve --registry): local publishes of it are refused`);
  }
}

/**
 * An `npm publish` / `yarn npm publish` / `tufpm publish` through Verdaccio, after Verdaccio's
 * publish permission passed. Every check that can refuse runs before Verdaccio sees the request
 * (the body rules and tarball checks tufpm-registry applies, then the TUF publish rules of
 * @tufpm/repo: unclaimed -> signed into its bin; claimed -> the maintainers' role at threshold, or
 * staged below it), under a per-package lock; Verdaccio stores the files inside the rules' repository
 * transaction and the signed metadata is written only once it answered 2xx (ADR 0018).
 */
export async function handlePublish(req: VerdaccioRequest, res: ServerResponse, next: Next, name: string, doc: Record<string, unknown>, revision: boolean, ctx: PublishContext): Promise<void> {
  const started = process.hrtime.bigint();
  const ms = (): number => Number(process.hrtime.bigint() - started) / 1e6;
  let version: string | undefined;
  const refuse = (err: TufError): void => {
    ctx.onOutcome?.({ name, ...(version === undefined ? {} : { version }), outcome: 'refused', code: err.code, ms: ms() });
    ctx.logger.warn({ name, version, code: err.code, err: err.message }, 'tufpm: publish of @{name}@@{version} refused (@{code}): @{err}');
  };
  await withKeyLock(`verdaccio-tufpm:${name}`, async () => {
    const hand = handOn(res, next, ctx.storeTimeoutMs);
    try {
      if (revision) throw new RegistryError('REGISTRY_BAD_REQUEST', 'a publish with a tarball must not name a revision (/-rev/)');
      const parsed = parsePublishDocument(doc, name);
      version = parsed.version;
      await refuseIfProxied(ctx.dir, name);
      const prepared = await prepareVersion(parsed.tarball, { claimed: { name, version: parsed.version }, distTags: parsed.distTags });
      const existing = await localMetadata(ctx.storage, name);
      if (existing?.versions !== undefined && Object.hasOwn(existing.versions, parsed.version)) {
        throw new RegistryError('REGISTRY_CONFLICT', `cannot publish over the previously published version ${name}@${parsed.version}`);
      }
      const event: MaintainerPublishEvent = {
        dir: ctx.dir,
        name,
        version: parsed.version,
        tarball: parsed.tarball,
        tarballPath: prepared.tarballPath,
        length: prepared.length,
        hashes: prepared.hashes,
        distTags: parsed.distTags,
        packumentDistTags: distTagsAfterPublish(
          existing === undefined ? undefined : { tags: existing['dist-tags'] ?? {}, versions: Object.keys(existing.versions ?? {}) },
          parsed.version,
          parsed.distTags,
        ),
        document: parsed.document,
      };
      // Verdaccio stores the body as it is: the maintainers' role is the plugin's, not the packument's.
      const { [TUFPM_FIELD]: _role, ...forVerdaccio } = doc;
      req.body = forVerdaccio;
      await ctx.hook.beforeAccept(event, async () => {
        // again under the repository lock, which an approval takes to record names: an approval that ran
        // between the first check and now cannot have a local version signed beside the reviewed ones
        await refuseIfProxied(ctx.dir, name);
        await hand.store();
      });
      hand.release();
      ctx.onOutcome?.({ name, version: parsed.version, outcome: 'accepted', ms: ms() });
      ctx.logger.info({ name, version: parsed.version, ms: Math.round(ms()) }, 'tufpm: signed @{name}@@{version} (@{ms} ms)');
    } catch (err) {
      if (err instanceof VerdaccioStoreError && err.status !== undefined) {
        // Verdaccio refused the store itself (its own checks): its answer goes out, nothing was signed.
        refuse(err);
        hand.release();
        return;
      }
      hand.discard();
      if (hand.started && !(err instanceof VerdaccioStoreError)) {
        // Stored by Verdaccio, but the signed metadata could not be written: installs refuse the release.
        ctx.logger.error({ name, version, err: (err as Error).message }, 'tufpm: @{name}@@{version} is stored but unsigned: @{err}');
        refuse(err instanceof TufError ? err : new TufError('VERDACCIO_STORED_UNSIGNED', String(err)));
        sendError(res, 500, `${name}@${String(version)} was stored but its signature could not be written (${(err as Error).message}); installs refuse it until an operator signs it (tufpm-repo publish)`, 'VERDACCIO_STORED_UNSIGNED');
        return;
      }
      if (err instanceof TufError) {
        refuse(err);
        sendRefusal(res, err);
        return;
      }
      throw err;
    }
  });
}
