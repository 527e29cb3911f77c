import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY, encodeLeaf, keyBit, leafHash, leafKey, nodeHash, type LeafValue } from '../src/index.js';

/** The contract's hashing written the slow, obvious way (recursive over the leaf set), to check the tree against. */
export function referenceRoot(leaves: Map<string, LeafValue>): string {
  const items = [...leaves].map(([name, v]) => ({ key: leafKey(name), hash: leafHash(leafKey(name), encodeLeaf(name, v)) }));
  const rec = (set: typeof items, depth: number): Uint8Array => {
    if (set.length === 0) return EMPTY;
    if (set.length === 1) return set[0]!.hash;
    return nodeHash(
      rec(set.filter((i) => keyBit(i.key, depth) === 0), depth + 1),
      rec(set.filter((i) => keyBit(i.key, depth) === 1), depth + 1),
    );
  };
  return Buffer.from(rec(items, 0)).toString('hex');
}

export function hashes(seed: string): Record<string, string> {
  return { sha256: leafKey(seed).reduce((s, b) => s + b.toString(16).padStart(2, '0'), '') };
}

export function live(version: number, seed = `v${version}`): LeafValue {
  return { version, length: 100 + version, hashes: hashes(seed) };
}

/** Runs `fn` in a fresh temp directory (named after `prefix`), removed afterwards. */
export async function withDir(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `tufpm-${prefix}-`));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
