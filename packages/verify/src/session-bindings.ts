// Yarn archive checksums bound to the tarballs an install verified (ADR 0011, ADR 0020): this session's
// bindings, checked and then saved into the machine's sealed bindings. A checksum from the project (yarn.lock,
// the pins) can only refuse an archive; only a binding made here after a verified download vouches for one.
import { VerifyError } from './errors.js';
import type { PinnedPackage } from './lockfile.js';
import { isBindableKey, patchedBindingKey, type MachineBindings } from './machine-bindings.js';
import { pkgKey } from './target-path.js';
import type { SignedTarget } from './types.js';

export class SessionBindings {
  private readonly yarnChecksums = new Map<string, string>();
  /** `patch:` archives compared in this session: binding key -> { package key, archive checksum } */
  private readonly patchedChecksums = new Map<string, { key: string; checksum: string }>();

  /** `resolved` is the verifier's map of the targets verified in this session (read live, never written). */
  constructor(
    private readonly machineBindings: MachineBindings,
    private readonly resolved: ReadonlyMap<string, SignedTarget>,
    private readonly pinned: (name: string, version: string) => PinnedPackage | undefined,
  ) {}

  /** The checksum bound to `key` in this session, if any (recorded in the pins on commit). */
  yarnChecksum(key: string): string | undefined {
    return this.yarnChecksums.get(key);
  }

  /** InstallVerifier.bindYarnChecksum. */
  bindYarnChecksum(name: string, version: string, checksum: string): void {
    const key = pkgKey(name, version);
    if (!this.resolved.has(key)) {
      throw new Error(`bindYarnChecksum(${key}) before the tarball was verified`);
    }
    this.yarnChecksums.set(key, checksum);
  }

  /** InstallVerifier.checkYarnChecksum. */
  checkYarnChecksum(name: string, version: string, checksum: string): 'bound' | 'unbound' {
    const key = pkgKey(name, version);
    // A session binding (verified download now) decides both ways. A pinned checksum comes from the project,
    // which a pull request can edit: it can refuse an archive, never vouch for one.
    const expected = this.yarnChecksums.get(key) ?? this.pinned(name, version)?.yarnChecksum;
    if (expected !== undefined && expected !== checksum) {
      throw new VerifyError('TUF_CHECKSUM_BINDING', `${key}: Yarn checksum ${checksum.slice(0, 24)}... differs from the one bound to the TUF-verified tarball`, {
        packageName: name,
        version,
        ...(this.pinned(name, version) ? { role: this.pinned(name, version)!.role } : {}),
        attack: 'poisoned cache or mirror, or an edited yarn.lock checksum',
        recovery: 'restore yarn.lock from version control, clear the Yarn cache (yarn cache clean --mirror) and reinstall',
      });
    }
    if (this.yarnChecksums.get(key) === checksum) return 'bound';
    // Otherwise only a binding this machine made after a verified download of the same signed tarball counts.
    const signed = this.resolved.get(key);
    if (signed !== undefined && this.machineBindings.has(key, signed.sha512, checksum)) return 'bound';
    return 'unbound';
  }

  /** InstallVerifier.bindPatchedChecksum. */
  bindPatchedChecksum(name: string, version: string, locator: string, checksum: string): void {
    const key = pkgKey(name, version);
    if (!this.resolved.has(key)) throw new Error(`bindPatchedChecksum(${key}) before the package was verified`);
    this.patchedChecksums.set(patchedBindingKey(key, locator), { key, checksum });
  }

  /** InstallVerifier.hasPatchedBinding. */
  hasPatchedBinding(name: string, version: string, locator: string, checksum: string): boolean {
    const key = pkgKey(name, version);
    const signed = this.resolved.get(key);
    if (signed === undefined) return false;
    const bindingKey = patchedBindingKey(key, locator);
    if (this.patchedChecksums.get(bindingKey)?.checksum === checksum) return true;
    return this.machineBindings.has(bindingKey, signed.sha512, checksum);
  }

  /** Adds this session's bindings (over the signed sha512 each was made against) to the machine's, and saves them sealed. */
  async save(): Promise<void> {
    for (const [key, checksum] of this.yarnChecksums) {
      const signed = this.resolved.get(key);
      if (signed !== undefined) this.machineBindings.set(key, { sha512: signed.sha512, checksum });
    }
    for (const [bindingKey, { key, checksum }] of this.patchedChecksums) {
      const signed = this.resolved.get(key);
      if (signed !== undefined && isBindableKey(bindingKey)) this.machineBindings.set(bindingKey, { sha512: signed.sha512, checksum });
    }
    await this.machineBindings.save();
  }
}
