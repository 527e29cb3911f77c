// The real tree's tarballs, fetched once from the npm registry configured on this machine (npm's own config:
// `npm config get registry`, ~/.npmrc) into a git-ignored cache, each checked against the integrity of the
// committed package-lock.json (pacote does the fetch and the check). Later runs read the cache and fetch
// nothing. Optional packages for other platforms (fsevents) are fetched too: the registry serves the
// whole tree, as npmjs does, and Yarn / npm decide what to skip.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pacote from 'pacote';
import { progress } from '../lib/stats.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const TREE_DIR = HERE;
export const CACHE_DIR = process.env.BENCH_REAL_TREE_CACHE ?? join(HERE, '..', '.cache', 'real-tree');

/** name, version, integrity of every package in the committed lock (deduplicated by name@version). */
export async function lockedPackages() {
  const lock = JSON.parse(await readFile(join(HERE, 'package-lock.json'), 'utf8'));
  const seen = new Map();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.link) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (typeof entry.version !== 'string' || typeof entry.integrity !== 'string') throw new Error(`package-lock.json: ${path} has no version or integrity`);
    seen.set(`${name}@${entry.version}`, { name, version: entry.version, integrity: entry.integrity, file: fileName(name, entry.version) });
  }
  return [...seen.values()];
}

function configuredRegistry() {
  const npm = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return execFileSync(process.execPath, [npm, 'config', 'get', 'registry'], { encoding: 'utf8' }).trim();
}

const fileName = (name, version) => `${name.replace('/', '+')}-${version}.tgz`;

/**
 * Fetches what the cache lacks; returns the tarball directory and the package list. `only` (a set of
 * names) limits both to those packages of the lock (the macro bench's 'realistic' profile takes a few).
 */
export async function ensureTarballs({ concurrency = 12, only } = {}) {
  const packages = (await lockedPackages()).filter((p) => only === undefined || only.has(p.name));
  if (only !== undefined && packages.length !== only.size) throw new Error(`package-lock.json lacks some of ${[...only].join(', ')}`);
  const dir = join(CACHE_DIR, 'tarballs');
  await mkdir(dir, { recursive: true });
  const missing = packages.filter((p) => !existsSync(join(dir, p.file)));
  if (missing.length > 0) {
    const registry = configuredRegistry();
    progress(`real-tree: fetching ${missing.length} of ${packages.length} tarballs from ${registry} into ${dir}`);
    let done = 0;
    const queue = [...missing];
    const worker = async () => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
        // pacote checks the bytes against the lock's integrity and throws EINTEGRITY otherwise
        const bytes = await pacote.tarball(`${p.name}@${p.version}`, { registry, integrity: p.integrity, cache: join(CACHE_DIR, 'npm-cache') });
        const file = join(dir, p.file);
        await writeFile(`${file}.part`, bytes);
        await rename(`${file}.part`, file);
        if (++done % 100 === 0) progress(`real-tree: ${done}/${missing.length} fetched`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
  return { dir, packages };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { dir, packages } = await ensureTarballs();
  progress(`real-tree: ${packages.length} tarballs in ${dir}`);
}
