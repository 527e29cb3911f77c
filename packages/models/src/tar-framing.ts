import { TAR_BLOCK, tarOctal, tarZeros } from './tar-fields.js';

/** C0 controls and DEL: no `npm pack` path holds one, and node-tar's name handling treats `\n` specially. */
const CONTROL = /[\u0000-\u001f\u007f]/;
import { TarballEntryError } from './tarball-entries.js';

/**
 * The framing check of an inflated npm tarball, run by every reader beside its own tar walk (the registry's
 * and `tufpm-repo`'s publish readers, the install-time entry walk of @tufpm/verify whenever its plain ustar
 * reader declines): refuses the archives that the tar parsers installers run frame differently from the
 * node-tar 7.5 tufpm reads with, so that the entries tufpm checks are the entries installers extract.
 *
 * - **Compression inside the gzip.** node-tar sniffs the first bytes it is given and inflates gzip (and, in
 *   7.5, zstd) itself. tufpm's readers inflate the tarball before node-tar sees it, installers hand node-tar
 *   the tarball: an inflated archive that is itself gzip (valid gzip and a readable tar at once, the tar in
 *   the gzip FEXTRA field) is read as its inner archive by tufpm and as the outer tar by pacote and Yarn.
 *   No tar header starts with these bytes in an archive `npm pack` writes (they are the first bytes of the
 *   first entry's name), so refusing loses nothing. Brotli has no magic; node-tar detects it only by a
 *   `.tbr` file name, which no reader passes.
 * - **Meta headers that node-tar versions apply differently.** Yarn 4 bundles an older node-tar that applies
 *   a pending pax header (`x`, `g`) to the next header of any type, where node-tar 7.5.23 applies it to the
 *   next file entry only: a pax `size` before a GNU long-name header frames that header's body differently,
 *   and the two parsers resynchronise on different blocks. Refused: a meta header (`x`, `g`, `L`, `K`, `N`,
 *   `X`) while another is pending (before its file entry), a pax record `size` or `type` in any `x` header
 *   (what changes a header's framing or makes it a meta header), any global header `g` (Yarn's copy applies
 *   it to every later header), and any pax record line not exactly `<length> <keyword>=<value>\n` (node-tar
 *   reads any byte after the length as the separator). `npm pack` writes at most one `x` per entry, with
 *   `path` and times, never a chain and never a `g`.
 * - **A size that is not plain octal** (base-256 and the like, which parsers decode differently): refused.
 *   A checksum field that is not plain octal is refused (node-tar trims a tab before the digits, and reads
 *   an unparsable checksum on an otherwise empty block as an empty block); at a plain-octal checksum that
 *   does not match, the check stops reading: every reader runs node-tar strict, which refuses the archive
 *   there with its own error. A name field or long-name body with bytes after its NUL, or with a control
 *   character, is refused (node-tar's cut at the NUL stops at a newline).
 *
 * Frames as node-tar 7.5 does (`parse.js`, `header.js`): a directory (typeflag `5`, or `0`/NUL with a name
 * ending in `/`) has no body whatever its size field says; two all-zero blocks end the archive and nothing
 * after them is read. Holds one header block and at most one meta body (bounded by MAX_META_BYTES).
 */

/** node-tar ignores (skips) meta bodies past 1 MiB; a pax header `npm pack` writes is a few hundred bytes. */
const MAX_META_BYTES = 1024 * 1024;
/** typeflags node-tar's ReadEntry treats as meta headers */
const META_TYPES = new Set(['x', 'g', 'L', 'K', 'N', 'X']);
/** pax records whose value changes a header's framing or type in one node-tar version and not the other */
const FRAMING_KEYWORDS = new Set(['size', 'type']);

/** The checksum field as node-tar decodes it (base-256, or cut at a NUL, trimmed, parseInt base 8), or NaN. */
function lenientChecksum(b: Buffer): number {
  if (b[148] === 0x80) {
    let v = 0;
    for (let i = 149; i < 160; i++) v = v * 256 + b[i]!;
    return v;
  }
  if ((b[148]! & 0x80) !== 0) return NaN;
  return parseInt(b.toString('utf8', 148, 160).replace(/\0.*$/, '').trim(), 8);
}

function refuse(entryPath: string, message: string): never {
  throw new TarballEntryError('framing', entryPath, message);
}

/**
 * One pax record line exactly as POSIX writes it: a decimal length without leading zeros, one space, a
 * keyword of printable ASCII without `=`, `=`, a value of printable ASCII. The length is checked against the
 * line below (it counts the line's bytes and its newline).
 */
const PAX_LINE = /^([1-9][0-9]{0,7}) ([\x21-\x3c\x3e-\x7e]+)=([\x20-\x7e]*)$/;

