import { createHash } from 'node:crypto';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { Stats } from 'node:fs';
import type { ReadEntry } from 'tar/read-entry';
import { TarballEntryError, TarballEntryIndex, TarFramingScanner, normalizeTarballEntryPath } from '@tufpm/models';
import { VerifyError } from './errors.js';
import { PlainUstarReader, readPlainUstarEntries, type PlainUstarEntry } from './plain-ustar.js';

/** A signed tarball is bounded by its signed length; this bounds what it unpacks to (gzip bombs). */
const MAX_UNPACKED_BYTES = 1024 * 1024 * 1024;
/** Inflated bytes per chunk handed to the tar parser (see the gunzip below). */
const INFLATE_CHUNK_BYTES = 256 * 1024;
/**
 * Tarballs that unpack to at most this many bytes are inflated in one synchronous call (see inflateSmall);
 * larger ones stream. Bounds both the memory a walk holds at once and how long it blocks the main thread
 * (~10 ms at zlib's speed here).
 */
const SYNC_INFLATE_MAX_BYTES = 4 * 1024 * 1024;
/** The smallest output chunk of the one-call inflate (a trailer stating less gets this much). */
const MIN_INFLATE_CHUNK_BYTES = 64 * 1024;

/** gzip's trailer states the unpacked size mod 2^32 (RFC 1952, ISIZE). Attacker-chosen: only a hint. */
function statedUnpackedSize(bytes: Uint8Array): number {
  const n = bytes.length;
  return n < 18 ? 0 : (bytes[n - 4]! | (bytes[n - 3]! << 8) | (bytes[n - 2]! << 16) | (bytes[n - 1]! << 24)) >>> 0;
}

/**
 * Most tarballs are small (on the bench's real tree, 529 of 531 unpack to 4 MiB or less): one synchronous
 * inflate and one parser write cost less main-thread CPU than a stream's per-chunk thread-pool round
 * trips, callbacks and events (the streaming walk was ~half of the plugin's main-thread time in a cold Yarn
 * install). The unpacked size is bounded by zlib itself (maxOutputLength): past the bound, or when the
 * trailer says the tarball is larger, undefined (the caller streams instead), never a larger buffer.
 * Returns the unpacked bytes, or throws zlib's error for bytes that are not valid gzip.
 */
function inflateSmall(bytes: Uint8Array): Buffer | undefined {
  const stated = statedUnpackedSize(bytes);
  if (stated > SYNC_INFLATE_MAX_BYTES) return undefined;
  try {
    // Output space for the stated size in one chunk: with zlib's 16 KiB chunks, gunzipSync allocated a
    // buffer per chunk and copied them all into one at the end (about a fifth of the walk's main-thread
    // samples in a profile over the real tree). A trailer that lies small only brings back smaller chunks;
    // maxOutputLength bounds the total either way.
    return gunzipSync(bytes, { maxOutputLength: SYNC_INFLATE_MAX_BYTES, chunkSize: Math.max(MIN_INFLATE_CHUNK_BYTES, stated + 1) });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    throw error;
  }
}

type ParserClass = (typeof import('tar/parse'))['Parser'];
let parserClass: Promise<ParserClass> | undefined;
/**
 * node-tar's parser, loaded on the first walk: a warm install finds every tarball in the sealed records
 * (checked-tarballs.json) and walks none, and loading node-tar's ESM build cost each install ~15 ms of CPU.
 */
function tarParser(): Promise<ParserClass> {
  parserClass ??= import('tar/parse').then((m) => m.Parser);
  return parserClass;
}

