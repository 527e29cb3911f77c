import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Header } from 'tar/header';
import { Pax } from 'tar/pax';
import { Parser } from 'tar/parse';
import { globalPaxSizeTarball, gzipInsideGzipTarball, paxDirectoryPathTarball, paxSizeOnLongNameTarball } from '@tufpm/models';
import { checkTarballEntries, type VerifyError } from '../src/index.js';

function block(path: string, size: number, type = 'File'): Buffer {
  const b = Buffer.alloc(512);
  new Header({ path, mode: 0o644, size, mtime: new Date(0), type: type as 'File' }).encode(b, 0);
  return b;
}

function body(data: Buffer): Buffer[] {
  return [data, Buffer.alloc((512 - (data.length % 512)) % 512)];
}

/** Entries, each with an optional pax `path` record placed before it (how `npm pack` writes long paths). */
function tgz(entries: Array<{ path: string; data?: string; paxPath?: string }>): Uint8Array {
  const chunks: Buffer[] = [];
  for (const e of entries) {
    if (e.paxPath !== undefined) chunks.push(new Pax({ path: e.paxPath }).encode());
    const data = Buffer.from(e.data ?? '');
    chunks.push(block(e.path, data.length), ...body(data));
  }
  chunks.push(Buffer.alloc(1024));
  return new Uint8Array(gzipSync(Buffer.concat(chunks)));
}

test('install-time entry check accepts a legitimate tarball, long pax paths included', async () => {
  const long = `package/${'d/'.repeat(60)}x.js`;
  await checkTarballEntries('ok', '1.0.0', 'r', tgz([{ path: 'package/package.json', data: '{}' }, { path: 'package/long-placeholder', paxPath: long, data: '1' }]));
});

test('rejects a signed tarball with a second package.json hidden as package/./package.json (install-time check)', async () => {
  const bytes = tgz([{ path: 'package/package.json', data: '{}' }, { path: 'package/./package.json', data: '{"scripts":{}}' }]);
  await assert.rejects(checkTarballEntries('twin', '1.0.0', 'unclaimed-1', bytes), (error: unknown) => {
    const e = error as { code: string; packageName: string; role: string; attack: string };
    assert.equal(e.code, 'TUF_TARBALL_ENTRY');
    assert.equal(e.packageName, 'twin');
    assert.equal(e.role, 'unclaimed-1');
    assert.match(e.attack, /hidden second manifest/);
    return true;
  });
});

test('install-time entry check accepts one file twice with the same bytes and mode (agent-base 7.1.4 ships package/./dist/index.js and package/dist/index.js)', async () => {
  const same = 'module.exports = 1;';
  await checkTarballEntries('agent-base', '7.1.4', 'r', tgz([{ path: 'package/package.json', data: '{}' }, { path: 'package/./dist/index.js', data: same }, { path: 'package/dist/index.js', data: same }]));
});

test('rejects one file twice with other bytes (installers keep different ones) at install time', async () => {
  const bytes = tgz([{ path: 'package/package.json', data: '{}' }, { path: 'package/./dist/index.js', data: 'good();' }, { path: 'package/dist/index.js', data: 'evil();' }]);
  await assert.rejects(checkTarballEntries('twin', '1.0.0', 'r', bytes), (error: unknown) => {
    const e = error as { code: string; message: string };
    assert.equal(e.code, 'TUF_TARBALL_ENTRY');
    assert.match(e.message, /other bytes or another mode/);
    return true;
  });
});

test('rejects a second package.json hidden in a pax path record (the path node-tar extracts, not the ustar name)', async () => {
  const bytes = tgz([{ path: 'package/package.json', data: '{}' }, { path: 'package/harmless.txt', paxPath: 'package//package.json', data: '{"scripts":{"install":"evil"}}' }]);
  await assert.rejects(checkTarballEntries('twin', '1.0.0', 'r', bytes), { code: 'TUF_TARBALL_ENTRY' });
});

