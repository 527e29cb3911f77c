// Fuzz targets for the npm side: the packument reader, every lockfile reader (package-lock.json, yarn.lock,
// tufpm-lock.json: @tufpm/cli's, @tufpm/overlay's and @tufpm/verify's), the tarball readers (the ADR 0012
// entry rules, the installers' check and the registry's manifest reader) and the registry's publish body.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Parser } from 'tar/parse';
import type { ReadEntry } from 'tar/read-entry';
import { parseSyml, stringifySyml } from '@yarnpkg/parsers';
import { TarFramingScanner, TarballEntryError, normalizeTarballEntryPath } from '@tufpm/models';
import { parsePackageLock, parseYarnLock } from '@tufpm/cli';
import { readLockedTree } from '@tufpm/overlay';
import { buildRawTarball, parsePublishDocument, prepareVersion, readTarballManifest, type RawTarballEntry } from '@tufpm/registry';
import { PlainUstarReader, checkTarballEntries, dropUnsignedPreferences, offeredReleases, parseLockfile, readPlainUstarEntries, serializeLockfile } from '@tufpm/verify';
import { byteMutations, jsonInputs, structuralMutations } from './mutate.js';
import { packageLockSeed, packumentSeed, publishSeed, tarSeeds, tufpmLockSeed, yarnLockSeed } from './seeds.js';
import { expect, isTyped, typed, type FuzzTarget } from './target.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const UPSTREAM = 'http://127.0.0.1:4873/';

/** The overlay reads lockfiles from disk by name: one scratch directory per process. */
let scratch: string | undefined;
function onDisk(name: string, input: Uint8Array): string {
  if (scratch === undefined) {
    scratch = mkdtempSync(join(tmpdir(), 'tufpm-fuzz-'));
    process.once('exit', () => rmSync(scratch!, { recursive: true, force: true }));
  }
  const file = join(scratch, name);
  writeFileSync(file, input);
  return file;
}

const packument: FuzzTarget = {
  name: 'packument',
  reads: 'offeredReleases, dropUnsignedPreferences (a registry packument before Yarn or Arborist read it)',
  inputs: () => jsonInputs([packumentSeed()]),
  check(input) {
    let doc: unknown;
    try {
      doc = JSON.parse(text(input));
    } catch (error) {
      if (error instanceof SyntaxError) return; // the installers' own JSON.parse refuses it first
      throw error;
    }
    const offered = offeredReleases('left-pad', doc);
    expect(offered.versions.every((v) => typeof v === 'string'), 'offeredReleases returned a non-string version');
    dropUnsignedPreferences(doc);
  },
};

const packageLock: FuzzTarget = {
  name: 'package-lock',
  reads: 'package-lock.json: @tufpm/cli parsePackageLock (tufpm verify) and @tufpm/overlay readLockedTree',
  inputs: () => jsonInputs([packageLockSeed()]),
  async check(input) {
    const entries = await typed(() => parsePackageLock('package-lock.json', text(input)));
    if (!isTyped(entries)) expect(entries.every((e) => typeof e.name === 'string' && typeof e.kind === 'string'), 'an entry without name or kind');
    await readLockedTree(onDisk('package-lock.json', input), UPSTREAM);
  },
};

function symlStructural(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  const asJson = new TextEncoder().encode(JSON.stringify(parseSyml(text(seed))));
  return structuralMutations([asJson], (v) => {
    try {
      return stringifySyml(v as Record<string, unknown>);
    } catch {
      // stringifySyml takes objects only; JSON is YAML, so the raw value is still a yarn.lock-shaped input
      return JSON.stringify(v);
    }
  });
}

const yarnLock: FuzzTarget = {
  name: 'yarn-lock',
  reads: 'yarn.lock: @tufpm/cli parseYarnLock and @tufpm/overlay readLockedTree (both with @yarnpkg/parsers)',
  inputs: () => fc.oneof(symlStructural(yarnLockSeed()), byteMutations([yarnLockSeed()]), fc.constant(yarnLockSeed())),
  async check(input) {
    await typed(() => parseYarnLock('yarn.lock', text(input)));
    await readLockedTree(onDisk('yarn.lock', input), UPSTREAM);
  },
};

