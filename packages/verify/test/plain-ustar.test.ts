import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Parser } from 'tar/parse';
import type { ReadEntry } from 'tar/read-entry';
import { PlainUstarReader, readPlainUstarEntries } from '../src/plain-ustar.js';
import { checkTarballEntries } from '../src/index.js';

// Differential tests: the header reader of the install-time entry walk against node-tar's parser, the
// reference it must agree with (ADR 0012). Whenever the reader returns entries, node-tar (strict, as the walk
// runs it) must return the same entries in the same order without an error; the reader may decline any
// archive (the walk then uses node-tar itself).

/** What node-tar's parser reports to a filter, as checkTarballEntries runs it. */
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
 * The archive pushed as a stream would push it: in chunks of varying sizes (1 byte to a few blocks), each
 * copied to offset 0 to 3 of its own buffer (so headers straddle chunks, and sit aligned or not).
 */
function streamed(tar: Buffer, seed: number): ReturnType<typeof readPlainUstarEntries> {
  const reader = new PlainUstarReader();
  const sizes = [1, 7, 511, 512, 513, 1024, 3000];
  let x = seed;
  for (let pos = 0; pos < tar.length; ) {
    x = (x * 1103515245 + 12345) >>> 0;
    const n = Math.min(sizes[x % sizes.length]!, tar.length - pos);
    const at = (x >>> 8) % 4;
    const holder = Buffer.alloc(n + at);
    tar.copy(holder, at, pos, pos + n);
    reader.push(holder.subarray(at));
    pos += n;
  }
  return reader.finish();
}

/** Returns whether the reader read the archive (true) or declined it (false); fails if it disagrees with node-tar. */
async function agrees(tar: Buffer, what: string): Promise<boolean> {
  const ours = readPlainUstarEntries(tar);
  // the streaming path (tarballs over 4 MiB) must answer exactly as the whole archive read at once
  assert.deepEqual(streamed(tar, tar.length), ours, `${what}: read in chunks, the reader answers otherwise`);
  if (ours === undefined) return false;
  const theirs = await nodeTarEntries(tar);
  assert.equal(theirs.error, undefined, `${what}: the reader accepted an archive node-tar fails on (${theirs.error?.message})`);
  assert.deepEqual(ours, theirs.entries, `${what}: the reader and node-tar disagree`);
  return true;
}

