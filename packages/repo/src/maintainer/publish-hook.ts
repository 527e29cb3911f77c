import { join } from 'node:path';
import type { Metadata, Targets } from '@tufpm/models';
import { PackageClaimedError } from '../errors.js';
import { NpmRepository } from '../npm-api.js';
import { ReleaseStagedError, RoleRefusedError, SignatureRequiredError } from './errors.js';
import { readPackageTarball } from '../tarball.js';
import { checkRelease, delegationFor } from './release-check.js';
import { roleFromJsonValue } from './role-build.js';
import { readStaged, removeStaged, writeStaged } from './staging.js';

/** The publish-document field through which `tufpm publish` sends the maintainer-signed role. */
export const TUFPM_FIELD = '_tufpm';

/** The fields of @tufpm/registry's PublishEvent this hook reads (structural: repo cannot import registry). */
export interface MaintainerPublishEvent {
  /** the registry directory */
  dir: string;
  name: string;
  version: string;
  tarball: Uint8Array;
  tarballPath: string;
  length: number;
  hashes: { sha256: string; sha512: string };
  distTags: Record<string, string>;
  /** the package's dist-tags once the publish is stored: the signed release list must carry them (ADR 0013) */
  packumentDistTags?: Record<string, string>;
  /** publish body without attachment data; `_tufpm.role` carries the signed role */
  document: Record<string, unknown>;
}

export interface MaintainerHookOptions {
  /** keys directory of the repository; only `online/` (snapshot, timestamp, unclaimed) and repo.json are read */
  keysDir: string;
  /** metadata directory; default `<registry dir>/tuf/metadata` */
  metadataDir?: string;
  now?: () => Date;
  /** called after each accepted or staged release (logs, benchmarks) */
  onRelease?: (r: { name: string; version: string; outcome: 'unclaimed' | 'accepted' | 'staged'; roleVersion?: number }) => void;
}

/** The publish rules as a registry calls them (see createMaintainerPublishHook). */
export interface MaintainerPublishHook {
  beforeAccept(event: MaintainerPublishEvent, store?: () => Promise<void>): Promise<void>;
}

/** How a maintainer signs and publishes a claimed package: the message a plain `npm publish` gets. */
export function howToSign(name: string, threshold: number): string {
  return `package ${name} is claimed by its maintainers: the registry cannot sign it. Sign the release on a maintainer's machine and publish it with tufpm:\n` +
    `  npm pack\n  tufpm sign <tarball> --key <your key>${threshold > 1 ? `\n  (co-signers: tufpm cosign <tarball> --key <their key>; ${threshold} signatures needed)` : ''}\n  tufpm publish <tarball>`;
}

/**
 * The registry's publish hook for the npm profile with maintainer keys (DESIGN.md 2):
 * - unclaimed package, plain `npm publish`: signed into its hash bin with the online key;
 * - claimed package without a signed role: refused (TUF_MAINTAINER_SIGNATURE_REQUIRED), saying how to sign;
 * - claimed package with a role: accepted only if checkRelease passes against the delegation the offline
 *   targets key signed; at threshold the role, snapshot and timestamp are written; below threshold the
 *   release is staged outside the served metadata and the publish answered TUF_RELEASE_STAGED, so the
 *   registry writes neither tarball nor packument.
 * It runs in `beforeAccept`, under the registry's directory lock and the repository lock.
 * Nothing here needs, or can use, a maintainer's private key.
 *
 * `store`, when given, stores the release's files in the registry (the Verdaccio plugin hands the request
 * on to Verdaccio there). It runs under the repository lock after every check passed and before any
 * metadata is written, and only for a release that will be served (never for a staged or refused one):
 * if it throws, nothing is signed, so the signed state becomes visible only after the store succeeded
 * (ADR 0018). Without it (tufpm-registry) the registry writes its files after the hook returned.
 */
