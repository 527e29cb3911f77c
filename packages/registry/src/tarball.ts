import { createHash } from 'node:crypto';
import { createGunzip, gzipSync, constants as zlibConstants } from 'node:zlib';
import { Header, Parser, type ReadEntry } from 'tar';
import { TarballEntryError, TarballEntryIndex, TarFramingScanner } from '@tufpm/models';
import { RegistryError } from './errors.js';
import { assertPackageName, assertVersion } from './names.js';

/** npm's own fixed mtime for packed files (pacote), so equal inputs give byte-identical tarballs. */
const FIXED_MTIME = new Date('1985-10-26T08:15:00.000Z');
const BLOCK = 512;

export interface BuildTarballOptions {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  /** Extra package.json fields (description, bin, scripts, ...); name/version/dependencies win. */
  manifest?: Record<string, unknown>;
  /** Files below `package/`, e.g. `{ 'index.js': '...' }`; package.json is generated unless given. */
  files?: Record<string, string | Uint8Array>;
}

function pad(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/**
 * Builds a real npm tarball: gzip'd ustar, every entry under `package/`, sorted by path, fixed mtime,
 * uid/gid 0, mode 0644. Deterministic: the same options always give the same bytes.
 */
export function buildPackageTarball(options: BuildTarballOptions): Uint8Array {
  const name = assertPackageName(options.name);
  const version = assertVersion(options.version);
  const files: Record<string, string | Uint8Array> = { ...(options.files ?? {}) };
  if (files['package.json'] === undefined) {
    const manifest: Record<string, unknown> = { ...(options.manifest ?? {}), name, version };
    if (options.dependencies !== undefined && Object.keys(options.dependencies).length > 0) {
      manifest['dependencies'] = options.dependencies;
    }
    files['package.json'] = `${JSON.stringify(manifest, null, 2)}\n`;
  }
  if (files['index.js'] === undefined && options.files?.['index.js'] === undefined) {
    files['index.js'] = `module.exports = ${JSON.stringify({ name, version })};\n`;
  }
  const chunks: Buffer[] = [];
  for (const path of Object.keys(files).sort()) {
    if (path.startsWith('/') || path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new RegistryError('REGISTRY_BAD_REQUEST', `unsafe file path in package: ${JSON.stringify(path)}`);
    }
    const value = files[path]!;
    const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    const header = new Header({
      path: `package/${path}`,
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: data.length,
      mtime: FIXED_MTIME,
      type: 'File',
      uname: '',
      gname: '',
    });
    const block = Buffer.alloc(BLOCK);
    header.encode(block, 0);
    // Long paths would need a pax header; fixtures never need one, so refuse instead of writing a bad tar.
    if (header.needPax) throw new RegistryError('REGISTRY_BAD_REQUEST', `path too long for ustar: ${path}`);
    chunks.push(block, data, pad(data.length));
  }
  chunks.push(Buffer.alloc(BLOCK * 2));
  return new Uint8Array(gzipSync(Buffer.concat(chunks), { level: zlibConstants.Z_BEST_COMPRESSION }));
}

/** One entry of buildRawTarball: written exactly as given. */
export interface RawTarballEntry {
  path: string;
  data?: string | Uint8Array;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  linkpath?: string;
}

/**
 * A gzip'd tar holding exactly these entries in this order, unsafe paths and links included, which
 * buildPackageTarball refuses to write: for tests and attack simulations only (what a hostile publisher or a
 * stolen signing key could produce).
 */
export function buildRawTarball(entries: RawTarballEntry[]): Uint8Array {
  const chunks: Buffer[] = [];
  for (const e of entries) {
    const data = e.type === undefined || e.type === 'File' ? Buffer.from(e.data ?? '') : Buffer.alloc(0);
    const block = Buffer.alloc(BLOCK);
    new Header({ path: e.path, mode: 0o644, size: data.length, mtime: FIXED_MTIME, type: e.type ?? 'File', linkpath: e.linkpath ?? '' }).encode(block, 0);
    chunks.push(block, data, pad(data.length));
  }
  chunks.push(Buffer.alloc(BLOCK * 2));
  return new Uint8Array(gzipSync(Buffer.concat(chunks)));
}

export interface TarballContents {
  /** The parsed `package/package.json` (first path component stripped, as npm does). */
  manifest: Record<string, unknown>;
  hasShrinkwrap: boolean;
  hasBindingGyp: boolean;
}

export interface ReadTarballLimits {
  /** Bound on the decompressed tar stream (gzip bombs). Default 256 MiB. */
  maxUnpackedBytes?: number;
  /** Bound on package.json. Default 1 MiB. */
  maxManifestBytes?: number;
}

/**
 * Reads package.json out of an npm tarball, bounding every length. Refuses tarballs without exactly one
 * top-level package.json: two of them would let the packument and the installed files disagree.
 */
export async function readTarballManifest(tarball: Uint8Array, limits: ReadTarballLimits = {}): Promise<TarballContents> {
  const maxUnpacked = limits.maxUnpackedBytes ?? 256 * 1024 * 1024;
  const maxManifest = limits.maxManifestBytes ?? 1024 * 1024;
  if (tarball.length < 18 || tarball[0] !== 0x1f || tarball[1] !== 0x8b) {
    throw new RegistryError('REGISTRY_BAD_TARBALL', 'tarball is not gzip data');
  }
  const manifests: Buffer[] = [];
  const entries = new TarballEntryIndex();
  let hasShrinkwrap = false;
  let hasBindingGyp = false;
  await new Promise<void>((resolvePromise, reject) => {
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      reject(err instanceof RegistryError ? err : new RegistryError('REGISTRY_BAD_TARBALL', `unreadable tarball: ${(err as Error).message}`, { cause: err }));
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        // One entry-path rule for every reader (@tufpm/models): the path as node-tar and Yarn extract it.
        let inner: string;
        try {
          inner = entries.add(entry.path, entry.type);
        } catch (error) {
          if (!(error instanceof TarballEntryError)) throw error;
          return fail(new RegistryError('REGISTRY_TARBALL_ENTRY', `${error.message} (${error.code}: installers could extract another package.json or file than the one published)`, { cause: error }));
        }
        if (entry.type === 'File' || entry.type === 'OldFile') {
          if (inner === 'npm-shrinkwrap.json') hasShrinkwrap = true;
          if (inner === 'binding.gyp') hasBindingGyp = true;
          // Two files on one path pass only with the same bytes and mode (models' entry rules).
          const digest = createHash('sha256');
          const raw = entry.path;
          entry.on('data', (c: Buffer) => digest.update(c));
          entry.on('end', () => {
            try {
              entries.recordContent(raw, inner, entry.mode, digest.digest('hex'));
            } catch (error) {
              if (!(error instanceof TarballEntryError)) throw error;
              fail(new RegistryError('REGISTRY_TARBALL_ENTRY', `${error.message} (${error.code}: installers could extract another package.json or file than the one published)`, { cause: error }));
            }
          });
        }
        if (inner === 'package.json') {
          if (entry.type === 'Directory') return fail(new RegistryError('REGISTRY_BAD_TARBALL', 'package.json is not a regular file'));
          if ((entry.size ?? 0) > maxManifest) return fail(new RegistryError('REGISTRY_TOO_LARGE', 'package.json too large'));
          const parts2: Buffer[] = [];
          entry.on('data', (c: Buffer) => parts2.push(c));
          // a second package.json with the same bytes (recordContent refuses other bytes) is the same manifest
          entry.on('end', () => manifests.length === 0 && manifests.push(Buffer.concat(parts2)));
          return;
        }
        entry.resume();
      },
    });
    parser.on('error', fail);
    parser.on('end', () => {
      if (settled) return;
      settled = true;
      resolvePromise();
    });
    const gunzip = createGunzip();
    // Beside node-tar: refuses archives installers' tar parsers frame differently (gzip inside the gzip,
    // chained or framing pax headers; models' tar-framing.ts) before the parser sees their bytes.
    const framing = new TarFramingScanner();
    const framingFailed = (error: unknown): void => {
      if (!(error instanceof TarballEntryError)) throw error;
      fail(new RegistryError('REGISTRY_TARBALL_ENTRY', `${error.message} (${error.code}: installers could extract other entries than the ones published)`, { cause: error }));
    };
    let total = 0;
    gunzip.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxUnpacked) return fail(new RegistryError('REGISTRY_TOO_LARGE', 'tarball unpacks to more than the limit'));
      try {
        framing.push(chunk);
      } catch (error) {
        return framingFailed(error);
      }
      if (!settled) parser.write(chunk);
    });
    gunzip.on('end', () => {
      try {
        framing.finish();
      } catch (error) {
        return framingFailed(error);
      }
      parser.end();
    });
    gunzip.on('error', fail);
    gunzip.end(Buffer.from(tarball.buffer, tarball.byteOffset, tarball.byteLength));
  });
  if (manifests.length !== 1) {
    throw new RegistryError('REGISTRY_BAD_TARBALL', `tarball must contain exactly one package/package.json (found ${manifests.length})`);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(manifests[0]!.toString('utf8'));
  } catch (err) {
    throw new RegistryError('REGISTRY_BAD_TARBALL', 'package.json in tarball is not JSON', { cause: err });
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new RegistryError('REGISTRY_BAD_TARBALL', 'package.json in tarball is not an object');
  }
  return { manifest: manifest as Record<string, unknown>, hasShrinkwrap, hasBindingGyp };
}