/** A ustar header with the given fields, NUL-padded, checksum written as node-tar writes it. */
function header(fields: { name: string; prefix?: string; typeflag?: string; size?: number; sizeField?: string; linkname?: string }): Buffer {
  const b = Buffer.alloc(512);
  b.write(fields.name, 0, 100, 'latin1');
  b.write('0000644\0', 100, 'latin1');
  b.write('0001750\0', 108, 'latin1');
  b.write('0001750\0', 116, 'latin1');
  b.write(fields.sizeField ?? `${(fields.size ?? 0).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  b.write('14712345670\0', 136, 'latin1');
  b.write(fields.typeflag ?? '0', 156, 'latin1');
  if (fields.linkname !== undefined) b.write(fields.linkname, 157, 100, 'latin1');
  b.write('ustar\u000000', 257, 'latin1');
  if (fields.prefix !== undefined) b.write(fields.prefix, 345, 155, 'latin1');
  return fixChecksum(b);
}

function fixChecksum(b: Buffer): Buffer {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

function file(name: string, data: string, extra: Parameters<typeof header>[0] | object = {}): Buffer[] {
  const body = Buffer.from(data);
  return [header({ name, size: body.length, ...extra }), body, Buffer.alloc((512 - (body.length % 512)) % 512)];
}

const END = Buffer.alloc(1024);
const tarOf = (...parts: Buffer[][]): Buffer => Buffer.concat(parts.flat());

test('the header reader agrees with node-tar on a plain npm-pack archive (files, directories, a ustar prefix)', async () => {
  const tar = tarOf(
    [header({ name: 'package/', typeflag: '5' })],
    file('package/package.json', '{"name":"x"}'),
    file('x.js', 'module.exports = 1;', { prefix: `package/${'deep/'.repeat(20)}dir` }),
    file('package/lib/a.js', 'a'.repeat(1500)),
    [END],
  );
  assert.equal(await agrees(tar, 'plain'), true);
  assert.deepEqual(readPlainUstarEntries(tar)!.map((e) => e.path)[2], `package/${'deep/'.repeat(20)}dir/x.js`);
});

test('rejects a second package.json smuggled in the body of a directory entry (node-tar never skips a directory body: it reads it as headers)', async () => {
  const body = tarOf(file('package/package.json', '{"scripts":{"install":"evil"}}'));
  const tar = tarOf(file('package/package.json', '{}'), [header({ name: 'package/d', typeflag: '5', size: body.length }), body], [END]);
  assert.equal(await agrees(tar, 'directory with a body'), true);
  assert.deepEqual(readPlainUstarEntries(tar)!.map((e) => e.path), ['package/package.json', 'package/d', 'package/package.json']);
  await assert.rejects(checkTarballEntries('dirbody', '1.0.0', 'r', gzipSync(tar)), { code: 'TUF_TARBALL_ENTRY' });
});

test('rejects a second package.json smuggled after a file entry whose name ends in / (node-tar makes it a directory and reads its body as headers)', async () => {
  const body = Buffer.concat(file('package/package.json', '{"scripts":{"install":"evil"}}'));
  const tar = tarOf(file('package/package.json', '{}'), [header({ name: 'package/d/', typeflag: '0', size: body.length }), body], [END]);
  // since the framing check (models' tar-framing.ts): the header reader declines a file entry with a body on
  // a path ending in `/` (tar parsers of other versions could frame it otherwise), and the walk refuses it
  assert.equal(readPlainUstarEntries(tar), undefined);
  await assert.rejects(checkTarballEntries('slash', '1.0.0', 'r', gzipSync(tar)), (e: Error & { code?: string }) => e.code === 'TUF_TARBALL_ENTRY' && /ending in "\/"/.test(e.message));
});

test('rejects a tarball with a header whose checksum is wrong (node-tar, strict, refuses it; lenient readers resynchronise on later blocks)', async () => {
  const bad = header({ name: 'package/index.js', size: 0 });
  bad[0] = 0x50; // 'P': the checksum no longer matches
  const tar = tarOf(file('package/package.json', '{}'), [bad], [END]);
  assert.equal(readPlainUstarEntries(tar), undefined);
  await assert.rejects(checkTarballEntries('cksum', '1.0.0', 'r', gzipSync(tar)), { code: 'TUF_TARBALL_ENTRY' });
});

test('the header reader reads nothing after the end-of-archive marker, as node-tar does, and reads on after a single zero block', async () => {
  const after = tarOf(file('package/package.json', '{}'), [END], file('package/./package.json', '{"evil":1}'), [END]);
  assert.equal(await agrees(after, 'entries after the end marker'), true);
  assert.deepEqual(readPlainUstarEntries(after)!.map((e) => e.path), ['package/package.json']);
  const single = tarOf(file('package/package.json', '{}'), [Buffer.alloc(512)], file('package/./package.json', '{"evil":1}'), [END]);
  assert.equal(await agrees(single, 'one zero block between entries'), true);
  await assert.rejects(checkTarballEntries('zero', '1.0.0', 'r', gzipSync(single)), { code: 'TUF_TARBALL_ENTRY' });
});

test('the header reader declines what it does not read exactly as node-tar (pax, GNU long names, links, other types, base-256, odd names), and node-tar walks it', async () => {
  const base = file('package/package.json', '{}');
  const edited = (name: string, edit: (b: Buffer) => void): Buffer[] => {
    const b = header({ name });
    edit(b);
    return [fixChecksum(b)];
  };
  const cases: Record<string, Buffer> = {
    'pax header': tarOf([header({ name: 'PaxHeader/x', typeflag: 'x', size: 30 }), Buffer.alloc(512)], base, [END]),
    'GNU long name': tarOf([header({ name: '././@LongLink', typeflag: 'L', size: 30 }), Buffer.alloc(512)], base, [END]),
    symlink: tarOf(base, [header({ name: 'package/l', typeflag: '2', linkname: 'package.json' })], [END]),
    hardlink: tarOf(base, [header({ name: 'package/h', typeflag: '1', linkname: 'package/package.json' })], [END]),
    fifo: tarOf(base, [header({ name: 'package/f', typeflag: '6' })], [END]),
    'linkname on a file': tarOf(base, [header({ name: 'package/f', linkname: 'x' })], [END]),
    'base-256 size': tarOf(edited('package/a', (b) => b.fill(0, 124, 136).fill(0x80, 124, 125)), [END]),
    backslash: tarOf(file('package\\package.json', '{}'), [END]),
    'non-ASCII name': tarOf(file('package/\u00e9.js', ''), [END]),
    'bytes after the name NUL': tarOf(edited('package/a.js', (b) => b.fill(0x78, 20, 30)), [END]),
    'no end marker': tarOf(base),
    'old GNU magic': tarOf(edited('package/a.js', (b) => b.write('ustar  \0', 257, 'latin1')), [END]),
    'long prefix branch (byte 475 set)': tarOf([header({ name: 'a.js', prefix: `package/${'p'.repeat(140)}` })], [END]),
    'gzip inside': Buffer.concat([gzipSync(tarOf(base, [END])), Buffer.alloc(512)]),
    'empty archive': END,
  };
  for (const [what, tar] of Object.entries(cases)) {
    assert.equal(readPlainUstarEntries(tar), undefined, `${what} should be left to node-tar`);
    await checkTarballEntries('declined', '1.0.0', 'r', gzipSync(tar)).catch((error: { code?: string }) => assert.equal(error.code, 'TUF_TARBALL_ENTRY', what));
  }
});

// Every byte of every header set to values that change how a field reads (NUL, space, digits, '/', '.',
// a line terminator, high-bit bytes), the checksum rewritten so that the mutation reaches the field readers:
// whatever the reader still accepts, node-tar must read identically.
test('the header reader agrees with node-tar on every single-byte mutation of every header of a crafted archive', async () => {
  const parts = [[header({ name: 'package/', typeflag: '5' })], file('package/package.json', '{}'), file('x.js', 'x'.repeat(600), { prefix: 'package/lib' }), [END]];
  const tar = tarOf(...parts);
  const headers = [0, 512, 1536];
  let accepted = 0;
  let compared = 0;
  for (const at of headers) {
    for (let i = 0; i < 512; i++) {
      if (i >= 148 && i < 156) continue; // the checksum field itself is rewritten
      for (const value of [0x00, 0x20, 0x30, 0x37, 0x38, 0x2f, 0x2e, 0x0a, 0x35, 0x80, 0xff]) {
        for (const fix of [true, false]) {
          const mutated = Buffer.from(tar);
          mutated[at + i] = value;
          if (fix) fixChecksum(mutated.subarray(at, at + 512));
          compared++;
          if (await agrees(mutated, `byte ${i} of the header at ${at} set to ${value}${fix ? '' : ' (checksum stale)'}`)) accepted++;
        }
      }
    }
  }
  // the comparison means something only if many mutations were read rather than declined
  assert.ok(accepted > compared / 10, `only ${accepted} of ${compared} mutations were read by the header reader`);
});

const realTree = fileURLToPath(new URL('../../../../bench/.cache/real-tree/tarballs', import.meta.url));
test('the header reader agrees with node-tar on every tarball of the bench real tree (skipped without bench/.cache/real-tree)', { skip: !existsSync(realTree) && 'no bench/.cache/real-tree (run the real-tree bench once)' }, async () => {
  let read = 0;
  const names = readdirSync(realTree).filter((n) => n.endsWith('.tgz'));
  for (const name of names) {
    const tar = gunzipSync(readFileSync(`${realTree}/${name}`));
    if (await agrees(tar, name)) read++;
  }
  assert.ok(read >= names.length - 5, `the reader declined ${names.length - read} of ${names.length} real tarballs`);
});
