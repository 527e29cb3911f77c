import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '@tufpm/client';

/**
 * Yarn checksum bindings recorded on THIS machine, outside the project: "the archive with checksum C was
 * built by this machine's Yarn from the tarball with signed sha512 S". A checksum in yarn.lock or in
 * tufpm-lock.json may come from a pull request, so it can only ever refuse an archive; accepting a cached
 * archive without rebuilding it needs a binding made here, after a verified download.
 *
 * A binding stands in for a check, so it is sealed (ADR 0011): each carries an HMAC-SHA256 under the
 * machine's record key (state-dir.ts) over its package key, sha512 and checksum. The file lives in the
 * tufpm state directory, not in Yarn's global folder; a binding that does not authenticate (edited, copied
 * from another machine, or from version 1 files, which had none) is no binding: the archive is then
 * rebuilt from a verified download and compared, as on a machine that never saw the package.
 */
export const MACHINE_BINDINGS_FILE = 'yarn-bindings.json';
const MAX_BYTES = 32 * 1024 * 1024;
const CONTEXT = 'tufpm-yarn-binding 2';

export interface MachineBinding {
  sha512: string;
  checksum: string;
}

interface SealedBinding extends MachineBinding {
  mac: string;
}

function bindingMac(recordKey: Uint8Array, key: string, binding: MachineBinding): Buffer {
  // NUL cannot occur in a package key, a hex sha512 or a Yarn checksum: the fields cannot run into each other
  return createHmac('sha256', recordKey).update(`${CONTEXT}\0${key}\0${binding.sha512}\0${binding.checksum}`, 'utf8').digest();
}

export class MachineBindings {
  private changed = false;
  /** keys whose seal was checked in this process (has() is asked once per cached archive) */
  private readonly opened = new Set<string>();

  private constructor(
    private readonly path: string,
    private readonly recordKey: Uint8Array,
    private readonly entries: Map<string, SealedBinding>,
  ) {}

  static async load(dir: string, recordKey: Uint8Array): Promise<MachineBindings> {
    const path = join(dir, MACHINE_BINDINGS_FILE);
    const entries = new Map<string, SealedBinding>();
    let size: number | undefined;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (size !== undefined && size <= MAX_BYTES) {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(path, 'utf8'));
      } catch (error) {
        // A damaged file only costs rebuilds: start empty and overwrite it on the next save.
        if (!(error instanceof SyntaxError)) throw error;
      }
      const bindings = (raw as { bindings?: unknown } | undefined)?.bindings;
      if (typeof bindings === 'object' && bindings !== null) {
        for (const [key, value] of Object.entries(bindings)) {
          const { sha512, checksum, mac } = (value ?? {}) as Record<string, unknown>;
          if (typeof sha512 === 'string' && /^[0-9a-f]{128}$/.test(sha512) && typeof checksum === 'string' && checksum.length <= 300 && typeof mac === 'string' && /^[0-9a-f]{64}$/.test(mac)) {
            entries.set(key, { sha512, checksum, mac });
          }
        }
      }
    }
    return new MachineBindings(path, recordKey, entries);
  }

  /** True only when this machine bound exactly this checksum to exactly this signed tarball (and sealed it). */
  has(key: string, sha512: string, checksum: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.sha512 !== sha512 || entry.checksum !== checksum) return false;
    if (this.opened.has(key)) return true;
    if (!timingSafeEqual(bindingMac(this.recordKey, key, entry), Buffer.from(entry.mac, 'hex'))) return false;
    this.opened.add(key);
    return true;
  }

  set(key: string, binding: MachineBinding): void {
    if (this.has(key, binding.sha512, binding.checksum)) return;
    this.entries.set(key, { ...binding, mac: bindingMac(this.recordKey, key, binding).toString('hex') });
    this.opened.add(key);
    this.changed = true;
  }

  async save(): Promise<void> {
    if (!this.changed) return;
    await ensurePrivateDir(dirname(this.path));
    const bindings: Record<string, SealedBinding> = {};
    for (const key of [...this.entries.keys()].sort()) bindings[key] = this.entries.get(key)!;
    await writeFileAtomic(this.path, Buffer.from(`${JSON.stringify({ version: 2, bindings })}\n`, 'utf8'));
    this.changed = false;
  }
}
