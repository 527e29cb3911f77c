import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import semver from 'semver';
import { TarballEntryError, TarballEntryIndex, TarFramingScanner, TargetFile, isValidNpmPackageName, npmTarballTargetPath } from '@tufpm/models';
import { InvalidInputError, TarballError } from './errors.js';
import { signedDependenciesOf } from './signed-dependencies.js';
import { signedManifestFactsOf, type TarballFiles } from './manifest-facts.js';

/** Limits for reading a tarball someone uploaded (gzip bombs, huge manifests). */
export interface TarballLimits {
  maxTarballBytes: number;
  maxUnpackedBytes: number;
  maxPackageJsonBytes: number;
}

export const DEFAULT_TARBALL_LIMITS: TarballLimits = {
  maxTarballBytes: 256 * 1024 * 1024,
  maxUnpackedBytes: 1024 * 1024 * 1024,
  maxPackageJsonBytes: 4 * 1024 * 1024,
};

export interface PackageTarball {
  name: string;
  version: string;
  /** `name/-/<basename>-<version>.tgz`, the tarball's path on the registry and its TUF target path. */
  targetPath: string;
  target: TargetFile;
  /** The whole package.json (the registry builds the packument from it). */
  manifest: Record<string, unknown>;
}

/** Throws InvalidInputError unless `name` is a valid npm package name (it becomes a role name and a path). */
export function checkPackageName(name: string): void {
  // Legacy upper-case names are accepted so that old packages can be imported.
  if (!isValidNpmPackageName(name, { legacy: true })) throw new InvalidInputError(`invalid npm package name ${JSON.stringify(name)}`);
}

/** The registry path (and TUF target path) of a package version's tarball. */
export function tarballTargetPath(name: string, version: string): string {
  checkPackageName(name);
  if (semver.valid(version) !== version) throw new InvalidInputError(`invalid version ${JSON.stringify(version)} of ${name}`);
  return npmTarballTargetPath(name, version);
}

/** The package name a target path belongs to (`@babel/core/-/core-7.0.0.tgz` -> `@babel/core`). */
export function packageOfTargetPath(path: string): string | undefined {
  const m = /^((?:@[^/]+\/)?[^/@][^/]*)\/-\/[^/]+$/.exec(path);
  return m?.[1];
}

