import { createHmac, timingSafeEqual } from 'node:crypto';
import { dirname, join } from 'node:path';
import { readRecordFile } from './record-file.js';
import { PRIVATE_FILE_MODE, ensurePrivateDir, writeFileAtomic } from '@tufpm/client';

/**
 * Yarn checksum bindings recorded on THIS machine, outside the project: "the archive with checksum C was
 * built by this machine's Yarn from the tarball with signed sha512 S". A checksum in yarn.lock or in
 * tufpm-lock.json may come from a pull request, so it can only ever refuse an archive; accepting a cached
 * archive without rebuilding it needs a binding made here, after a verified download.
 *
 * Bindings stand in for a check, so they are sealed (ADR 0011): the file carries one HMAC-SHA256 under the
 * machine's record key (state-dir.ts) over all its bindings (package key, sha512 and checksum of each, in
 * order), checked once when the file is loaded. One seal per file, not one per binding (ADR 0020): a warm
 * install reads every binding anyway, and one HMAC over the whole list costs a fraction of one per entry.
 * The file lives in the tufpm state directory, not in Yarn's global folder; a file whose seal does not
 * authenticate (any binding edited, added or removed, copied from another machine, or an older version)
 * holds no binding: each archive is then rebuilt from a verified download and compared, as on a machine
 * that never saw the package, and the next save writes a sealed file again.
 */
export const MACHINE_BINDINGS_FILE = 'yarn-bindings.json';
const MAX_BYTES = 32 * 1024 * 1024;
const FORMAT_VERSION = 3;
const CONTEXT = `tufpm-yarn-bindings ${FORMAT_VERSION}`;

export interface MachineBinding {
  sha512: string;
  checksum: string;
}

/** The seal of a whole bindings file: its entries in the order written (sorted by key). */
function fileMac(recordKey: Uint8Array, entries: ReadonlyArray<readonly [string, MachineBinding]>): Buffer {
  // NUL cannot occur in a package key, a hex sha512 or a Yarn checksum, and each binding ends in a newline
  // the fields cannot hold: no list of bindings reads as another. The bytes are built as one string and
  // hashed in one call (the same bytes as one update per binding: ~550 native calls fewer per warm install).
  let text = `${CONTEXT}\0`;
  for (const [key, binding] of entries) text += `${key}\0${binding.sha512}\0${binding.checksum}\n`;
  return createHmac('sha256', recordKey).update(text, 'utf8').digest();
}

const VALID_CHECKSUM = /^[^\0\n]{1,300}$/;
const VALID_KEY = /^[^\0\n]{1,2048}$/;

/** Whether `key` can be a binding's key (no NUL or newline, bounded): a longer patch locator is simply not bound. */
export function isBindableKey(key: string): boolean {
  return VALID_KEY.test(key);
}

/**
 * The key of a `patch:` archive's binding: the package key of the verified archive under it and Yarn's full
 * patch locator (ADR 0020). `#` occurs in no npm package key, so it cannot collide with an npm binding.
 */
export function patchedBindingKey(key: string, locator: string): string {
  return `${key}#${locator}`;
}

export class MachineBindings {
  private changed = false;

  private constructor(
    private readonly path: string,
    private readonly recordKey: Uint8Array,
    private readonly entries: Map<string, MachineBinding>,
  ) {}

  static async load(dir: string, recordKey: Uint8Array): Promise<MachineBindings> {
    const path = join(dir, MACHINE_BINDINGS_FILE);
    // a damaged file only costs rebuilds
    const { size, raw } = await readRecordFile(path, MAX_BYTES);
    const entries = sealedEntries(raw, recordKey);
    // A file that holds no usable binding is rewritten by the next save, even if nothing is added.
    const bindings = new MachineBindings(path, recordKey, entries ?? new Map());
    bindings.changed = entries === undefined && size !== undefined;
    return bindings;
  }

  /** True only when this machine bound exactly this checksum to exactly this signed tarball (and sealed it). */
  has(key: string, sha512: string, checksum: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.sha512 === sha512 && entry.checksum === checksum;
  }

  set(key: string, binding: MachineBinding): void {
    if (this.has(key, binding.sha512, binding.checksum)) return;
    if (!VALID_KEY.test(key) || !/^[0-9a-f]{128}$/.test(binding.sha512) || !VALID_CHECKSUM.test(binding.checksum)) {
      throw new Error(`cannot bind ${JSON.stringify(key).slice(0, 200)}: not a package key, sha512 and Yarn checksum`);
    }
    this.entries.set(key, { sha512: binding.sha512, checksum: binding.checksum });
    this.changed = true;
  }

  async save(): Promise<void> {
    if (!this.changed) return;
    await ensurePrivateDir(dirname(this.path));
    const sorted = [...this.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const bindings: Record<string, MachineBinding> = {};
    for (const [key, binding] of sorted) bindings[key] = binding;
    const mac = fileMac(this.recordKey, sorted).toString('hex');
    await writeFileAtomic(this.path, Buffer.from(`${JSON.stringify({ version: FORMAT_VERSION, mac, bindings })}\n`, 'utf8'), { mode: PRIVATE_FILE_MODE });
    this.changed = false;
  }
}

/**
 * The bindings of a parsed file, or undefined when it vouches for nothing: not this format, any malformed
 * binding (the file is not one this code wrote), or a seal that does not authenticate under `recordKey`.
 */
function sealedEntries(raw: unknown, recordKey: Uint8Array): Map<string, MachineBinding> | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { version, mac, bindings } = raw as Record<string, unknown>;
  if (version !== FORMAT_VERSION || typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) return undefined;
  if (typeof bindings !== 'object' || bindings === null || Array.isArray(bindings)) return undefined;
  const entries = new Map<string, MachineBinding>();
  for (const [key, value] of Object.entries(bindings)) {
    if (typeof value !== 'object' || value === null) return undefined;
    const { sha512, checksum, ...rest } = value as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || !VALID_KEY.test(key)) return undefined;
    if (typeof sha512 !== 'string' || !/^[0-9a-f]{128}$/.test(sha512) || typeof checksum !== 'string' || !VALID_CHECKSUM.test(checksum)) return undefined;
    entries.set(key, { sha512, checksum });
  }
  // the seal covers the bindings in the order they are written: a file reordered by hand does not open
  if (!timingSafeEqual(fileMac(recordKey, [...entries]), Buffer.from(mac, 'hex'))) return undefined;
  return entries;
}