/** The refusal of a tarball by the entry walk (TUF_TARBALL_ENTRY). */
function entryRefusal(name: string, version: string, role: string, reason: string, cause?: unknown): VerifyError {
  return new VerifyError('TUF_TARBALL_ENTRY', `${name}@${version}: ${reason}`, {
    packageName: name,
    version,
    role,
    attack: 'hidden second manifest (a tarball entry installers extract differently from the signed package.json)',
    recovery: 'nothing was installed; report the package to its maintainers and the registry operator',
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Walks a tarball's entries (as node-tar's parser, the one pacote and Yarn use, reads them) through the
 * shared entry-path rules of @tufpm/models, before an installer extracts it: a tarball in which installers
 * could extract another package.json than the one its manifest was read from (`package/./package.json`), or
 * anything through a link or outside the package directory, is refused. The registry and `tufpm sign`
 * refuse such tarballs at publish; this covers targets signed before they did, or by a stolen online key.
 * Only entry headers are read; contents are skipped without being kept.
 */
export async function checkTarballEntries(name: string, version: string, role: string, bytes: Uint8Array): Promise<void> {
  let small: Buffer | undefined;
  try {
    small = inflateSmall(bytes);
  } catch (error) {
    throw entryRefusal(name, version, role, `the tarball is not valid gzip (${(error as Error).message})`, error);
  }
  // A plain ustar archive (nearly every tarball `npm pack` wrote) has its headers read directly, as node-tar
  // reads them (plain-ustar.ts), whole or, past 4 MiB, as zlib streams it; anything else goes through
  // node-tar's parser itself.
  const plain = small === undefined ? await streamPlainUstar(name, version, role, bytes) : readPlainUstarEntries(small);
  if (plain === undefined) return walkWithNodeTar(name, version, role, bytes, small);
  const entries = new TarballEntryIndex();
  try {
    for (const entry of plain) entries.add(entry.path, entry.type);
    if (entries.duplicatedFiles.size === 0) return;
    // Rare (agent-base 7.1.4): files that several entries extract onto pass only with the same bytes and
    // mode; only then are bodies read, in a second walk over just those entries.
    await compareDuplicateFiles(await tarParser(), bytes, entries);
  } catch (error) {
    if (error instanceof TarballEntryError) throw entryRefusal(name, version, role, error.message, error);
    throw entryRefusal(name, version, role, `the tarball could not be read again (${String(error)})`, error);
  }
}

/**
 * The plain ustar entries of a tarball too large to inflate in one call, read as zlib streams it (in
 * INFLATE_CHUNK_BYTES chunks on the thread pool, bounded by MAX_UNPACKED_BYTES like node-tar's walk), or
 * undefined as soon as the reader declines (the inflate stops there; node-tar then walks the tarball).
 * Rejects as the node-tar walk does for bytes that are not gzip or unpack past the bound.
 */
function streamPlainUstar(name: string, version: string, role: string, bytes: Uint8Array): Promise<PlainUstarEntry[] | undefined> {
  return new Promise((resolve, reject) => {
    const reader = new PlainUstarReader();
    const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
    let total = 0;
    let settled = false;
    const settle = (answer: PlainUstarEntry[] | undefined | VerifyError): void => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      if (answer instanceof VerifyError) reject(answer);
      else resolve(answer);
    };
    gunzip.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > MAX_UNPACKED_BYTES) return settle(entryRefusal(name, version, role, `the tarball unpacks to more than ${MAX_UNPACKED_BYTES} bytes`));
      reader.push(chunk);
      // declined: node-tar walks it from the start. Past the end marker the inflate still runs to the end,
      // so that a gzip error after it is refused as node-tar's walk refused it.
      if (!reader.reading && reader.finish() === undefined) settle(undefined);
    });
    gunzip.on('end', () => settle(reader.finish()));
    gunzip.on('error', (error) => settle(entryRefusal(name, version, role, `the tarball is not valid gzip (${error.message})`, error)));
    gunzip.end(bytes);
  });
}

/**
 * checkTarballEntries with node-tar's parser as the reader (the tarballs plain-ustar.ts declines). `small`
 * is the unpacked archive when it was inflated in one call; otherwise the gzip bytes stream through zlib.
 */