/**
 * The pax records of a meta body as [keyword, value], refusing every body whose lines are not all exactly
 * `<decimal length> <keyword>=<value>\n`. Why strict: node-tar 7.5.23 and the node-tar bundled in Yarn 4 both
 * read a line as `parseInt` of its start and then drop as many characters as that number's digits plus one,
 * whatever the byte after the digits is (a tab, an `x`), and node-tar 7 cuts a value at a NUL where Yarn's
 * copy keeps it; a body of other shapes would be read one way here and another way there. Both decode the
 * body as UTF-8 chunk by chunk as the bytes arrive, so a multi-byte character split across chunks changes
 * the line's length and whether they keep it: non-ASCII bodies are refused too (`npm pack` writes ASCII
 * pax bodies for ASCII paths; the 531 tarballs of the real tree carry no pax header at all).
 */
function paxRecords(body: Buffer, where: string, type: string): Array<[string, string]> {
  for (const byte of body) {
    if (byte > 0x7e || (byte < 0x20 && byte !== 0x0a)) refuse(where, `a tar ${type} header body with a byte that is not printable ASCII (0x${byte.toString(16)}): tar parsers decode it differently`);
  }
  if (body.length === 0) return [];
  const text = body.toString('latin1');
  if (!text.endsWith('\n')) refuse(where, `a tar ${type} header body that does not end its last record with a newline`);
  const records: Array<[string, string]> = [];
  for (const line of text.slice(0, -1).split('\n')) {
    const m = PAX_LINE.exec(line);
    if (m === null || Number(m[1]) !== line.length + 1) {
      refuse(where, `a pax record line that is not exactly '<length> <keyword>=<value>' with its length (${JSON.stringify(line.slice(0, 40))}): node-tar versions read such lines differently`);
    }
    records.push([m[2]!, m[3]!]);
  }
  return records;
}

export class TarFramingScanner {
  private readonly block = Buffer.alloc(TAR_BLOCK);
  private filled = 0;
  /** bytes of the inflated archive seen, to check the magic of its first bytes */
  private seen = 0;
  private readonly head = Buffer.alloc(4);
  /** body bytes still to skip, or to gather into `meta` when `metaType` is set */
  private skip = 0;
  /** padding after a gathered meta body */
  private pad = 0;
  private meta: Buffer[] = [];
  private metaType: string | undefined;
  private metaName = '';
  /** a meta header seen since the last file entry */
  private pending: string | undefined;
  /** the path a pending `L`/`N` body or pax `path` record gives the next entry */
  private pendingPath: string | undefined;
  private sawNullBlock = false;
  private ended = false;

