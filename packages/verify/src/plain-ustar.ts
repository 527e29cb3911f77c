/**
 * A header-only reader for the plain ustar archives `npm pack` writes, giving the entries (path and type)
 * node-tar 7's parser gives for the same bytes, or `undefined` for anything it does not read exactly as
 * node-tar does. The caller then walks the archive with node-tar itself, so node-tar stays the reference
 * for every archive this reader declines (pax and GNU long names, links, other types, base-256 numbers,
 * non-ASCII names, checksum failures, truncation, a missing end marker...).
 *
 * Why: the install-time entry walk (ADR 0012) over the 531 tarballs of the bench's real tree cost ~0.27 s of
 * main-thread CPU in node-tar's parser (a Header, a ReadEntry stream and a filter call per entry, every
 * field decoded through a string and a regex) against a few milliseconds here (ADR 0012, amended
 * 2026-12-07). Differential tests (packages/verify/test/plain-ustar.test.ts) compare it with node-tar over
 * crafted archives, every byte of their headers mutated, and the bench's real tarballs.
 *
 * Only what node-tar does for these archives is reproduced (tar 7.5 `header.js`, `parse.js`, `read-entry.js`):
 * - a field's string ends at its first NUL; a number is that string, trimmed, parsed as octal;
 * - with the magic `ustar\0` `00` a non-empty 130-byte prefix is joined to the name with `/`;
 * - typeflag `0` or NUL is a file, `5` a directory, and a file whose path ends in `/` a directory; a
 *   directory's body is never skipped, whatever its size field says;
 * - two all-zero blocks end the archive, and nothing after them is read.
 */

import { TAR_BLOCK, tarOctal, tarZeros } from '@tufpm/models';

/** An entry as node-tar's parser reports it to a filter (`entry.path`, `entry.type`). */
export interface PlainUstarEntry {
  readonly path: string;
  readonly type: 'File' | 'Directory';
}

const BLOCK = TAR_BLOCK;
const zeros = tarZeros;
const octal = tarOctal;

/** Printable ASCII without a backslash (node-tar makes it a separator on Windows). */
const PLAIN_NAME = /^[\x20-\x5b\x5d-\x7e]*$/;

/**
 * A name field as node-tar reads it, accepted only as PLAIN_NAME up to the first NUL and NULs after it
 * (node-tar's `/\0.*\/` keeps what follows a line terminator). Returns undefined for anything else.
 */
function name(tar: Buffer, off: number, size: number): string | undefined {
  const end = off + size;
  // searched within the field only: a search of the whole archive per header could be made quadratic
  const found = tar.subarray(off, end).indexOf(0);
  const nul = found === -1 ? end : off + found;
  if (nul < end && !zeros(tar, nul, end)) return undefined;
  const text = tar.toString('latin1', off, nul);
  return PLAIN_NAME.test(text) ? text : undefined;
}

/**
 * The header checksum as node-tar computes it: the sum of the block's bytes, the checksum field counted as
 * eight spaces. Read as 128 little 32-bit words in two accumulators of 16-bit lanes (at most 128 * 255 per
 * lane, so no lane overflows into the next): a quarter of the loop iterations of a byte-by-byte sum, which
 * is what a cold install pays for, since the walk runs once per tarball and mostly before V8 optimises it.
 */
function checksum(words: Uint32Array, at: number): number {
  let even = 0;
  let odd = 0;
  for (let i = at; i < at + 128; i++) {
    const w = words[i]!;
    even += w & 0x00ff00ff;
    odd += (w >>> 8) & 0x00ff00ff;
  }
  // bytes 148-155 (words 37 and 38) are the checksum field
  const a = words[at + 37]!;
  const b = words[at + 38]!;
  even -= (a & 0x00ff00ff) + (b & 0x00ff00ff);
  odd -= ((a >>> 8) & 0x00ff00ff) + ((b >>> 8) & 0x00ff00ff);
  return 8 * 0x20 + (even & 0xffff) + Math.floor(even / 0x10000) + (odd & 0xffff) + Math.floor(odd / 0x10000);
}

/** `ustar\0` `00` */
const USTAR_MAGIC = Buffer.from('ustar\u000000', 'latin1');

/**
 * One header at tar[off]: the entry and the offset of the next header, or undefined when node-tar could
 * read it otherwise. Every check node-tar makes of a header (or could fail on) is either made here as it
 * makes it or declines the archive.
 */
