import { join } from 'node:path';
import { NpmRepository } from './npm-api.js';

/** What the registry calls on `npm publish`, after it accepted the upload and before it answers. */
export type PublishSigner = (tarball: Uint8Array, manifest: { name: string; version: string; distTags?: Record<string, string> }, store?: () => Promise<void>) => Promise<void>;

export interface PublishSignerOptions {
  /** metadata directory (`<registryDir>/tuf/metadata`) */
  dir: string;
  /** keys directory; only `online/` and repo.json are read */
  keysDir: string;
}

/**
 * Glue for the registry: signs a newly published tarball into its unclaimed hash bin with the online
 * key and re-signs snapshot and timestamp. A claimed package is refused (TUF_PACKAGE_CLAIMED): its
 * releases must carry its maintainers' signatures, which the online key cannot provide.
 * The repository is opened on first use and re-read whenever another writer changed it.
 */
export function createPublishSigner(opts: PublishSignerOptions): PublishSigner {
  let opened: Promise<NpmRepository> | undefined;
  return async (tarball, manifest, store) => {
    opened ??= NpmRepository.open(opts);
    let repo: NpmRepository;
    try {
      repo = await opened;
    } catch (err) {
      opened = undefined; // let the next publish retry (e.g. the repository was initialised meanwhile)
      throw err;
    }
    await repo.publishTarball(tarball, {
      expectedName: manifest.name, expectedVersion: manifest.version, onlineOnly: true,
      ...(manifest.distTags === undefined ? {} : { distTags: manifest.distTags }),
      // the registry's files are written under the repository lock before the metadata naming them
      ...(store === undefined ? {} : { beforePersist: store }),
    });
  };
}

/** The fields of @tufpm/registry's PublishEvent the hook reads (structural: repo cannot import registry). */
export interface PublishEventLike {
  /** the registry directory */
  dir: string;
  name: string;
  version: string;
  tarball: Uint8Array;
  /** the package's dist-tags once the publish is stored: signed into its release list (ADR 0013) */
  packumentDistTags?: Record<string, string>;
}

/**
 * The same signer as a @tufpm/registry PublishHook: `startRegistry({ dir, hooks: createPublishHook({ keysDir }) })`.
 * It signs in `beforeAccept`, so a refused signature (claimed package, missing key) refuses the publish
 * and the registry writes nothing; the registry's `store` runs after the checks and before the metadata
 * is persisted (issue 19). The metadata dir defaults to `<registry dir>/tuf/metadata`.
 */
export function createPublishHook(opts: { keysDir: string; dir?: string }): { beforeAccept(event: PublishEventLike, store?: () => Promise<void>): Promise<void> } {
  const signers = new Map<string, PublishSigner>();
  return {
    async beforeAccept(event, store) {
      const dir = opts.dir ?? join(event.dir, 'tuf', 'metadata');
      let signer = signers.get(dir);
      if (signer === undefined) {
        signer = createPublishSigner({ dir, keysDir: opts.keysDir });
        signers.set(dir, signer);
      }
      await signer(event.tarball, {
        name: event.name, version: event.version,
        ...(event.packumentDistTags === undefined ? {} : { distTags: event.packumentDistTags }),
      }, store);
    },
  };
}