export function createMaintainerPublishHook(opts: MaintainerHookOptions): MaintainerPublishHook {
  const repos = new Map<string, Promise<NpmRepository>>();
  const now = opts.now ?? (() => new Date());
  const openRepo = async (dir: string): Promise<NpmRepository> => {
    let p = repos.get(dir);
    if (p === undefined) {
      p = NpmRepository.open({ dir, keysDir: opts.keysDir });
      repos.set(dir, p);
    }
    try {
      return await p;
    } catch (err) {
      repos.delete(dir); // retry on the next publish (the repository may be initialised meanwhile)
      throw err;
    }
  };

  return {
    async beforeAccept(ev, store) {
      const repo = await openRepo(opts.metadataDir ?? join(ev.dir, 'tuf', 'metadata'));
      const field = ev.document[TUFPM_FIELD];
      if (field === undefined) {
        try {
          await repo.publishTarball(ev.tarball, {
            expectedName: ev.name, expectedVersion: ev.version, onlineOnly: true,
            ...(ev.packumentDistTags === undefined ? {} : { distTags: ev.packumentDistTags }),
            ...(store === undefined ? {} : { beforePersist: store }),
          });
        } catch (err) {
          if (err instanceof PackageClaimedError) throw new SignatureRequiredError(howToSign(ev.name, repo.claimedRole(ev.name)?.threshold ?? 1), { cause: err });
          throw err;
        }
        opts.onRelease?.({ name: ev.name, version: ev.version, outcome: 'unclaimed' });
        return;
      }
      if (typeof field !== 'object' || field === null || Array.isArray(field)) throw new RoleRefusedError(`${TUFPM_FIELD} must be an object { role }`);
      const candidate = roleFromJsonValue((field as Record<string, unknown>)['role'], `${TUFPM_FIELD}.role`);
      let staged: ReleaseStagedError | undefined;
      await repo.transaction(async (r) => {
        const delegation = delegationFor(r.targets.signed, ev.name);
        if (delegation === undefined) {
          throw new RoleRefusedError(`package ${ev.name} has not been claimed: there is no maintainer role to sign (publish it with npm publish, or claim it first with tufpm claim)`);
        }
        const current = r.targetsRole(ev.name);
        if (isRetryOfAccepted(current, candidate, ev)) return; // metadata already written; let the registry store the files
        const role = await mergeStaged(ev.dir, ev.name, candidate, current, delegation.role.keyids);
        const result = checkRelease({
          name: ev.name, delegation, current, candidate: role, now: now(),
          tarball: { path: ev.tarballPath, length: ev.length, hashes: ev.hashes, custom: (await readPackageTarball(ev.tarball)).target.custom },
          ...(ev.packumentDistTags === undefined ? {} : { distTags: ev.packumentDistTags }),
        });
        if (!result.complete) {
          await writeStaged(ev.dir, {
            name: ev.name, version: ev.version, roleVersion: role.signed.version, role, tarballPath: ev.tarballPath,
            distTags: ev.distTags, tarball: ev.tarball,
          });
          const v = result.verification;
          staged = new ReleaseStagedError(
            `${ev.name}@${ev.version} is staged: its role v${role.signed.version} has ${v.distinctKeys} of ${v.threshold} maintainer signatures. ` +
            `It is not visible to installers until co-signers run: tufpm cosign ${ev.name}@${ev.version} --key <their key> (then tufpm publish)`,
            { name: ev.name, version: ev.version, roleVersion: role.signed.version, signatures: v.distinctKeys, threshold: v.threshold },
          );
          return;
        }
        // The maintainers' bytes replace the role as they are (no bump, no re-signing by the registry).
        r.delegated.set(ev.name, role);
        r.changed.add(ev.name);
        await repo.resignSnapshotAndTimestamp();
      }, { beforePersist: async () => {
        if (staged === undefined) await store?.();
      } });
      if (staged !== undefined) {
        opts.onRelease?.({ name: ev.name, version: ev.version, outcome: 'staged', roleVersion: candidate.signed.version });
        throw staged;
      }
      // The metadata is persisted: nothing may throw from here on, or the registry would undo the files
      // of a signed release. A staged role left behind is dropped by the next publish (mergeStaged: its
      // version is not above the served role's).
      await removeStaged(ev.dir, ev.name).catch(() => undefined);
      opts.onRelease?.({ name: ev.name, version: ev.version, outcome: 'accepted', roleVersion: candidate.signed.version });
    },
  };
}

/**
 * A publish whose role is exactly the one already served and already signs this tarball: the metadata
 * step of an earlier attempt succeeded but the registry failed to store the files. Accept it again
 * (nothing to write) instead of answering "stale version" to a retry.
 */
function isRetryOfAccepted(current: Metadata<Targets>, candidate: Metadata<Targets>, ev: MaintainerPublishEvent): boolean {
  if (Buffer.compare(Buffer.from(current.signedBytes()), Buffer.from(candidate.signedBytes())) !== 0) return false;
  const t = current.signed.targets.get(ev.tarballPath);
  return t !== undefined && t.length === ev.length && t.hashes['sha512'] === ev.hashes.sha512;
}

/**
 * Co-signatures arrive one publish at a time: when a staged role has exactly the same signed content,
 * its signatures (of keys the delegation still lists) join the new ones. A staged role for an older
 * role version is stale and dropped.
 */
async function mergeStaged(registryDir: string, name: string, candidate: Metadata<Targets>, current: Metadata<Targets>, keyids: readonly string[]): Promise<Metadata<Targets>> {
  const staged = await readStaged(registryDir, name);
  if (staged === undefined) return candidate;
  if (staged.roleVersion <= current.signed.version) {
    await removeStaged(registryDir, name);
    return candidate;
  }
  const same = Buffer.compare(Buffer.from(staged.role.signedBytes()), Buffer.from(candidate.signedBytes())) === 0;
  if (!same) return candidate;
  for (const [keyid, sig] of staged.role.signatures) {
    if (!candidate.signatures.has(keyid) && keyids.includes(keyid)) candidate.signatures.set(keyid, sig);
  }
  return candidate;
}