const tufpmLock: FuzzTarget = {
  name: 'tufpm-lock',
  reads: 'tufpm-lock.json: @tufpm/verify parseLockfile (round trip through serializeLockfile) and @tufpm/overlay readLockedTree',
  inputs: () => jsonInputs([tufpmLockSeed()]),
  async check(input) {
    const lock = await typed(() => parseLockfile(text(input), 'tufpm-lock.json'));
    if (!isTyped(lock)) {
      const written = serializeLockfile(lock);
      expect(serializeLockfile(parseLockfile(written, 'tufpm-lock.json')) === written, 'parseLockfile ∘ serializeLockfile is not stable');
    }
    await readLockedTree(onDisk('tufpm-lock.json', input), UPSTREAM);
  },
};

const SEGMENTS = ['package', 'package', 'a', 'package.json', 'PACKAGE.JSON', 'Package.json', '..', '.', '', 'node_modules', 'a\\b', 'C:', 'x. ', 'é', 'e\u0301', '\u0000'];
const entryPath = fc
  .tuple(fc.boolean(), fc.array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...SEGMENTS) }, { weight: 1, arbitrary: fc.string({ maxLength: 4 }) }), { minLength: 1, maxLength: 5 }))
  .map(([abs, segs]) => (abs ? '/' : '') + segs.join('/'));
const entryArb: fc.Arbitrary<RawTarballEntry> = fc.record({
  path: entryPath,
  type: fc.constantFrom('File', 'File', 'Directory', 'SymbolicLink', 'Link') as fc.Arbitrary<RawTarballEntry['type']>,
  linkpath: entryPath,
  data: fc.constantFrom('', 'x', '{"name":"a","version":"1.0.0"}', '{"name":"a","version":"1.0.0","a":' + '['.repeat(600) + ']'.repeat(600) + '}', 'not json'),
});

function rawTarball(entries: RawTarballEntry[]): Uint8Array {
  try {
    return buildRawTarball(entries);
  } catch {
    // node-tar's Header refuses some paths outright (too long for ustar): such a tarball cannot be written
    return buildRawTarball([]);
  }
}

const tarball: FuzzTarget = {
  name: 'tarball',
  reads: 'tar+gzip: @tufpm/verify checkTarballEntries (installers) and @tufpm/registry readTarballManifest (publish), ADR 0012 entry rules',
  inputs: () =>
    fc.oneof(
      fc.array(entryArb, { maxLength: 6 }).map(rawTarball),
      byteMutations(tarSeeds()).map((tar) => new Uint8Array(gzipSync(tar))),
      byteMutations(tarSeeds().map((tar) => new Uint8Array(gzipSync(tar)))),
    ),
  async check(input) {
    const installers = await typed(() => checkTarballEntries('a', '1.0.0', 'a', input));
    const registry = await typed(() => readTarballManifest(input, { maxUnpackedBytes: 16 << 20 }));
    // One rule set (ADR 0012): a tarball the registry stores, every installer must be able to take.
    expect(isTyped(registry) || !isTyped(installers), `the registry accepts a tarball the installers refuse: ${isTyped(installers) ? installers.message : ''}`);
    if (isTyped(registry)) throw registry; // counted as a refusal
  },
};

/** The entries node-tar's parser (strict, as the install-time walk runs it) reports to a filter, or its error. */
function nodeTarEntries(tar: Buffer): Promise<{ entries: Array<{ path: string; type: string }>; error?: Error }> {
  return new Promise((resolve) => {
    const entries: Array<{ path: string; type: string }> = [];
    let error: Error | undefined;
    const parser = new Parser({
      strict: true,
      filter: (_path: string, entry: unknown) => {
        const { path, type } = entry as ReadEntry;
        entries.push({ path, type });
        return false;
      },
    });
    parser.on('error', (e: Error) => (error ??= e));
    parser.on('end', () => resolve({ entries, ...(error === undefined ? {} : { error }) }));
    parser.on('abort', () => resolve({ entries, error: error ?? new Error('aborted') }));
    parser.end(tar);
  });
}

/**
 * Rewrites the checksum of every block that carries the ustar magic, so that byte mutations reach the field
 * readers instead of stopping at a checksum failure (which the header reader declines).
 */
function withChecksums(input: Uint8Array): Uint8Array {
  const tar = Buffer.from(input);
  for (let off = 0; off + 512 <= tar.length; off += 512) {
    if (tar.toString('latin1', off + 257, off + 262) !== 'ustar') continue;
    tar.fill(0x20, off + 148, off + 156);
    let sum = 0;
    for (let i = off; i < off + 512; i++) sum += tar[i]!;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, off + 148, 'latin1');
  }
  return new Uint8Array(tar);
}

