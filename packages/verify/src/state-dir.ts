// The machine's trusted state: the TUF metadata an install starts from (root, top-level roles, the
// delegated-role pack with its verification records) and the Yarn checksum bindings. It decides what is
// accepted, so it must not be writable by whoever can write the package caches (Yarn's global folder and
// cache, the npm cache, a restored CI cache archive): it lives in a directory of its own, owned by the user,
// writable by nobody else (ADR 0011). Its `machine.key` (0600) seals every record that stands in for a
// signature check (pack records, Yarn bindings) to the exact bytes it vouches for.
import { createHash, randomBytes } from 'node:crypto';
import { constants, mkdirSync } from 'node:fs';
import { link, open, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { RECORD_KEY_BYTES } from '@tufpm/client';
import { VerifyError } from './errors.js';

export const STATE_KEY_FILE = 'machine.key';
/** Environment variable naming the state directory (both installers; their own setting wins). */
export const STATE_DIR_ENV = 'TUFPM_STATE_DIR';

export interface MachineState {
  /** the checked state directory */
  dir: string;
  /** RECORD_KEY_BYTES of this machine's secret: seals pack records and Yarn bindings */
  recordKey: Buffer;
}

/**
 * Where the state lives unless configured: `$TUFPM_STATE_DIR`, else `$XDG_STATE_HOME/tufpm` (an absolute
 * XDG_STATE_HOME only, as the XDG spec says), else `~/.local/state/tufpm`; on Windows
 * `%LOCALAPPDATA%\tufpm\state`. Never inside a package manager's cache.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir(), platform: NodeJS.Platform = process.platform): string {
  const explicit = env[STATE_DIR_ENV];
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  if (platform === 'win32') {
    const local = env['LOCALAPPDATA'];
    return join(local !== undefined && isAbsolute(local) ? local : join(home, 'AppData', 'Local'), 'tufpm', 'state');
  }
  const xdg = env['XDG_STATE_HOME'];
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, '.local', 'state'), 'tufpm');
}

/** One registry's directory in the state directory: two registries never share (or overwrite) trusted state. */
export function registryStateDir(stateDir: string, metadataUrl: string): string {
  return join(stateDir, 'registries', createHash('sha256').update(metadataUrl).digest('hex').slice(0, 16));
}

function isWithin(dir: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(dir));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function unsafe(dir: string, why: string, recovery: string): VerifyError {
  return new VerifyError('TUF_STATE_DIR_UNSAFE', `the tufpm state directory ${dir} ${why}`, {
    attack: 'forged local trust state (whoever can write it decides which cached packages and metadata are accepted)',
    recovery,
  });
}

/**
 * Opens (creating it 0700 when missing: a fresh machine is a cold start) the state directory `dir`.
 * Refuses, with TUF_STATE_DIR_UNSAFE, a directory inside one of `packageCaches`, owned by another user, or
 * writable by group or others: its contents may already be forged, so it is not repaired silently.
 */
export async function openMachineState(dir: string, packageCaches: readonly string[] = []): Promise<MachineState> {
  const resolved = resolve(dir);
  for (const cache of packageCaches) {
    if (isWithin(resolved, cache)) {
      throw unsafe(resolved, `lies inside the package cache ${cache}, which other processes (a restored CI cache, another build step) may write`,
        'set the tufpm state directory to a location of its own (the default ~/.local/state/tufpm; see docs/configuration.md)');
    }
  }
  try {
    mkdirSync(resolved, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new VerifyError('TUF_STATE_DIR_UNSAFE', `cannot create the tufpm state directory ${resolved}`, {
      attack: 'none (an I/O error)', recovery: 'check the path and its permissions, or set another state directory', cause: error,
    });
  }
  const st = await stat(resolved);
  if (!st.isDirectory()) throw unsafe(resolved, 'is not a directory', 'remove it or set another state directory');
  // POSIX only: Windows has no uid and its mode bits do not describe ACLs.
  const uid = process.getuid?.();
  if (uid !== undefined) {
    if (st.uid !== uid) {
      throw unsafe(resolved, `is owned by uid ${st.uid}, not by this user (uid ${uid})`,
        'use a state directory of your own (delete this one only if you own it: the next install is then a cold start)');
    }
    if ((st.mode & 0o022) !== 0) {
      throw unsafe(resolved, `is writable by ${(st.mode & 0o002) !== 0 ? 'others' : 'its group'} (mode ${(st.mode & 0o777).toString(8)})`,
        `delete it (the next install is a cold start) or, if nobody else could have written it, chmod 700 ${resolved}`);
    }
  }
  return { dir: resolved, recordKey: await machineKey(resolved) };
}

/**
 * This machine's record key: read when it is a private regular file of the right size, else replaced by a
 * fresh one. Replacing it is always safe: records sealed with the old key stop opening, and the roles they
 * stood for are verified again (the cost of one cold start), never accepted on their word.
 */
async function machineKey(dir: string): Promise<Buffer> {
  const path = join(dir, STATE_KEY_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await readPrivateKey(path);
    if (existing !== undefined) return existing;
    const fresh = randomBytes(RECORD_KEY_BYTES);
    const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(fresh);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      // link refuses to replace: two installs creating the key at once agree on the first one
      await link(tmp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // an unusable key: replace it (a directory or the like in its place cannot be: refused below)
      if ((await readPrivateKey(path)) === undefined) await rename(tmp, path).catch((renameError: NodeJS.ErrnoException) => {
        if (renameError.code !== 'EISDIR' && renameError.code !== 'ENOTEMPTY' && renameError.code !== 'EEXIST') throw renameError;
      });
    } finally {
      await rm(tmp, { force: true });
    }
  }
  throw unsafe(dir, `keeps no usable ${STATE_KEY_FILE}`, `delete ${path}`);
}

/** The key when `path` is a regular file of RECORD_KEY_BYTES that only this user can read; else undefined. */
async function readPrivateKey(path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw error;
  }
  try {
    const st = await handle.stat();
    const uid = process.getuid?.();
    if (!st.isFile() || st.size !== RECORD_KEY_BYTES) return undefined;
    if (uid !== undefined && (st.uid !== uid || (st.mode & 0o077) !== 0)) return undefined;
    const key = Buffer.alloc(RECORD_KEY_BYTES);
    const { bytesRead } = await handle.read(key, 0, RECORD_KEY_BYTES, 0);
    return bytesRead === RECORD_KEY_BYTES ? key : undefined;
  } finally {
    await handle.close();
  }
}
