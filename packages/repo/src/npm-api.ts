import type { Key, Signer } from '@tufpm/models';
import { NpmRepositoryCore, expiresIn, type InitOptions } from './npm-repository.js';
import {
  addPackage,
  packageCoverage,
  publishPrepared,
  publishTarball,
  type AddPackageOptions,
  type AddPackageResult,
  type PackageCoverage,
  type PublishOptions,
  type PublishResult,
} from './packages.js';
import { refreshExpiry, revokeKey, rotateKey, type NewKey, type RotateOptions, type RotateResult } from './rotation.js';
import { repositoryStatus, type RepositoryStatus } from './status.js';
import type { PackageTarball } from './tarball.js';
import { unclaimPackage, type UnclaimResult } from './unclaim.js';

/**
 * The npm-profile repository: open one with `NpmRepository.open({ dir, keysDir })` or create one with
 * `initRepository(...)`. Every method that changes metadata writes nothing unless it fully succeeds.
 */
export class NpmRepository extends NpmRepositoryCore {
  addPackage(name: string, maintainerKeys: Key[], threshold: number, opts?: AddPackageOptions): Promise<AddPackageResult> {
    return addPackage(this, name, maintainerKeys, threshold, opts);
  }

  publishTarball(tarball: Uint8Array, opts?: PublishOptions): Promise<PublishResult> {
    return publishTarball(this, tarball, opts);
  }

  /** Signs many already-read tarballs in one new snapshot (import). */
  publishPrepared(tarballs: readonly PackageTarball[], opts?: PublishOptions): Promise<PublishResult[]> {
    return publishPrepared(this, tarballs, opts);
  }

  /** New snapshot (every role at its current version) and timestamp. */
  async snapshot(): Promise<{ snapshot: number; timestamp: number }> {
    await this.transaction(async () => this.resignSnapshotAndTimestamp());
    return { snapshot: this.repo.snapshot.signed.version, timestamp: this.repo.timestamp.signed.version };
  }

  /** New timestamp only, with a fresh expiry (what a registry cron does to keep clients from seeing a frozen repository). */
  async timestamp(): Promise<{ timestamp: number }> {
    await this.transaction(async (repo) => {
      repo.setExpires('timestamp', expiresIn(this.now(), this.config.expiries.timestamp));
      repo.updateTimestamp();
      await this.signRole('timestamp');
    });
    return { timestamp: this.repo.timestamp.signed.version };
  }

  rotateKey(role: string, oldKeyid: string, newKey?: NewKey, opts?: RotateOptions): Promise<RotateResult> {
    return rotateKey(this, role, oldKeyid, newKey, opts);
  }

  revokeKey(pkg: string, keyid: string, opts?: { threshold?: number }): ReturnType<typeof revokeKey> {
    return revokeKey(this, pkg, keyid, opts);
  }

  refreshExpiry(which: string, opts?: { signers?: Signer[] }): Promise<Record<string, string>> {
    return refreshExpiry(this, which, opts);
  }

  /** With `registryDir` (the registry's directory), also signed targets without files and files without targets. */
  status(opts: { registryDir?: string } = {}): Promise<RepositoryStatus> {
    return repositoryStatus(this, opts);
  }

  /** Hands a claimed package back to the registry-signed bins, with an unclaim record signed by the offline targets key (ADR 0026). */
  unclaim(name: string): Promise<UnclaimResult> {
    return unclaimPackage(this, name);
  }

  coverage(name: string, version?: string): PackageCoverage {
    return packageCoverage(this, name, version);
  }
}

/** Creates a new npm-profile repository (keys, root, targets, unclaimed + bins, snapshot, timestamp). */
export function initRepository(opts: InitOptions): Promise<NpmRepository> {
  return NpmRepository.init(opts);
}

export function openRepository(opts: { dir: string; keysDir: string; now?: Date }): Promise<NpmRepository> {
  return NpmRepository.open(opts);
}