test('rejects a tarball that is not gzip, or not tar', async () => {
  await assert.rejects(checkTarballEntries('x', '1.0.0', 'r', new Uint8Array([1, 2, 3])), { code: 'TUF_TARBALL_ENTRY' });
  await assert.rejects(checkTarballEntries('x', '1.0.0', 'r', new Uint8Array(gzipSync(Buffer.alloc(700, 7)))), { code: 'TUF_TARBALL_ENTRY' });
});

// Tarballs that unpack to more than 4 MiB stream through zlib; smaller ones are inflated in one call. Both
// paths must refuse the same tarballs, and the gzip trailer's stated size (attacker-chosen) must not steer
// a large tarball past its walk.
const bigData = (bytes: number): string => 'x'.repeat(bytes);

test('rejects a hidden second package.json behind 5 MiB of other entries (the streaming walk of large tarballs)', async () => {
  const bytes = tgz([{ path: 'package/package.json', data: '{}' }, { path: 'package/big.js', data: bigData(5 * 1024 * 1024) }, { path: 'package/./package.json', data: '{"scripts":{}}' }]);
  await assert.rejects(checkTarballEntries('twin', '1.0.0', 'r', bytes), { code: 'TUF_TARBALL_ENTRY' });
  // and the same tarball without the twin passes: the refusal above is the entry rule, not the size
  await checkTarballEntries('ok', '1.0.0', 'r', tgz([{ path: 'package/package.json', data: '{}' }, { path: 'package/big.js', data: bigData(5 * 1024 * 1024) }]));
});

test('rejects a hidden second package.json in a large tarball whose gzip trailer claims it is small', async () => {
  const bytes = tgz([{ path: 'package/package.json', data: '{}' }, { path: 'package/big.js', data: bigData(5 * 1024 * 1024) }, { path: 'package/./package.json', data: '{"scripts":{}}' }]);
  const lying = new Uint8Array(bytes);
  new DataView(lying.buffer).setUint32(lying.length - 4, 1024, true); // ISIZE: "unpacks to 1 KiB"
  await assert.rejects(checkTarballEntries('twin', '1.0.0', 'r', lying), { code: 'TUF_TARBALL_ENTRY' });
});

test('rejects a hidden second package.json in a small tarball whose gzip trailer claims it is large', async () => {
  const bytes = tgz([{ path: 'package/package.json', data: '{}' }, { path: 'package/./package.json', data: '{"scripts":{}}' }]);
  const lying = new Uint8Array(bytes);
  new DataView(lying.buffer).setUint32(lying.length - 4, 0xfffffff0, true);
  await assert.rejects(checkTarballEntries('twin', '1.0.0', 'r', lying), { code: 'TUF_TARBALL_ENTRY' });
});

// Tarballs over 4 MiB are read by the header reader as zlib streams them; it declines to node-tar whatever it
// does not read exactly as node-tar (plain-ustar.ts), and the inflate runs to the end of the gzip data.
test('rejects a hidden second package.json in a pax path record behind 5 MiB (the streamed tarball the header reader leaves to node-tar)', async () => {
  const bytes = tgz([{ path: 'package/package.json', data: '{}' }, { path: 'package/big.js', data: bigData(5 * 1024 * 1024) }, { path: 'package/harmless.txt', paxPath: 'package//package.json', data: '{"scripts":{"install":"evil"}}' }]);
  await assert.rejects(checkTarballEntries('twin', '1.0.0', 'r', bytes), { code: 'TUF_TARBALL_ENTRY' });
});