const plainUstar: FuzzTarget = {
  name: 'plain-ustar',
  reads: "uncompressed tar: @tufpm/verify readPlainUstarEntries (the install-time walk's header reader) against node-tar's parser",
  inputs: () =>
    fc.oneof(
      fc.array(entryArb, { maxLength: 6 }).map((entries) => new Uint8Array(gunzipSync(rawTarball(entries)))),
      byteMutations(tarSeeds()),
      { weight: 3, arbitrary: byteMutations(tarSeeds()).map(withChecksums) },
    ),
  async check(input) {
    const tar = Buffer.from(input);
    const ours = readPlainUstarEntries(tar);
    // read in chunks (as tarballs over 4 MiB stream), unaligned, the answer must be the same
    const reader = new PlainUstarReader();
    for (let pos = 0, n = 1; pos < tar.length; pos += n, n = (n * 7 + 3) % 1100 || 1) {
      const at = n % 4;
      const holder = Buffer.alloc(Math.min(n, tar.length - pos) + at);
      tar.copy(holder, at, pos, pos + holder.length - at);
      reader.push(holder.subarray(at));
    }
    expect(JSON.stringify(reader.finish()) === JSON.stringify(ours), 'the header reader answers otherwise when the archive comes in chunks');
    // the framing check (models' tar-framing.ts) refuses with a typed error only, the same whole or in
    // chunks, and never an archive the plain reader reads (plain ustar has no meta headers to chain)
    const framing = (step: number): string => {
      const scanner = new TarFramingScanner();
      try {
        for (let pos = 0; pos < tar.length; pos += step) scanner.push(tar.subarray(pos, pos + step));
        scanner.finish();
        return 'passed';
      } catch (error) {
        if (!(error instanceof TarballEntryError)) throw error;
        return error.message;
      }
    };
    const framed = framing(Math.max(1, tar.length));
    expect(framing(7) === framed && framing(512) === framed, 'the framing check answers otherwise when the archive comes in chunks');
    expect(ours === undefined || framed === 'passed', `the framing check refuses an archive the plain reader reads: ${framed}`);
    if (ours === undefined) return; // declined: the walk hands the archive to node-tar itself
    // ADR 0012: whatever the reader reads, node-tar must read the same entries in the same order, without error
    const theirs = await nodeTarEntries(tar);
    expect(theirs.error === undefined, `the header reader accepts an archive node-tar refuses (${theirs.error?.message})`);
    expect(JSON.stringify(ours) === JSON.stringify(theirs.entries), `the header reader and node-tar disagree: ${JSON.stringify(ours).slice(0, 300)} vs ${JSON.stringify(theirs.entries).slice(0, 300)}`);
  },
};

const entryPaths: FuzzTarget = {
  name: 'tarball-entry-path',
  reads: 'normalizeTarballEntryPath (ADR 0012): the path installers extract to',
  inputs: () => fc.oneof(entryPath, fc.string({ unit: 'binary', maxLength: 30 })).map((p) => new TextEncoder().encode(p)),
  check(input) {
    const raw = text(input);
    const { top, path } = normalizeTarballEntryPath(raw);
    const segments = path === '' ? [] : path.split('/');
    expect(!segments.includes('..') && !segments.includes('.') && !segments.includes(''), `normalized path ${JSON.stringify(path)} keeps an empty, . or .. segment`);
    expect(top !== '..' && top !== '.' && !raw.startsWith('/') && !path.includes('\\'), `entry ${JSON.stringify(raw)} is not below its top directory`);
  },
};

const publishBody: FuzzTarget = {
  name: 'publish-body',
  reads: "the registry's publish body (handlePublish without the store): JSON.parse, parsePublishDocument, prepareVersion (tarball, manifest, dist-tags)",
  inputs: () => jsonInputs([publishSeed()]),
  async check(input) {
    let doc: unknown;
    try {
      doc = JSON.parse(text(input));
    } catch (error) {
      if (error instanceof SyntaxError) return; // handlePublish answers REGISTRY_BAD_REQUEST
      throw error;
    }
    const p = parsePublishDocument(doc, 'left-pad');
    const prepared = await prepareVersion(p.tarball, { claimed: { name: p.name, version: p.version }, distTags: p.distTags, limits: { maxUnpackedBytes: 16 << 20 } });
    expect(prepared.name === 'left-pad' && prepared.version === p.version, 'prepareVersion stored another name or version than the body claimed');
  },
};

export function npmTargets(): FuzzTarget[] {
  return [packument, packageLock, yarnLock, tufpmLock, tarball, plainUstar, entryPaths, publishBody];
}
