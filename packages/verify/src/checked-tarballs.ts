import { createHmac, timingSafeEqual } from 'node:crypto';
import { dirname, join } from 'node:path';
import { readRecordFile } from './record-file.js';
import { PRIVATE_FILE_MODE, ensurePrivateDir, writeFileAtomic } from '@tufpm/client';
import { TARBALL_ENTRY_RULES_VERSION } from '@tufpm/models';

/**
 * Tarballs whose entries this machine already walked through the one-manifest rules (ADR 0012), by signed
 * sha512. Whether a tarball passes those rules depends on its bytes alone, and an installer extracts only
 * bytes whose sha512 it checked against the signed one, so a sha512 that passed once passes again: a warm
 * `tufpm-npm ci` need not read, gunzip and parse every cached tarball a second time before Arborist extracts
 * it (that re-read cost a warm install about 12 % CPU on the 520-package bench).
 *
 * A record stands in for a check, so it is sealed like the Yarn bindings (ADR 0011): an HMAC-SHA256 under
 * the machine's record key over the rules version and the sha512. Someone who can write the npm cache
 * cannot forge one (the key is in the state directory, not in a cache); a record from an older rules
 * version, from another machine or edited by hand does not open, and the tarball is walked again.
 */
export const CHECKED_TARBALLS_FILE = 'checked-tarballs.json';
/** 64 KiB of records hold ~330 tarballs; 32 MiB is far beyond any real tree and bounds what is read. */
const MAX_BYTES = 32 * 1024 * 1024;
const CONTEXT = `tufpm-checked-tarball-entries ${TARBALL_ENTRY_RULES_VERSION}`;

function recordMac(recordKey: Uint8Array, sha512: string): Buffer {
  return createHmac('sha256', recordKey).update(`${CONTEXT}\0${sha512}`, 'utf8').digest();
}

export class CheckedTarballs {
  private changed = false;

  private constructor(
    private readonly path: string,
    private readonly recordKey: Uint8Array,
    /** sha512 hex -> mac hex, as read (not yet authenticated) or added (sealed here) */
    private readonly records: Map<string, string>,
    /** sha512s whose seal opened in this process */
    private readonly opened = new Set<string>(),
  ) {}

  static async load(dir: string, recordKey: Uint8Array): Promise<CheckedTarballs> {
    const path = join(dir, CHECKED_TARBALLS_FILE);
    const records = new Map<string, string>();
    // a damaged file only costs walking the tarballs again
    const { raw } = await readRecordFile(path, MAX_BYTES);
    const listed = (raw as { checked?: unknown } | undefined)?.checked;
    if (typeof listed === 'object' && listed !== null && !Array.isArray(listed)) {
      for (const [sha512, mac] of Object.entries(listed)) {
        if (/^[0-9a-f]{128}$/.test(sha512) && typeof mac === 'string' && /^[0-9a-f]{64}$/.test(mac)) records.set(sha512, mac);
      }
    }
    return new CheckedTarballs(path, recordKey, records);
  }

  /** True only when this machine sealed "the tarball with this signed sha512 passed the entry rules". */
  has(sha512: string): boolean {
    if (this.opened.has(sha512)) return true;
    const mac = this.records.get(sha512);
    if (mac === undefined || !timingSafeEqual(recordMac(this.recordKey, sha512), Buffer.from(mac, 'hex'))) return false;
    this.opened.add(sha512);
    return true;
  }

  add(sha512: string): void {
    if (!/^[0-9a-f]{128}$/.test(sha512)) throw new TypeError(`not a sha512 hex digest: ${sha512}`);
    if (this.has(sha512)) return;
    this.records.set(sha512, recordMac(this.recordKey, sha512).toString('hex'));
    this.opened.add(sha512);
    this.changed = true;
  }

  /** Writes the records atomically; only the ones that authenticate are kept. */
  async save(): Promise<void> {
    if (!this.changed) return;
    const checked: Record<string, string> = {};
    for (const sha512 of [...this.records.keys()].sort()) if (this.has(sha512)) checked[sha512] = this.records.get(sha512)!;
    await ensurePrivateDir(dirname(this.path));
    await writeFileAtomic(this.path, Buffer.from(`${JSON.stringify({ version: 1, checked })}\n`, 'utf8'), { mode: PRIVATE_FILE_MODE });
    this.changed = false;
  }
}