/** Gunzips with a bound on the output (a small tarball must not expand into gigabytes). */
function gunzipBounded(data: Uint8Array, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gz = createGunzip();
    const chunks: Buffer[] = [];
    let total = 0;
    gz.on('data', (c: Buffer) => {
      total += c.length;
      if (total > max) {
        gz.destroy(new TarballError(`tarball unpacks to more than ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    gz.on('error', (err) => reject(err instanceof TarballError ? err : new TarballError('tarball is not valid gzip', { cause: err })));
    gz.on('end', () => resolve(Buffer.concat(chunks, total)));
    gz.end(data);
  });
}

/** Files listed for the manifest facts (directories.bin); a tarball with more cannot expand directories.bin. */
const MAX_LISTED_FILES = 65536;

/**
 * Finds the single `<top>/package.json` entry of an uncompressed npm tarball, and the files the manifest
 * facts need. Every entry must pass the shared entry-path rules (@tufpm/models): paths as node-tar and Yarn
 * extract them, no two entries on one path, no links, nothing outside the one top directory; so the
 * package.json and the files read here are the ones every installer extracts.
 */
function readPackageJson(tar: Buffer, maxBytes: number): Promise<{ pj: Uint8Array; files: TarballFiles }> {
  return new Promise((resolve, reject) => {
    // Before node-tar reads it: an archive that installers' tar parsers frame differently (gzip inside the
    // gzip, chained or framing pax headers) is refused (TUF_TARBALL_ENTRY, models' tar-framing.ts).
    const framing = new TarFramingScanner();
    framing.push(tar);
    framing.finish();
    const found: Buffer[][] = [];
    const files = { hasBindingGyp: false, files: [] as string[] };
    const entries = new TarballEntryIndex();
    let failed: Error | undefined;
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        let path: string;
        try {
          path = entries.add(entry.path, entry.type);
        } catch (error) {
          if (!(error instanceof TarballEntryError)) throw error;
          failed ??= error;
          entry.resume();
          return;
        }
        // `path` is relative to the tarball's one top directory, which npm strips whatever its name.
        if (entry.type !== 'Directory' && path !== '') {
          const again = entries.isDuplicated(path);
          if (path === 'binding.gyp') files.hasBindingGyp = true;
          if (!again && files.files.length < MAX_LISTED_FILES) files.files.push(path);
          // Two files on one path pass only with the same bytes and mode (models' entry rules).
          const digest = createHash('sha256');
          const raw = entry.path;
          entry.on('data', (c: Buffer) => digest.update(c));
          entry.on('end', () => {
            try {
              entries.recordContent(raw, path, entry.mode, digest.digest('hex'));
            } catch (error) {
              if (!(error instanceof TarballEntryError)) throw error;
              failed ??= error;
            }
          });
          if (again) {
            entry.resume();
            return; // the same bytes as the first entry on this path (or refused above)
          }
        }
        if (path === 'package.json' && entry.type !== 'Directory') {
          if (entry.size > maxBytes) {
            failed ??= new TarballError(`package.json is ${entry.size} bytes, more than ${maxBytes}`);
            entry.resume();
            return;
          }
          const chunks: Buffer[] = [];
          found.push(chunks);
          entry.on('data', (c: Buffer) => chunks.push(c));
        } else {
          entry.resume();
        }
      },
    });
    parser.on('error', (err: Error) => { failed ??= new TarballError('tarball is not a valid tar archive', { cause: err }); });
    parser.on('warn', (code: string, message: string) => { failed ??= new TarballError(`tarball is not a valid tar archive: ${code} ${message}`); });
    parser.on('end', () => {
      if (failed !== undefined) return reject(failed);
      // Unreachable past the entry rules for two; kept so a reader never picks one of several.
      if (found.length !== 1) return reject(new TarballError(found.length === 0 ? 'tarball has no package/package.json' : 'tarball has more than one package.json'));
      resolve({ pj: Buffer.concat(found[0]!), files });
    });
    parser.end(tar);
  });
}

/**
 * Reads an npm package tarball: its package.json (name, version) and the TUF target for it (length,
 * sha512 and sha256 of the exact bytes). Everything here is uploader-controlled, so sizes are
 * bounded before reading and the manifest is parsed strictly.
 */
export async function readPackageTarball(data: Uint8Array, limits: TarballLimits = DEFAULT_TARBALL_LIMITS): Promise<PackageTarball> {
  if (data.length > limits.maxTarballBytes) throw new TarballError(`tarball is ${data.length} bytes, more than ${limits.maxTarballBytes}`);
  const tar = await gunzipBounded(data, limits.maxUnpackedBytes);
  const { pj, files } = await readPackageJson(tar, limits.maxPackageJsonBytes);
  let manifest: unknown;
  try {
    manifest = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(pj));
  } catch (err) {
    throw new TarballError('package.json in the tarball is not valid UTF-8 JSON', { cause: err });
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) throw new TarballError('package.json is not a JSON object');
  const m = manifest as Record<string, unknown>;
  if (typeof m['name'] !== 'string' || typeof m['version'] !== 'string') throw new TarballError('package.json lacks a string name and version');
  const name = m['name'];
  const version = m['version'];
  const targetPath = tarballTargetPath(name, version);
  const target = TargetFile.fromData(targetPath, data, ['sha512', 'sha256']);
  // Always present: it signs that the package declares no other dependencies, and (manifestFields) which
  // install-relevant fields it has.
  target.custom = { npm: { ...signedDependenciesOf(m), ...signedManifestFactsOf(m, files) } };
  return { name, version, targetPath, target, manifest: m };
}