test('rejects a large tarball whose gzip data is corrupt after the tar end marker (the streamed walk inflates to the end)', async () => {
  // 2 MiB of zero padding after the end marker (tar writers pad to whole records): the marker is read long
  // before zlib reaches the trailer
  const tar = Buffer.concat([gunzipSync(tgz([{ path: 'package/package.json', data: '{}' }, { path: 'package/big.js', data: bigData(5 * 1024 * 1024) }])), Buffer.alloc(2 * 1024 * 1024)]);
  const corrupt = new Uint8Array(gzipSync(tar));
  corrupt[corrupt.length - 8]! ^= 0xff; // the gzip trailer's CRC32
  await assert.rejects(checkTarballEntries('crc', '1.0.0', 'r', corrupt), (error: unknown) => {
    const e = error as { code: string; message: string };
    assert.equal(e.code, 'TUF_TARBALL_ENTRY');
    assert.match(e.message, /not valid gzip/);
    return true;
  });
});

test('rejects a gzip-inside-gzip tarball that installers extract differently', async () => {
  const x = gzipInsideGzipTarball([['package.json', '{"name":"p","version":"1.0.0"}']], [['package.json', '{"name":"p","version":"1.0.0","scripts":{"postinstall":"evil"}}']]);
  // the attack is real: node-tar handed the tarball (pacote, Yarn) reads the other package.json
  assert.match(await firstBody(Buffer.from(x)), /postinstall/);
  assert.doesNotMatch(await firstBody(gunzipSync(x)), /postinstall/);
  await assert.rejects(checkTarballEntries('p', '1.0.0', 'r', x), (e: VerifyError) => e.code === 'TUF_TARBALL_ENTRY' && /itself gzip/.test(e.message));
});

test('rejects a pax size on a GNU long-name header that Yarn\'s tar frames differently', async () => {
  const t = paxSizeOnLongNameTarball('{"name":"p","version":"1.0.0"}\n', '{"name":"p","version":"1.0.0","scripts":{"postinstall":"evil"}}\n');
  await assert.rejects(checkTarballEntries('p', '1.0.0', 'r', t), (e: VerifyError) => e.code === 'TUF_TARBALL_ENTRY' && /pax record 'size'/.test(e.message));
});

/** The body of the first entry node-tar's parser extracts from `data` (which it inflates if it is gzip). */
function firstBody(data: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    let out: string | undefined;
    const parser = new Parser({
      onReadEntry: (entry) => {
        let text = '';
        entry.on('data', (c: Buffer) => (text += c.toString()));
        entry.on('end', () => (out ??= text));
      },
    });
    parser.on('end', () => (out === undefined ? reject(new Error('no entry')) : resolve(out)));
    parser.end(data);
  });
}

// red-team round 3: pax record syntax that node-tar reads with any separator after the length
const benignR3 = '{"name":"p","version":"1.0.0"}\n';
const evilR3 = '{"name":"p","version":"1.0.0","scripts":{"postinstall":"evil"}}';

test('rejects a global pax size record with a non-space separator that Yarn\'s tar applies to a GNU long-name header', async () => {
  const t = globalPaxSizeTarball(benignR3, evilR3, 'x');
  await assert.rejects(checkTarballEntries('p', '1.0.0', 'r', t), (e: VerifyError) => e.code === 'TUF_TARBALL_ENTRY' && /global pax header/.test(e.message));
});

test('rejects a global pax size record with a tab separator that Yarn\'s tar applies to a GNU long-name header', async () => {
  const t = globalPaxSizeTarball(benignR3, evilR3, '\t');
  await assert.rejects(checkTarballEntries('p', '1.0.0', 'r', t), (e: VerifyError) => e.code === 'TUF_TARBALL_ENTRY' && /global pax header/.test(e.message));
});

test('rejects a pax path ending in "/" with a tab separator that node-tar reads as a bodiless directory', async () => {
  const t = paxDirectoryPathTarball(benignR3, evilR3, '\t');
  await assert.rejects(checkTarballEntries('p', '1.0.0', 'r', t), (e: VerifyError) => e.code === 'TUF_TARBALL_ENTRY' && /not printable ASCII/.test(e.message));
});
