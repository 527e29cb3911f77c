import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { MACHINE_BINDINGS_FILE, MachineBindings } from '../src/machine-bindings.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VerifyError } from '../src/errors.js';
import { parseLockfile, readLockfile, roleKeysName, rootDigestKind, serializeLockfile, writeLockfile, type SideLockfile } from '../src/lockfile.js';
import { testPins } from './pins-fixture.js';

function sample(): SideLockfile {
  return testPins({
    targets: { version: 3, keyids: ['3'.repeat(64), '4'.repeat(64)], threshold: 2 },
    packages: new Map([
      ['zeta@1.0.0', { targetPath: 'zeta/-/zeta-1.0.0.tgz', role: 'unclaimed-0a', roleVersion: 3, length: 10, sha512: 'b'.repeat(128), maintainerSigned: false }],
      ['@s/alpha@2.0.0', { targetPath: '@s/alpha/-/alpha-2.0.0.tgz', role: '@s/alpha', roleVersion: 1, length: 11, sha512: 'c'.repeat(128), yarnChecksum: '10c0/' + 'd'.repeat(128), maintainerSigned: true }],
    ]),
    roles: new Map([
      ['@s/alpha', { keyids: ['5'.repeat(64), '6'.repeat(64)], threshold: 2 }],
      ['unclaimed-*', { keyids: ['7'.repeat(64)], threshold: 1 }],
    ]),
  });
}

test('side lockfile round-trips with packages sorted for stable diffs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-lock-'));
  try {
    const path = join(dir, 'tufpm-lock.json');
    await writeLockfile(path, sample());
    const text = await readFile(path, 'utf8');
    assert.ok(text.indexOf('@s/alpha@2.0.0') < text.indexOf('zeta@1.0.0'));
    const back = await readLockfile(path);
    assert.deepEqual(back, sample());
    assert.equal(serializeLockfile(back!), text);
    assert.deepEqual((await readdir(dir)).sort(), ['tufpm-lock.json'], 'no temp file left behind');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an install that changes no pin leaves tufpm-lock.json untouched; a changed pin rewrites it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-lock-'));
  try {
    const path = join(dir, 'tufpm-lock.json');
    await writeLockfile(path, sample());
    const before = await stat(path);
    await writeLockfile(path, sample());
    const same = await stat(path);
    assert.equal(same.ino, before.ino, 'not replaced by a rename');
    assert.equal(same.mtimeMs, before.mtimeMs, 'not rewritten');
    const changed = sample();
    changed.snapshot.version += 1;
    await writeLockfile(path, changed);
    assert.notEqual((await stat(path)).ino, before.ino, 'replaced atomically');
    assert.equal((await readLockfile(path))!.snapshot.version, changed.snapshot.version);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a missing side lockfile reads as none', async () => {
  assert.equal(await readLockfile('/nonexistent/dir/tufpm-lock.json'), undefined);
});

test('rejects a lockfileVersion nested 20,000 arrays deep with TUF_LOCKFILE, not a RangeError (fuzzing, issue 19)', () => {
  const deep = '['.repeat(20_000) + '2' + ']'.repeat(20_000);
  const text = serializeLockfile(sample()).replace(/"lockfileVersion":\s*2/, `"lockfileVersion": ${deep}`);
  assert.ok(text.includes(deep));
  assert.throws(() => parseLockfile(text, 'tufpm-lock.json'), (e: unknown) => e instanceof VerifyError && e.code === 'TUF_LOCKFILE' && /unsupported lockfileVersion an array$/.test(e.message));
});

test('rejects an edited side lockfile instead of trusting it', () => {
  const good = JSON.parse(serializeLockfile(sample()));
  const cases: Array<[string, (o: any) => void]> = [
    ['unknown field', (o) => (o.unsafe = true)],
    ['version zero', (o) => (o.snapshot.version = 0)],
    ['float version', (o) => (o.timestamp.version = 1.5)],
    ['short sha512', (o) => (o.packages['zeta@1.0.0'].sha512 = 'ab')],
    ['upper-case hex', (o) => (o.root.sha256 = 'A'.repeat(64))],
    ['bad package key', (o) => (o.packages['../evil@1.0.0'] = o.packages['zeta@1.0.0'])],
    ['wrong lockfileVersion', (o) => (o.lockfileVersion = 3)],
    ['format 2 without thresholds', (o) => delete o.timestamp.threshold],
    ['format 2 without root keys', (o) => delete o.root.keyids],
    ['format 2 without roles', (o) => delete o.roles],
    ['a threshold above its keyids', (o) => (o.targets.threshold = 3)],
    ['a role threshold above its keyids', (o) => (o.roles['unclaimed-*'].threshold = 2)],
    ['a roles name with a star inside', (o) => (o.roles['a*b'] = o.roles['unclaimed-*'])],
    ['format 1 with format 2 fields', (o) => (o.lockfileVersion = 1)],
    ['non-boolean maintainerSigned', (o) => (o.packages['zeta@1.0.0'].maintainerSigned = 'yes')],
    ['missing targets pin', (o) => delete o.targets],
    ['empty keyids', (o) => (o.timestamp.keyids = [])],
    ['malformed keyid', (o) => (o.snapshot.keyids = ['xyz'])],
  ];
  for (const [what, edit] of cases) {
    const copy = structuredClone(good);
    edit(copy);
    assert.throws(() => parseLockfile(JSON.stringify(copy), 'tufpm-lock.json'), { code: 'TUF_LOCKFILE' }, what);
  }
  assert.throws(() => parseLockfile('{not json', 'x'), { code: 'TUF_LOCKFILE' });
});

