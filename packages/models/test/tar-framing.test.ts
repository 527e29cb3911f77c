import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { TarFramingScanner, TarballEntryError, globalPaxSizeTarball, gzipInsideGzipTarball, paxDirectoryPathTarball, paxSizeOnLongNameTarball } from '../src/index.js';

/** The scanner's verdict on an inflated archive, fed whole and in chunks of `step` bytes. */
function scan(tar: Buffer, step = tar.length): void {
  const scanner = new TarFramingScanner();
  for (let i = 0; i < tar.length; i += step) scanner.push(tar.subarray(i, i + step));
  scanner.finish();
}

function header(path: string, size: number, type: string): Buffer {
  const b = Buffer.alloc(512);
  Buffer.from(path, 'latin1').copy(b, 0, 0, 100);
  Buffer.from(`${size.toString(8).padStart(11, '0')}\0`, 'latin1').copy(b, 124);
  Buffer.from('0000644\0', 'latin1').copy(b, 100);
  b[156] = type.charCodeAt(0);
  Buffer.from('ustar\u000000', 'latin1').copy(b, 257);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `, 'latin1').copy(b, 148);
  return b;
}
function body(text: string): Buffer {
  const data = Buffer.from(text);
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}
function record(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let len = rest.length + 1;
  while (String(len).length + rest.length !== len) len++;
  return `${len}${rest}`;
}
function tar(...parts: Buffer[]): Buffer {
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}
const file = (path: string, text: string): Buffer[] => [header(path, Buffer.byteLength(text), '0'), body(text)];
const meta = (type: string, text: string): Buffer[] => [header(`PaxHeader/${type}`, Buffer.byteLength(text), type), body(text)];

function refused(t: Buffer, pattern: RegExp): void {
  for (const step of [t.length, 1, 7, 512, 700]) {
    assert.throws(() => scan(t, step), (e: unknown) => e instanceof TarballEntryError && e.problem === 'framing' && pattern.test(e.message), `step ${step}`);
  }
}

test('the framing check passes plain archives and pax long paths as npm pack writes them, in chunks of any size', () => {
  const long = `package/${'d/'.repeat(60)}x.js`;
  const t = tar(...file('package/package.json', '{}'), header('package/d/', 0, '5'), ...meta('x', record('path', long) + record('mtime', '1')), ...file('package/placeholder', 'x'.repeat(700)));
  for (const step of [t.length, 1, 3, 511, 512, 513]) scan(t, step);
});

test('rejects a gzip-inside-gzip tarball that installers extract differently', () => {
  const x = gzipInsideGzipTarball([['package.json', '{"name":"p"}']], [['package.json', '{"name":"p","scripts":{"postinstall":"evil"}}']]);
  refused(gunzipSync(x), /itself gzip/);
  // zstd, which node-tar 7.5 detects and Yarn's older node-tar does not
  refused(Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), tar(...file('package/package.json', '{}')).subarray(4)]), /zstd/);
});

test('rejects a pax size on a GNU long-name header that Yarn\'s tar frames differently', () => {
  const t = gunzipSync(paxSizeOnLongNameTarball('{"name":"p"}\n', '{"name":"p","scripts":{"postinstall":"evil"}}\n'));
  refused(t, /pax record 'size'/);
});

test('rejects chained meta headers, pax size or type in any x or g header, and a file body on a path ending in "/"', () => {
  // x then L without a size: still two meta headers before one file entry
  refused(tar(...meta('x', record('mtime', '1')), ...meta('L', 'package/a.js'), ...file('package/ignored', 'a')), /after another/);
  refused(tar(...meta('L', 'package/a.js'), ...meta('x', record('mtime', '1')), ...file('package/ignored', 'a')), /after another/);
  refused(tar(...meta('g', record('comment', 'git')), ...file('package/a', 'a')), /global pax header/);
  refused(tar(...meta('X', record('path', 'package/a')), ...meta('x', record('path', 'package/a')), ...file('package/ignored', 'a')), /after another/);
  refused(tar(...meta('x', record('size', '1')), ...file('package/a', 'a')), /'size'/);
  refused(tar(...meta('x', record('type', '0')), ...file('package/a', 'a')), /'type'/);
  refused(tar(...file('package/d/', 'a body node-tar never reads')), /ending in/);
  refused(tar(...meta('x', record('path', 'package/d/')), ...file('package/x', 'a body')), /ending in/);
  // a size node-tar 7 and older parsers could decode differently (base-256)
  const big = header('package/a', 1, '0');
  big[124] = 0x80;
  big.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of big) sum += x;
  Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `, 'latin1').copy(big, 148);
  refused(tar(big, body('a')), /octal/);
  // at a bad checksum the check stops: node-tar strict refuses the archive there itself (every reader)
  const bad = tar(...file('package/a', 'a'), ...meta('x', record('size', '1')));
  bad[0] ^= 1;
  scan(bad);
});

