// The machine's trusted state (ADR 0011): a directory of its own, private to the user, never inside a
// package cache, with a private record key that is replaced (never trusted) when it is not private.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { STATE_KEY_FILE, defaultStateDir, openMachineState } from '../src/state-dir.js';

const posix = process.getuid !== undefined;

async function temp(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('the default state directory is $TUFPM_STATE_DIR, else $XDG_STATE_HOME/tufpm, else ~/.local/state/tufpm', () => {
  assert.equal(defaultStateDir({}, '/home/u', 'linux'), '/home/u/.local/state/tufpm');
  assert.equal(defaultStateDir({ XDG_STATE_HOME: '/x/state' }, '/home/u', 'linux'), '/x/state/tufpm');
  assert.equal(defaultStateDir({ XDG_STATE_HOME: 'relative' }, '/home/u', 'linux'), '/home/u/.local/state/tufpm', 'a relative XDG_STATE_HOME is ignored (XDG spec)');
  assert.equal(defaultStateDir({ TUFPM_STATE_DIR: '/s', XDG_STATE_HOME: '/x' }, '/home/u', 'linux'), '/s');
});

test('a missing state directory is a cold start: created 0700 with a private 32-byte key, the same key next time', async (t) => {
  const base = await temp(t);
  const dir = join(base, 'a', 'tufpm');
  const first = await openMachineState(dir);
  assert.equal(first.recordKey.length, 32);
  if (posix) {
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, STATE_KEY_FILE))).mode & 0o777, 0o600);
  }
  const again = await openMachineState(dir);
  assert.deepEqual(again.recordKey, first.recordKey);
  const [x, y] = await Promise.all([openMachineState(join(base, 'b')), openMachineState(join(base, 'b'))]);
  assert.deepEqual(x.recordKey, y.recordKey, 'two installs starting at once agree on one key');
});

test('rejects a state directory writable by others (TUF_STATE_DIR_UNSAFE), saying how to repair it', { skip: !posix && 'POSIX modes' }, async (t) => {
  const dir = join(await temp(t), 'tufpm');
  await openMachineState(dir);
  for (const mode of [0o777, 0o770, 0o702]) {
    await chmod(dir, mode);
    await assert.rejects(openMachineState(dir), (error: Error & { code?: string; recovery?: string }) => {
      assert.equal(error.code, 'TUF_STATE_DIR_UNSAFE');
      assert.match(error.message, new RegExp(`${dir} is writable by (others|its group) \\(mode ${mode.toString(8)}\\)`));
      assert.match(error.recovery ?? '', /delete it \(the next install is a cold start\) or, if nobody else could have written it, chmod 700/);
      return true;
    }, `mode ${mode.toString(8)}`);
  }
  await chmod(dir, 0o755);
  assert.ok(await openMachineState(dir), 'readable by others is fine: nothing secret is readable but the key, which is 0600');
});

test('rejects a state directory inside a package cache (npm cache, Yarn global folder)', async (t) => {
  const base = await temp(t);
  const npmCache = join(base, '.npm');
  for (const dir of [npmCache, join(npmCache, '_tufpm'), join(npmCache, 'x', 'y')]) {
    await assert.rejects(openMachineState(dir, [join(base, 'global'), npmCache]), { code: 'TUF_STATE_DIR_UNSAFE' }, dir);
  }
  assert.ok(await openMachineState(join(base, '.npm-state'), [npmCache]), 'a sibling whose name merely starts alike is fine');
});

test('a record key that is not private (or not a key) is replaced, never used: records sealed with it stop opening', { skip: !posix && 'POSIX modes' }, async (t) => {
  const dir = join(await temp(t), 'tufpm');
  const first = await openMachineState(dir);
  const keyFile = join(dir, STATE_KEY_FILE);
  await chmod(keyFile, 0o644);
  const second = await openMachineState(dir);
  assert.notDeepEqual(second.recordKey, first.recordKey, 'a key others could read is replaced');
  assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
  await writeFile(keyFile, 'short', { mode: 0o600 });
  const third = await openMachineState(dir);
  assert.equal(third.recordKey.length, 32);
  assert.deepEqual(await readFile(keyFile), third.recordKey);
  await rm(keyFile);
  await mkdir(keyFile);
  await assert.rejects(openMachineState(dir), { code: 'TUF_STATE_DIR_UNSAFE' }, 'a directory in the key\'s place');
});