function header(tar: Buffer, words: Uint32Array, off: number): { entry: PlainUstarEntry; next: number } | undefined {
  const typeflag = tar[off + 156];
  if (typeflag !== 0x30 && typeflag !== 0 && typeflag !== 0x35) return undefined;
  if (tar.compare(USTAR_MAGIC, 0, 8, off + 257, off + 265) !== 0) return undefined;
  // a prefix longer than 130 bytes takes another branch in node-tar
  if (tar[off + 475] !== 0) return undefined;
  // base-256 numbers (a leading byte with its high bit set) can make node-tar throw: mode, uid, gid, size,
  // mtime, checksum, devmajor, devminor, atime, ctime
  if ((tar[off + 100]! | tar[off + 108]! | tar[off + 116]! | tar[off + 124]! | tar[off + 136]! | tar[off + 148]! | tar[off + 329]! | tar[off + 337]! | tar[off + 476]! | tar[off + 488]!) >= 0x80) return undefined;
  // node-tar refuses a linkpath on a file or directory; read none here
  if (!zeros(tar, off + 157, off + 257)) return undefined;
  // node-tar reads the checksum field as 12 bytes
  if (octal(tar, off + 148, 12) !== checksum(words, off >>> 2)) return undefined;
  const size = octal(tar, off + 124, 12);
  if (size < 0) return undefined;
  const base = name(tar, off, 100);
  const prefix = name(tar, off + 345, 130);
  if (base === undefined || prefix === undefined) return undefined;
  const path = prefix === '' ? base : `${prefix}/${base}`;
  const directory = typeflag === 0x35 || path.endsWith('/');
  // a file entry with a body on a path ending in `/`: node-tar 7.5 makes it a directory and reads its body as
  // headers; older parsers may not. The framing check (models' tar-framing.ts) refuses it, so decline
  if (directory && typeflag !== 0x35 && size > 0) return undefined;
  // node-tar skips a file's body in whole blocks and a directory's not at all
  return { entry: { path, type: directory ? 'Directory' : 'File' }, next: off + BLOCK + (directory ? 0 : Math.ceil(size / BLOCK) * BLOCK) };
}

/**
 * Reads the headers of an uncompressed tar archive pushed in chunks of any size (zlib's output, or the whole
 * archive at once), skipping bodies by count: only the current header block is held (512 bytes), so a
 * tarball too large to inflate in one call is read as it streams. Once it declines, it reads nothing more.
 */
export class PlainUstarReader {
  private readonly entries: PlainUstarEntry[] = [];
  /** the header block being gathered, copied out of the chunks so that it is whole and word-aligned */
  private readonly block = Buffer.alloc(BLOCK);
  private readonly words = new Uint32Array(this.block.buffer, this.block.byteOffset, BLOCK / 4);
  private filled = 0;
  /** body bytes still to skip before the next header */
  private skip = 0;
  private first = true;
  private sawNullBlock = false;
  private ended = false;
  private declined = false;

  /** Whether more bytes can change the answer (false once declined or past the end marker). */
  get reading(): boolean {
    return !this.declined && !this.ended;
  }

  push(chunk: Buffer): void {
    // a whole header inside the chunk at a word-aligned offset is read where it is (a whole archive pushed
    // at once: every header); any other is copied into `block` first
    const words = chunk.byteOffset % 4 === 0 ? new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length >>> 2) : undefined;
    let pos = 0;
    while (pos < chunk.length && this.reading) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        this.skip -= n;
        pos += n;
        continue;
      }
      if (this.filled === 0 && words !== undefined && pos % 4 === 0 && pos + BLOCK <= chunk.length) {
        this.consumeBlock(chunk, words, pos);
        pos += BLOCK;
        continue;
      }
      const n = Math.min(BLOCK - this.filled, chunk.length - pos);
      chunk.copy(this.block, this.filled, pos, pos + n);
      this.filled += n;
      pos += n;
      if (this.filled === BLOCK) {
        this.filled = 0;
        this.consumeBlock(this.block, this.words, 0);
      }
    }
  }

  /** The entries, in order, or undefined when the archive is not one this reader handles exactly as node-tar. */
  finish(): PlainUstarEntry[] | undefined {
    // no end marker (or a truncated body) is node-tar's call; an archive of no entries is "Unrecognized
    // archive format" to node-tar
    return this.declined || !this.ended || this.entries.length === 0 ? undefined : this.entries;
  }

  /** The 512-byte block at buf[off] (`words` views buf from its start; off is a multiple of 4). */
  private consumeBlock(buf: Buffer, words: Uint32Array, off: number): void {
    if (this.first) {
      this.first = false;
      // node-tar sniffs its first write: gzip or zstd magic there would make it decompress again
      if ((buf[off] === 0x1f && buf[off + 1] === 0x8b) || (buf[off] === 0x28 && buf[off + 1] === 0xb5 && buf[off + 2] === 0x2f && buf[off + 3] === 0xfd)) {
        this.declined = true;
        return;
      }
    }
    if (buf[off] === 0) {
      // an empty name: an all-zero block (the end marker is two of them), or something node-tar reads otherwise
      if (!zeros(buf, off, off + BLOCK)) this.declined = true;
      else if (this.sawNullBlock) this.ended = true;
      else this.sawNullBlock = true;
      return;
    }
    this.sawNullBlock = false;
    const read = header(buf, words, off);
    if (read === undefined) {
      this.declined = true;
      return;
    }
    this.entries.push(read.entry);
    this.skip = read.next - off - BLOCK;
  }
}

/** The entries of a whole uncompressed tar archive (PlainUstarReader in one push). */
export function readPlainUstarEntries(tar: Buffer): PlainUstarEntry[] | undefined {
  const reader = new PlainUstarReader();
  reader.push(tar);
  return reader.finish();
}