const benign = '{"name":"p","version":"1.0.0"}\n';
const evil = '{"name":"p","version":"1.0.0","scripts":{"postinstall":"evil"}}';

test("rejects a global pax size record with a non-space separator that Yarn's tar applies to a GNU long-name header", () => {
  refused(gunzipSync(globalPaxSizeTarball(benign, evil, 'x')), /global pax header/);
});

test("rejects a global pax size record with a tab separator that Yarn's tar applies to a GNU long-name header", () => {
  refused(gunzipSync(globalPaxSizeTarball(benign, evil, '\t')), /global pax header/);
});

test('rejects a pax path ending in "/" with a tab separator that node-tar reads as a bodiless directory', () => {
  refused(gunzipSync(paxDirectoryPathTarball(benign, evil, '\t')), /not printable ASCII \(0x9\)/);
  // written with the space, the record is read and the file body on a directory path refused
  refused(gunzipSync(paxDirectoryPathTarball(benign, evil, ' ')), /ending in/);
});

test('rejects pax record lines that node-tar versions could read differently', () => {
  const x = (text: string): Buffer => tar(...meta('x', text), ...file('package/a', 'a'));
  const size = record('size', '1');
  for (const sep of ['x', '\t', '  ', '\0']) refused(x(size.replace(' ', sep)), /length> <keyword>|printable ASCII/);
  refused(x(`0${record('mtime', '1')}`), /length> <keyword>/); // leading zero: node-tar drops one byte too few
  refused(x(' 13 mtime=1\n'), /length> <keyword>/); // parseInt skips leading blanks
  refused(x('+12 mtime=1\n'), /length> <keyword>/);
  refused(x('12 mtime=1\n'), /length> <keyword>/); // length does not match the line
  refused(x('12 mtime=1'), /newline/);
  refused(x(`${record('mtime', '1')}\n`), /length> <keyword>/); // an empty line
  refused(x('13 =nokey12\n'), /length> <keyword>/);
  refused(x(record('path', 'package/a\0b')), /printable ASCII/); // node-tar 7 cuts at NUL, Yarn's copy does not
  refused(x(record('path', 'package/\u00e9')), /printable ASCII/); // decoded chunk by chunk by node-tar
  // a value with a newline: POSIX length covers it, node-tar splits the line
  refused(x(record('comment', 'a\n12 size=512')), /length> <keyword>/);
  // what npm pack writes still passes: several exact records, `=` inside a value
  scan(x(record('path', 'package/a=b') + record('mtime', '1700000000.5') + record('SCHILY.dev', '1')));
});

// Red team round 4: headers node-tar reads more leniently than this check, which must refuse them rather
// than stop reading at them (the smuggled chain after them was unchecked and Yarn's tar extracted it).
const refusesFraming = (t: Buffer, pattern: RegExp): void => {
  for (const step of [t.length, 1, 7, 512]) assert.throws(() => scan(t, step), (e: unknown) => e instanceof TarballEntryError && pattern.test(e.message));
};

test('rejects a tar header whose checksum has a tab before its digits, which node-tar reads as valid', () => {
  const h = header('package/a.js', 1, '0');
  const digits = h.toString('latin1', 148, 154);
  Buffer.from(`\t${digits}\0`, 'latin1').copy(h, 148);
  refusesFraming(tar(...file('package/package.json', '{}'), h, body('1')), /checksum is not a plain octal number/);
});

test('rejects an empty block with an unreadable checksum, which node-tar reads as an empty block', () => {
  const block = Buffer.alloc(512);
  Buffer.from('xxxxxxx\0', 'latin1').copy(block, 148);
  refusesFraming(tar(...file('package/package.json', '{}'), block, ...file('package/b.js', '1')), /checksum is not a plain octal number/);
});

test('rejects a tar name with bytes after its NUL, which node-tar keeps when a newline follows the NUL', () => {
  refusesFraming(tar(...file('package/package.json', '{}'), ...file('package/d\0\nx/', '1')), /name field with bytes after its terminating NUL/);
});

test('rejects a GNU long-name body with bytes after its NUL, which node-tar keeps when a newline follows the NUL', () => {
  refusesFraming(tar(...meta('L', 'package/d\0\nx/'), ...file('package/placeholder', '1')), /long-name \(L\) body with bytes after its terminating NUL/);
});

test('still reads a plain-octal checksum that does not match as the end (node-tar strict refuses the archive there)', () => {
  const h = header('package/a.js', 1, '0');
  Buffer.from('000001\0 ', 'latin1').copy(h, 148);
  assert.doesNotThrow(() => scan(tar(...file('package/package.json', '{}'), h, body('1'))));
});
