import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

/**
 * Tarballs that tar parsers of different versions or call paths read differently (ADR 0012, amended
 * 2026-12-07 for the red-team findings), for tests and attack simulations only, like @tufpm/registry's
 * buildRawTarball: what a hostile publisher or a stolen signing key could sign. Every reader must refuse
 * them (models' tar-framing.ts).
 */

/** A ustar header written field by field (no pax, no validation: attack fixtures). */
function ustarHeader(path: string, size: number, type: string): Buffer {
  const b = Buffer.alloc(512);
  const put = (off: number, len: number, text: string): void => void Buffer.from(text, 'latin1').copy(b, off, 0, len);
  const octal = (n: number, width: number): string => `${n.toString(8).padStart(width - 1, '0')}\0`;
  put(0, 100, path);
  put(100, 8, octal(0o644, 8));
  put(108, 8, octal(0, 8));
  put(116, 8, octal(0, 8));
  put(124, 12, octal(size, 12));
  put(136, 12, octal(0o14000000000, 12));
  put(156, 1, type);
  put(257, 8, 'ustar\u000000');
  setChecksum(b);
  return b;
}

function setChecksum(b: Buffer): void {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[i]!;
  Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `, 'latin1').copy(b, 148);
}

function padded(text: string, minBlocks = 0): Buffer {
  const data = Buffer.from(text, 'utf8');
  const b = Buffer.alloc(Math.max(minBlocks, Math.ceil(data.length / 512)) * 512);
  data.copy(b);
  return b;
}

function plainTar(files: Array<[string, string]>): Buffer {
  const out: Buffer[] = [];
  for (const [path, text] of files) out.push(ustarHeader(path, Buffer.byteLength(text), '0'), padded(text));
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let len = rest.length + 1;
  while (String(len).length + rest.length !== len) len++;
  return `${len}${rest}`;
}

/**
 * gzip(Y), where Y is valid gzip of a tar of `benign` and, read as a tar, holds `evil`: Y's gzip header
 * (FLG.FEXTRA) is the start of the first entry's name, its extra field the rest of that tar. A reader that
 * inflates the tarball and hands node-tar the result reads `benign` (node-tar inflates Y again); pacote and
 * Yarn hand node-tar the tarball, which it inflates once, and extract `evil`. Paths are below `package/`.
 */
export function gzipInsideGzipTarball(benign: Array<[string, string]>, evil: Array<[string, string]>): Uint8Array {
  const z = plainTar(benign.map(([p, t]) => [`package/${p}`, t]));
  const xlen = 0x7f7f; // both bytes non-zero: they sit in the first entry's name
  const gzHead = Buffer.from([0x1f, 0x8b, 0x08, 0x04, 0x41, 0x41, 0x41, 0x41, 0x02, 0x03, xlen & 0xff, xlen >> 8]);
  // installers strip the first path component whatever it is: the 12 gzip header bytes are that component
  const t = plainTar(evil.map(([p, text]) => [`${'x'.repeat(12)}/${p}`, text]));
  gzHead.copy(t, 0);
  setChecksum(t);
  if (t.length - 12 > xlen) throw new Error('the evil tar does not fit the gzip extra field');
  const extra = Buffer.alloc(xlen);
  t.copy(extra, 0, 12);
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  const y = Buffer.concat([gzHead, extra, deflateRawSync(z), u32(crc32(z)), u32(z.length)]);
  return new Uint8Array(gzipSync(y));
}

/**
 * A tarball that node-tar 7.5.23 reads as `package/package.json` (benign), `package/a-raw.js`,
 * `package/a.js`, `package/b.js`, while Yarn 4's bundled older node-tar applies a pax `size=1536` to the
 * GNU long-name header after it, frames that header's body as three blocks, resynchronises elsewhere and
 * extracts a second `package/package.json` (evil, one line of JSON) over the first.
 */
export function paxSizeOnLongNameTarball(benignJson: string, evilJson: string): Uint8Array {
  if (evilJson.trimEnd().includes('\n')) throw new Error('the evil package.json must be one line');
  const pax = paxRecord('size', '1536');
  const long = 'package/a.js';
  return new Uint8Array(
    gzipSync(
      Buffer.concat([
        ustarHeader('package/package.json', Buffer.byteLength(benignJson), '0'),
        padded(benignJson, 1),
        ustarHeader('PaxHeader/a.js', pax.length, 'x'),
        padded(pax, 1),
        ustarHeader('././@LongLink', long.length, 'L'),
        padded(long, 1),
        ustarHeader('package/a-raw.js', 0, '0'),
        Buffer.alloc(512),
        ustarHeader('package/a-yarn.js', 0, '0'),
        Buffer.alloc(512),
        ustarHeader('package/b.js', 5 * 512, '0'),
        Buffer.alloc(512),
        ustarHeader('package/package.json', Buffer.byteLength(evilJson), '0'),
        padded(evilJson, 1),
        Buffer.alloc(2048),
      ]),
    ),
  );
}

/** A pax record line with `separator` between its length and keyword (node-tar reads any byte there). */
function paxLine(key: string, value: string, separator: string): string {
  return paxRecord(key, value).replace(' ', separator);
}

/**
 * Red-team round 3: a global pax header whose one record is `size=512` written with `separator` (`x`, a
 * tab) instead of the space, then `package/index.js`, then a GNU long-name header whose own size says three
 * blocks. node-tar 7.5.23 frames the long name by its own size and reads `package/package.json` (benign);
 * Yarn 4's bundled node-tar applies the global size to the long-name header too, resynchronises one block
 * into it and extracts `evilJson` as `package/package.json`.
 */
export function globalPaxSizeTarball(benignJson: string, evilJson: string, separator: string): Uint8Array {
  const rec = paxLine('size', '512', separator);
  const long = 'package/package.json';
  return new Uint8Array(
    gzipSync(
      Buffer.concat([
        ustarHeader('pax_global_header', rec.length, 'g'),
        padded(rec, 1),
        ustarHeader('package/index.js', 512, '0'),
        padded('module.exports = 1;', 1),
        ustarHeader('././@LongLink', 3 * 512, 'L'),
        padded(long, 1),
        ustarHeader('package/ignored', 512, '0'),
        padded(evilJson, 1),
        ustarHeader('package/README.md', 512, '0'),
        padded(benignJson, 1),
        Buffer.alloc(1024),
      ]),
    ),
  );
}

/**
 * Red-team round 3: a pax `path` ending in `/` written with a tab after its length, on a file header with a
 * body. Both node-tars apply the path, read the entry as a directory without a body and read the body as
 * the next headers (`evilJson` as `package/package.json`, the benign manifest hidden in a file body); a reader
 * that misses the record skips the body and sees only `benignJson`.
 */
export function paxDirectoryPathTarball(benignJson: string, evilJson: string, separator = '\t'): Uint8Array {
  const rec = paxLine('path', 'package/d/', separator);
  // node-tar's view: the evil manifest, then a file whose body is the benign manifest's header and body
  const benign = padded(benignJson, 1);
  const hidden = Buffer.concat([
    ustarHeader('package/package.json', Buffer.byteLength(evilJson), '0'),
    padded(evilJson, 1),
    ustarHeader('package/cover', 512 + benign.length, '0'),
  ]);
  return new Uint8Array(
    gzipSync(
      Buffer.concat([
        ustarHeader('PaxHeader/d', rec.length, 'x'),
        padded(rec, 1),
        ustarHeader('package/d', hidden.length, '0'),
        hidden,
        ustarHeader('package/package.json', Buffer.byteLength(benignJson), '0'),
        benign,
        Buffer.alloc(1024),
      ]),
    ),
  );
}