  /** Feeds inflated archive bytes in chunks of any size; throws TarballEntryError (`framing`) on refusal. */
  push(chunk: Buffer): void {
    if (this.seen < 4) {
      const n = Math.min(4 - this.seen, chunk.length);
      chunk.copy(this.head, this.seen, 0, n);
      this.seen += n;
      this.checkMagic(this.seen >= 4);
    }
    let pos = 0;
    while (pos < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        if (this.metaType !== undefined) this.meta.push(chunk.subarray(pos, pos + n));
        this.skip -= n;
        pos += n;
        if (this.skip === 0 && this.metaType !== undefined) this.endMeta();
        continue;
      }
      if (this.pad > 0) {
        const n = Math.min(this.pad, chunk.length - pos);
        this.pad -= n;
        pos += n;
        continue;
      }
      const n = Math.min(TAR_BLOCK - this.filled, chunk.length - pos);
      chunk.copy(this.block, this.filled, pos, pos + n);
      this.filled += n;
      pos += n;
      if (this.filled === TAR_BLOCK) {
        this.filled = 0;
        this.header();
      }
    }
  }

  /** After the last byte: refuses a chain left pending at the end, and magic in a very short archive. */
  finish(): void {
    this.checkMagic(true);
  }

  private checkMagic(complete: boolean): void {
    const h = this.head;
    if (this.seen >= 2 && h[0] === 0x1f && h[1] === 0x8b) refuse('', 'the unpacked tarball is itself gzip data: installers read it as a tar archive, tufpm would inflate it again');
    if (complete && this.seen >= 4 && h[0] === 0x28 && h[1] === 0xb5 && h[2] === 0x2f && h[3] === 0xfd) refuse('', 'the unpacked tarball is itself zstd data: tar parsers of different versions read it differently');
  }

  private header(): void {
    const b = this.block;
    if (tarZeros(b, 0, TAR_BLOCK)) {
      if (this.sawNullBlock) this.ended = true;
      this.sawNullBlock = true;
      return;
    }
    this.sawNullBlock = false;
    const nul = b.subarray(0, 100).indexOf(0);
    const name = b.toString('latin1', 0, nul === -1 ? 100 : nul);
    let sum = 8 * 0x20;
    for (let i = 0; i < TAR_BLOCK; i++) if (i < 148 || i >= 156) sum += b[i]!;
    const cksum = tarOctal(b, 148, 12);
    if (cksum !== sum) {
      // TUF 5.7.3 (the target's bytes are what installers read): node-tar reads a checksum field more
      // leniently than plain octal (a tab before the digits, base-256), and takes an unreadable one on an
      // otherwise empty block for an empty block; such a header is valid or empty to both node-tars while
      // this check would stop at it, so it is refused (red team round 4). A plain-octal checksum that does
      // not match: every reader runs node-tar strict, which refuses the archive here with its own error,
      // so nothing more is read
      if (cksum < 0 && (sum === 8 * 0x20 || lenientChecksum(b) === sum)) refuse(name, 'a tar header whose checksum is not a plain octal number: tar parsers read it differently');
      this.ended = true;
      return;
    }
    // node-tar cuts a name at its first NUL with /\0.*$/, which a newline after the NUL defeats, so bytes
    // after the NUL can be part of the name to one reader and not to another: refused, as are control
    // characters, which no `npm pack` name holds (red team round 4)
    if (nul !== -1 && !tarZeros(b, nul, 100)) refuse(name, 'a tar name field with bytes after its terminating NUL: tar parsers cut it differently');
    if (CONTROL.test(name)) refuse(name, 'a tar name with a control character');
    const size = tarOctal(b, 124, 12);
    if (size < 0) refuse(name, 'a tar header whose size is not a plain octal number');
    const type = b[156] === 0 ? '0' : String.fromCharCode(b[156]!);
    if (type === 'g') {
      // Yarn 4's bundled node-tar applies a global header's `size`/`path` to every later header, meta headers
      // included; node-tar 7.5.23 to later file entries only. `npm pack` never writes one and none of the 531
      // tarballs of the real tree carries one, so it is refused rather than framed both ways.
      refuse(name, 'a tar global pax header (g): node-tar versions apply it to different headers');
    }
    if (META_TYPES.has(type)) {
      if (this.pending !== undefined) {
        refuse(name, `a tar meta header (${type}) after another (${this.pending}) before its file entry: node-tar versions apply the first to the second differently`);
      }
      if (size > MAX_META_BYTES) refuse(name, `a tar meta header of ${size} bytes`);
      this.pending = type;
      this.metaType = type;
      this.metaName = name;
      this.meta = [];
      this.skip = size;
      this.pad = (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
      if (size === 0) this.endMeta();
      return;
    }
    const longPath = this.pendingPath;
    this.pending = undefined;
    this.pendingPath = undefined;
    // node-tar gives typeflag 5, and 0 or NUL on a path ending in `/` (the path after pax, GNU long names and
    // the prefix), no body. A file entry with a body whose name could end in `/` by any of those is refused
    // rather than framed by a guess (`npm pack` writes none).
    if (type === '0' && size > 0 && (name === '' || name.endsWith('/') || longPath?.endsWith('/') === true)) {
      refuse(name, 'a tar file entry with a body on a path ending in "/" (node-tar reads it as a directory)');
    }
    const directory = type === '5';
    this.skip = directory ? 0 : size;
    this.pad = directory ? 0 : (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
  }

  private endMeta(): void {
    const type = this.metaType!;
    this.metaType = undefined;
    const body = Buffer.concat(this.meta);
    if (type === 'L' || type === 'N') {
      const nul = body.indexOf(0);
      this.pendingPath = body.toString('utf8', 0, nul === -1 ? body.length : nul);
      // as for the header's name field: node-tar's cut at the NUL stops at a newline (red team round 4)
      if (nul !== -1 && body.subarray(nul).some((x) => x !== 0)) refuse(this.metaName, `a tar long-name (${type}) body with bytes after its terminating NUL: tar parsers cut it differently`);
      if (CONTROL.test(this.pendingPath)) refuse(this.metaName, `a tar long-name (${type}) body with a control character`);
    }
    if (type === 'x' || type === 'X') {
      for (const [key, value] of paxRecords(body, this.metaName, type)) {
        if (FRAMING_KEYWORDS.has(key)) refuse(this.metaName, `a pax record '${key}' in a tar ${type} header: node-tar versions apply it to different headers`);
        // node-tar applies the pax path before it decides the type: `0` on a path ending in `/` is a
        // directory without a body (checked at the next header)
        if (key === 'path') this.pendingPath = value;
      }
    }
    this.meta = [];
  }
}
