import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { dirname, join } from 'node:path';
import { readRecordFile } from './record-file.js';
import { PRIVATE_FILE_MODE, ensurePrivateDir, writeFileAtomic } from '@tufpm/client';

/**
 * Packages whose per-package tree checks (signed dependencies, signed manifest fields, the edges to the
 * packages serving them: DESIGN §9, ADR 0023) passed on THIS machine, by the digest of everything those checks
 * read: the signed facts of the target (name, version, role, sha512, the parsed `custom.npm`) and the inputs
 * the installer declared for it (the ranges, bins, conditions it resolved and the name and version serving
 * each edge). The checks are a pure function of those inputs, so a digest that passed once passes again: a
 * warm install need not redo them for an unchanged tree (they cost a warm Yarn install about 4 points of CPU
 * on the 520-package bench). Any change on either side (a re-signed target, an edited lockfile, another
 * resolution) is another digest, and the package is checked again.
 *
 * A record stands in for a check, so it is sealed like the Yarn bindings (ADR 0011, one seal per file as in
 * ADR 0020): the file carries one HMAC-SHA256 under the machine's record key over its digests, checked once
 * when it is loaded. A file edited, forged, copied from another machine or state directory, or of another
 * format opens as empty: every package is then checked again, and the next save writes a sealed file.
 */
export const CHECKED_PACKAGES_FILE = 'checked-packages.json';
/**
 * The version of the check rules. Bump it with any change of what the per-package checks accept
 * (verify's checkDependencies / checkManifestFields, an installer's edge check): every record of an older
 * version then stops matching, and the packages are checked under the new rules.
 */
export const PACKAGE_CHECK_RULES_VERSION = 1;
const FORMAT_VERSION = 1;
const CONTEXT = `tufpm-checked-packages ${FORMAT_VERSION}`;
/** 66 bytes per record: 32 MiB bounds what is read far beyond any real set of trees. */
const MAX_BYTES = 32 * 1024 * 1024;
/** Records kept per file: the newest ones (a machine that installs many trees forgets the oldest). */
const MAX_RECORDS = 200_000;
const DIGEST = /^[0-9a-f]{64}$/;

/**
 * The record of one package's checks: SHA-256 over the rules version, the installer, the signed facts and the
 * installer's declared inputs, each part prefixed by its length, so no pair of inputs reads as another.
 */
export function packageCheckDigest(installer: string, signedFacts: string, declaredInputs: string): string {
  // one string, one update: the same bytes as one update per part, a third of the native calls (once per package)
  return createHash('sha256')
    .update(`tufpm-package-checks ${PACKAGE_CHECK_RULES_VERSION}\n${installer.length}:${installer}${signedFacts.length}:${signedFacts}${declaredInputs.length}:${declaredInputs}`, 'utf8')
    .digest('hex');
}

function fileMac(recordKey: Uint8Array, digests: readonly string[]): Buffer {
  // fixed-length hex digests, each ending in a newline: no list reads as another (one string, one update:
  // the same bytes as one update per digest)
  return createHmac('sha256', recordKey).update(`${CONTEXT}\0${digests.length === 0 ? '' : `${digests.join('\n')}\n`}`, 'utf8').digest();
}

export class CheckedPackages {
  private changed = false;

  private constructor(
    private readonly path: string,
    private readonly recordKey: Uint8Array,
    /** the sealed digests, oldest first (a Set keeps insertion order) */
    private readonly digests: Set<string>,
  ) {}

  static async load(dir: string, recordKey: Uint8Array): Promise<CheckedPackages> {
    const path = join(dir, CHECKED_PACKAGES_FILE);
    // a damaged file only costs checking every package again
    const { size, raw } = await readRecordFile(path, MAX_BYTES);
    const digests = sealedDigests(raw, recordKey);
    const checked = new CheckedPackages(path, recordKey, digests ?? new Set());
    // A file that vouches for nothing is rewritten by the next save, even if nothing is added.
    checked.changed = digests === undefined && size !== undefined;
    return checked;
  }

  /** True only when this machine sealed "the checks with exactly these inputs passed". */
  has(digest: string): boolean {
    return this.digests.has(digest);
  }

  add(digest: string): void {
    if (!DIGEST.test(digest)) throw new TypeError(`not a package check digest: ${digest.slice(0, 80)}`);
    if (this.digests.has(digest)) return;
    this.digests.add(digest);
    this.changed = true;
  }

  async save(): Promise<void> {
    if (!this.changed) return;
    const all = [...this.digests];
    const kept = all.length > MAX_RECORDS ? all.slice(all.length - MAX_RECORDS) : all;
    await ensurePrivateDir(dirname(this.path));
    const mac = fileMac(this.recordKey, kept).toString('hex');
    await writeFileAtomic(this.path, Buffer.from(`${JSON.stringify({ version: FORMAT_VERSION, mac, checked: kept })}\n`, 'utf8'), { mode: PRIVATE_FILE_MODE });
    this.changed = false;
  }
}

/**
 * The digests of a parsed file, or undefined when it vouches for nothing: not this format, any malformed
 * entry, too many entries, or a seal that does not authenticate under `recordKey`.
 */
function sealedDigests(raw: unknown, recordKey: Uint8Array): Set<string> | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { version, mac, checked, ...rest } = raw as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || version !== FORMAT_VERSION || typeof mac !== 'string' || !DIGEST.test(mac)) return undefined;
  if (!Array.isArray(checked) || checked.length > MAX_RECORDS) return undefined;
  for (const digest of checked) if (typeof digest !== 'string' || !DIGEST.test(digest)) return undefined;
  if (!timingSafeEqual(fileMac(recordKey, checked as string[]), Buffer.from(mac, 'hex'))) return undefined;
  return new Set(checked as string[]);
}
