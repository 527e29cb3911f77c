// The machine's trusted state: the TUF metadata an install starts from (root, top-level roles, the
// delegated-role pack with its verification records) and the Yarn checksum bindings. It decides what is
// accepted, so it must not be writable by whoever can write the package caches (Yarn's global folder and
// cache, the npm cache, a restored CI cache archive): it lives in a directory of its own, owned by the user,
// writable by nobody else (ADR 0011). Its `machine.key` (0600) seals every record that stands in for a
// signature check (pack records, Yarn bindings) to the exact bytes it vouches for.
import { createHash, randomBytes } from 'node:crypto';
import { constants, mkdirSync } from 'node:fs';
import { link, lstat, open, readdir, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
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

/** The real path of `path`, or its resolved path when it does not exist (a cache not created yet). */
async function realOrResolved(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return resolve(path);
    throw error;
  }
}

/**
 * Opens (creating it 0700 when missing: a fresh machine is a cold start) the state directory `dir`.
 * Refuses, with TUF_STATE_DIR_UNSAFE, a directory that is (or resolves through a symlink to a place) inside
 * one of `packageCaches` or inside the project `projectDir` (a pull request can write it and commit a forged
 * root there), owned by another user, or writable by group or others: its contents may already be forged,
 * so it is not repaired silently. The caller leaves `projectDir` out for the user-level default location
 * (a project in HOME itself keeps working).
 */
export async function openMachineState(dir: string, packageCaches: readonly string[] = [], projectDir?: string): Promise<MachineState> {
  const resolved = resolve(dir);
  const refuseInside = (path: string): void => {
    for (const cache of packageCaches) {
      if (isWithin(path, cache)) {
        throw unsafe(resolved, `lies inside the package cache ${cache}, which other processes (a restored CI cache, another build step) may write`,
          'set the tufpm state directory to a location of its own (the default ~/.local/state/tufpm; see docs/configuration.md)');
      }
    }
    if (projectDir !== undefined && isWithin(path, projectDir)) {
      throw unsafe(resolved, `lies inside the project ${projectDir}, which a pull request can write`,
        'remove the state directory setting from the project\'s .npmrc / .yarnrc.yml; set it in user configuration or TUFPM_STATE_DIR if needed (docs/configuration.md)');
    }
  };
  refuseInside(resolved);
  try {
    mkdirSync(resolved, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new VerifyError('TUF_STATE_DIR_UNSAFE', `cannot create the tufpm state directory ${resolved}`, {
      attack: 'none (an I/O error)', recovery: 'check the path and its permissions, or set another state directory', cause: error,
    });
  }
  // Symlinks anywhere on the way: compare real paths (the caches' and the project's too).
  const real = await realpath(resolved);
  const realCaches = await Promise.all(packageCaches.map(realOrResolved));
  const realProject = projectDir === undefined ? undefined : await realOrResolved(projectDir);
  for (const [i, cache] of realCaches.entries()) {
    if (isWithin(real, cache)) {
      throw unsafe(resolved, `resolves to ${real}, inside the package cache ${packageCaches[i]}, which other processes (a restored CI cache, another build step) may write`,
        'set the tufpm state directory to a location of its own, not a symlink into a cache (see docs/configuration.md)');
    }
  }
  if (realProject !== undefined && isWithin(real, realProject)) {
    throw unsafe(resolved, `resolves to ${real}, inside the project ${projectDir}, which a pull request can write`, 'set the tufpm state directory to a location of its own (docs/configuration.md)');
  }
  const st = await stat(real);
  if (!st.isDirectory()) throw unsafe(resolved, 'is not a directory', 'remove it or set another state directory');
  checkPrivate(resolved, real, st);
  return { dir: real, recordKey: await machineKey(real) };
}

/** POSIX only (Windows has no uid and its mode bits do not describe ACLs): owned by this user, no group/other write. */
function checkPrivate(stateDir: string, path: string, st: { uid: number; mode: number }): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  if (st.uid !== uid) {
    throw unsafe(stateDir, `${path === stateDir ? '' : `holds ${path}, which `}is owned by uid ${st.uid}, not by this user (uid ${uid})`,
      'use a state directory of your own (delete this one only if you own it: the next install is then a cold start)');
  }
  if ((st.mode & 0o022) !== 0) {
    throw unsafe(stateDir, `${path === stateDir ? 'is' : `holds ${path}, which is`} writable by ${(st.mode & 0o002) !== 0 ? 'others' : 'its group'} (mode ${(st.mode & 0o777).toString(8)})`,
      `delete it (the next install is a cold start) or, if nobody else could have written it, chmod 700 ${path}`);
  }
}

const MAX_STATE_ENTRIES = 4096;

/**
 * Checks what an install reads below the state directory `stateDir`: `sub` (one registry's directory) and
 * every directory on the way to it, and every file and directory in it: no symlinks, owned by this user, not
 * writable by group or others (TUF_STATE_DIR_UNSAFE). A private top directory says nothing about looser
 * subdirectories someone made or a 0666 root.json planted in one. Missing entries are fine (cold start).
 */
export async function checkStateTree(stateDir: string, sub: string): Promise<void> {
  const rel = relative(stateDir, sub);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`${sub} is not below ${stateDir}`);
  const check = async (path: string): Promise<'dir' | 'other' | 'missing'> => {
    let st;
    try {
      st = await lstat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw error;
    }
    if (st.isSymbolicLink()) throw unsafe(stateDir, `holds a symbolic link ${path}`, `delete ${stateDir} (the next install is a cold start)`);
    checkPrivate(stateDir, path, st);
    return st.isDirectory() ? 'dir' : 'other';
  };
  let path = stateDir;
  for (const part of rel.split(/[\\/]/).filter((p) => p !== '')) {
    path = join(path, part);
    if ((await check(path)) === 'missing') return;
  }
  let seen = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      if (++seen > MAX_STATE_ENTRIES) throw unsafe(stateDir, `holds more than ${MAX_STATE_ENTRIES} entries below ${sub}`, `delete ${sub} (the next install is a cold start)`);
      const child = join(dir, name);
      if ((await check(child)) === 'dir') await walk(child);
    }
  };
  await walk(sub);
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

/**
 * Opens a state file for reading, never through a symlink: undefined when it is missing or is a symlink
 * (ELOOP), which callers treat as absent; any other error is thrown.
 */
export async function openNoFollow(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw error;
  }
}

/** The key when `path` is a regular file of RECORD_KEY_BYTES that only this user can read; else undefined. */
async function readPrivateKey(path: string): Promise<Buffer | undefined> {
  const handle = await openNoFollow(path);
  if (handle === undefined) return undefined;
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