test('a damaged machine bindings file vouches for nothing and is rewritten on the next save', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-bindings-'));
  try {
    await writeFile(join(dir, MACHINE_BINDINGS_FILE), '{"bindings": {"a@1.0.0": {"sha512": "' + 'a'.repeat(128) + '", "checksum": "10c0/x"');
    const damaged = await MachineBindings.load(dir, Buffer.alloc(32, 7));
    assert.equal(damaged.has('a@1.0.0', 'a'.repeat(128), '10c0/x'), false);
    damaged.set('a@1.0.0', { sha512: 'b'.repeat(128), checksum: '10c0/y' });
    await damaged.save();
    const reloaded = await MachineBindings.load(dir, Buffer.alloc(32, 7));
    assert.equal(reloaded.has('a@1.0.0', 'b'.repeat(128), '10c0/y'), true);
    assert.equal(reloaded.has('a@1.0.0', 'b'.repeat(128), '10c0/other'), false, 'a binding is for one exact checksum');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the claims recorded by init round-trip, sorted, and are parsed strictly', () => {
  const lock: SideLockfile = { ...sample(), claims: new Map([['zed', { keyids: ['5'.repeat(64)], threshold: 1 }], ['@s/alpha', { keyids: ['7'.repeat(64), '6'.repeat(64)], threshold: 2 }]]) };
  const text = serializeLockfile(lock);
  assert.ok(text.indexOf('"@s/alpha": {') < text.indexOf('"zed": {'));
  const back = parseLockfile(text, 'tufpm-lock.json');
  assert.deepEqual([...back.claims!.keys()], ['@s/alpha', 'zed']);
  assert.deepEqual(back.claims!.get('@s/alpha'), { keyids: ['6'.repeat(64), '7'.repeat(64)], threshold: 2 });
  const edit = (f: (raw: { claims: Record<string, Record<string, unknown>> }) => void): string => {
    const raw = JSON.parse(text) as { claims: Record<string, Record<string, unknown>> };
    f(raw);
    return JSON.stringify(raw);
  };
  for (const [why, bad] of [
    ['a threshold above its keyids', edit((r) => { r.claims['zed']!.threshold = 2; })],
    ['an unknown field', edit((r) => { r.claims['zed']!.paths = ['*']; })],
    ['a name that is not a package name', edit((r) => { r.claims['../x'] = r.claims['zed']!; })],
    ['no keyids', edit((r) => { r.claims['zed']!.keyids = []; })],
  ] as const) {
    assert.throws(() => parseLockfile(bad, 'tufpm-lock.json'), (e: unknown) => (e as { code?: string }).code === 'TUF_LOCKFILE', why);
  }
  assert.equal(parseLockfile(serializeLockfile(sample()), 'x').claims, undefined, 'a lockfile written by installs alone has no claims');
});

test('a format-1 tufpm-lock.json (root sha256 over the signed part, no thresholds) still reads, and writes back unchanged', () => {
  const v1 = {
    lockfileVersion: 1,
    registry: 'http://127.0.0.1:4873/',
    root: { version: 2, sha256: 'a'.repeat(64) },
    timestamp: { version: 7, keyids: ['1'.repeat(64)] },
    snapshot: { version: 5, keyids: ['2'.repeat(64)] },
    targets: { version: 3, keyids: ['3'.repeat(64)] },
    packages: { 'zeta@1.0.0': { targetPath: 'zeta/-/zeta-1.0.0.tgz', role: 'unclaimed-0a', roleVersion: 3, maintainerSigned: false, length: 10, sha512: 'b'.repeat(128) } },
  };
  const text = `${JSON.stringify(v1, null, 2)}\n`;
  const lock = parseLockfile(text, 'tufpm-lock.json');
  assert.equal(lock.lockfileVersion, 1);
  assert.equal(rootDigestKind(lock), 'signed-part');
  assert.equal(lock.timestamp.threshold, undefined);
  assert.equal(lock.roles, undefined);
  assert.equal(serializeLockfile(lock), text, 'a frozen install that reads it writes nothing different');
  assert.equal(rootDigestKind(sample()), 'file');
});

test('the keys of hash bins are recorded once, under <prefix>-*; a claimed role under its name', () => {
  const roles = sample().roles!;
  assert.equal(roleKeysName('unclaimed-0a', roles), 'unclaimed-*');
  assert.equal(roleKeysName('@s/alpha', roles), '@s/alpha');
  assert.equal(roleKeysName('other', roles), undefined);
  assert.equal(roleKeysName('unclaimed-zz', roles), undefined, 'not a hex bin suffix');
});
