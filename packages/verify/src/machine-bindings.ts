import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '@tufpm/client';

/**
 * Yarn checksum bindings recorded on THIS machine, outside the project: "the archive with checksum C was
 * built by this machine's Yarn from the tarball with signed sha512 S". A checksum in yarn.lock or in
 * tufpm-lock.json may come from a pull request, so it can only ever refuse an archive; accepting a cached
 * archive without rebuilding it needs a binding made here, after a verified download.
 */
export const MACHINE_BINDINGS_FILE = 'yarn-bindings.json';
const MAX_BYTES = 32 * 1024 * 1024;

export interface MachineBinding {
  sha512: string;
  checksum: string;
}

export class MachineBindings {
  private changed = false;

  private constructor(
    private readonly path: string,
    private readonly entries: Map<string, MachineBinding>,
  ) {}

  static async load(cacheDir: string): Promise<MachineBindings> {
    const path = join(cacheDir, MACHINE_BINDINGS_FILE);
    const entries = new Map<string, MachineBinding>();
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
        // A damaged cache file only costs rebuilds: start empty and overwrite it on the next save.
        if (!(error instanceof SyntaxError)) throw error;
      }
      const bindings = (raw as { bindings?: unknown } | undefined)?.bindings;
      if (typeof bindings === 'object' && bindings !== null) {
        for (const [key, value] of Object.entries(bindings)) {
          const { sha512, checksum } = (value ?? {}) as Record<string, unknown>;
          if (typeof sha512 === 'string' && /^[0-9a-f]{128}$/.test(sha512) && typeof checksum === 'string' && checksum.length <= 300) {
            entries.set(key, { sha512, checksum });
          }
        }
      }
    }
    return new MachineBindings(path, entries);
  }

  /** True only when this machine bound exactly this checksum to exactly this signed tarball. */
  has(key: string, sha512: string, checksum: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.sha512 === sha512 && entry.checksum === checksum;
  }

  set(key: string, binding: MachineBinding): void {
    const entry = this.entries.get(key);
    if (entry?.sha512 === binding.sha512 && entry.checksum === binding.checksum) return;
    this.entries.set(key, binding);
    this.changed = true;
  }

  async save(cacheDir: string): Promise<void> {
    if (!this.changed) return;
    await ensurePrivateDir(cacheDir);
    const bindings: Record<string, MachineBinding> = {};
    for (const key of [...this.entries.keys()].sort()) bindings[key] = this.entries.get(key)!;
    await writeFileAtomic(this.path, Buffer.from(`${JSON.stringify({ version: 1, bindings })}\n`, 'utf8'));
    this.changed = false;
  }
}