async function walkWithNodeTar(name: string, version: string, role: string, bytes: Uint8Array, small: Buffer | undefined): Promise<void> {
  const Parser = await tarParser();
  return new Promise((resolve, reject) => {
    const entries = new TarballEntryIndex();
    let settled = false;
    let gunzip: ReturnType<typeof createGunzip> | undefined;
    const refuse = (reason: string, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      gunzip?.destroy();
      reject(entryRefusal(name, version, role, reason, cause));
    };
    // Every entry is checked in `filter` and then ignored: node-tar skips its body without building an
    // entry stream, so only the headers (pax and GNU long names applied, as for extraction) cost anything.
    const parser = new Parser({
      strict: true,
      filter: (_path: string, entry: ReadEntry | Stats) => {
        const { path, type } = entry as ReadEntry;
        try {
          entries.add(path, type);
        } catch (error) {
          if (!(error instanceof TarballEntryError)) throw error;
          refuse(error.message, error);
        }
        return false;
      },
    });
    parser.on('error', (error: Error) => refuse(`the tarball is not a valid tar archive (${error.message})`, error));
    parser.on('end', () => {
      if (settled) return;
      if (entries.duplicatedFiles.size === 0) {
        settled = true;
        resolve();
        return;
      }
      compareDuplicateFiles(Parser, bytes, entries).then(
        () => {
          settled = true;
          resolve();
        },
        (error: unknown) => (error instanceof TarballEntryError ? refuse(error.message, error) : refuse(`the tarball could not be read again (${String(error)})`, error)),
      );
    });
    // Archives that installers' tar parsers frame differently from node-tar 7.5 here (gzip inside the gzip,
    // which node-tar would inflate again while pacote and Yarn read it as tar; chained or framing pax
    // headers): refused before node-tar reads them (models' tar-framing.ts). The plain ustar reader above
    // declines all of these, so only this walk needs the check.
    const framing = new TarFramingScanner();
    const framed = (push: () => void): boolean => {
      try {
        push();
        return true;
      } catch (error) {
        if (!(error instanceof TarballEntryError)) throw error;
        refuse(error.message, error);
        return false;
      }
    };
    if (small !== undefined) {
      // the same parser, fed the same unpacked bytes in one write
      if (!framed(() => (framing.push(small), framing.finish()))) return;
      parser.end(small);
      return;
    }
    // zlib runs on libuv's thread pool: the main thread only parses 512-byte headers. Its output comes in
    // chunks of INFLATE_CHUNK_BYTES instead of zlib's 16 KiB: each chunk costs a thread-pool round trip, a
    // callback and a parser write on the main thread, and on the real tree of the bench (531 tarballs,
    // ~10,900 entries) the walk took ~0.45 s of CPU with 16 KiB chunks against ~0.3 s with 256 KiB (ADR 0024).
    gunzip = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
    let total = 0;
    gunzip.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > MAX_UNPACKED_BYTES) return refuse(`the tarball unpacks to more than ${MAX_UNPACKED_BYTES} bytes`);
      if (framed(() => framing.push(chunk))) parser.write(chunk);
    });
    gunzip.on('end', () => framed(() => framing.finish()) && parser.end());
    gunzip.on('error', (error) => refuse(`the tarball is not valid gzip (${error.message})`, error));
    gunzip.end(bytes);
  });
}

/**
 * The second walk of checkTarballEntries: hashes the bytes of every entry on a path several entries extract
 * onto and has the entry index compare them (TarballEntryIndex.recordContent refuses other bytes or modes).
 * Bounded like the first walk (it already passed it).
 */
function compareDuplicateFiles(Parser: ParserClass, gzipped: Uint8Array, entries: TarballEntryIndex): Promise<void> {
  const keys = entries.duplicatedFiles;
  return new Promise((resolve, reject) => {
    let failed: unknown;
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const raw = entry.path;
        const { path } = normalizeTarballEntryPath(raw);
        if (!keys.has(entries.keyOf(path))) return entry.resume();
        const digest = createHash('sha256');
        entry.on('data', (chunk: Buffer) => digest.update(chunk));
        entry.on('end', () => {
          try {
            entries.recordContent(raw, path, entry.mode, digest.digest('hex'));
          } catch (error) {
            failed ??= error;
          }
        });
      },
    });
    parser.on('error', (error: Error) => (failed ??= error));
    parser.on('end', () => (failed === undefined ? resolve() : reject(failed)));
    const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
    gunzip.on('data', (chunk: Buffer) => parser.write(chunk));
    gunzip.on('end', () => parser.end());
    gunzip.on('error', reject);
    gunzip.end(gzipped);
  });
}