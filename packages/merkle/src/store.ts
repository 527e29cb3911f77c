import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HASH_BYTES } from './hash.js';
import { MerkleStoreError } from './errors.js';
import { writeAtOffset, writeFileAtomic } from './fs-atomic.js';
import { SparseMerkleTree, type CommitResult } from './tree.js';

const EMPTY_ROOT = '00'.repeat(HASH_BYTES);
import { EPOCH_RECORD, NODE_RECORD, STORE_FORMAT, decodeEpoch, encodeEpoch, type EpochRecord, type StoreHead } from './store-format.js';

/** What one commit wrote: the bytes appended (O(log M) per published role) and the new head. */
export interface StoreCommit extends CommitResult {
  bytesWritten: number;
  epoch: number;
}

/**
 * A SparseMerkleTree persisted crash-safely in a directory (store-format.ts): a commit appends the epoch's
 * new nodes (the O(log M) path of each changed leaf), its new leaf values and one epoch record, fsyncs,
 * then replaces head.json atomically. Every committed root stays provable after a reopen.
 */
export class MerkleStore {
  private constructor(
    readonly dir: string,
    readonly tree: SparseMerkleTree,
    private head: StoreHead,
    readonly epochs: EpochRecord[],
  ) {}

  /**
   * Opens the store in `dir`, creating an empty one (epoch 0, the empty root) when there is none. With
   * `atRoot`, the state as of the epoch with that root (the one the signed timestamp names): epochs past it
   * were committed by a writer that crashed before writing the timestamp; they are ignored here and
   * overwritten by the next commit (which only a writer holding the repository lock makes).
   */
  static async open(dir: string, atRoot?: string): Promise<MerkleStore> {
    await mkdir(dir, { recursive: true });
    const stored = await readHead(dir);
    const empty: StoreHead = { format: STORE_FORMAT, nodes_bytes: 0, values_bytes: 0, epochs: 0 };
    const all: EpochRecord[] = [];
    if (stored !== undefined) {
      const epochs = await readPrefix(join(dir, 'epochs.bin'), stored.epochs * EPOCH_RECORD);
      for (let i = 0; i < stored.epochs; i++) all.push(decodeEpoch(epochs, i * EPOCH_RECORD));
    }
    let keep = all.length;
    if (atRoot !== undefined && atRoot !== all[all.length - 1]?.root) {
      keep = all.findIndex((e) => e.root === atRoot) + 1;
      if (keep === 0 && atRoot !== EMPTY_ROOT) throw new MerkleStoreError(`merkle store ${dir} has no epoch with root ${atRoot} (the timestamp names a tree the store never committed)`);
    }
    const records = all.slice(0, keep);
    const last = records[records.length - 1];
    const head: StoreHead = last === undefined ? empty : { format: STORE_FORMAT, nodes_bytes: (last.nodeCount - 1) * NODE_RECORD, values_bytes: last.valuesBytes, epochs: keep };
    const [nodes, values] = await Promise.all([
      readPrefix(join(dir, 'nodes.bin'), head.nodes_bytes),
      readPrefix(join(dir, 'values.bin'), head.values_bytes),
    ]);
    const tree = new SparseMerkleTree();
    loadNodes(tree, nodes);
    loadValues(tree, values);
    for (const e of records) {
      if (e.rootNode < 0 || e.rootNode >= tree.nodes.count || e.nodeCount > tree.nodes.count || e.valueCount > tree.values.count) {
        throw new MerkleStoreError(`merkle store ${dir}: epoch record points past the committed nodes`);
      }
    }
    tree.restore(last?.rootNode ?? 0, last?.size ?? 0, records.map((e) => ({ root: e.root, size: e.size, node: e.rootNode })));
    return new MerkleStore(dir, tree, head, records);
  }

  /** The last committed root and size. */
  committedHead(): { root: string; size: number; epoch: number } {
    const h = this.tree.committedHead();
    return { ...h, epoch: this.epochs.length };
  }

  /** Commits the open epoch (no-op when nothing was set) and persists it; returns undefined for a no-op. */
  async commit(): Promise<StoreCommit | undefined> {
    const t = this.tree;
    const nodeStart = this.head.nodes_bytes / NODE_RECORD + 1;
    const valueStart = this.valueCount();
    if (t.nodes.count === nodeStart && t.values.count === valueStart) return undefined;
    const c = t.commit();
    const nodeBytes = Buffer.alloc((t.nodes.count - nodeStart) * NODE_RECORD);
    for (let id = nodeStart, o = 0; id < t.nodes.count; id++, o += NODE_RECORD) {
      nodeBytes.writeUInt8(t.nodes.kind[id]!, o);
      nodeBytes.writeInt32BE(t.nodes.a[id]!, o + 1);
      nodeBytes.writeInt32BE(t.nodes.b[id]!, o + 5);
      t.nodes.hashes.copy(nodeBytes, o + 9, id * HASH_BYTES, (id + 1) * HASH_BYTES);
    }
    const parts: Buffer[] = [];
    for (let vi = valueStart; vi < t.values.count; vi++) {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(t.values.bytes[vi]!.length);
      parts.push(t.values.keyAt(vi), len, Buffer.from(t.values.bytes[vi]!));
    }
    const valueBytes = Buffer.concat(parts);
    const epoch: EpochRecord = {
      rootNode: t.rootNodeId(), size: c.size, nodeCount: t.nodes.count, valueCount: t.values.count, valuesBytes: this.head.values_bytes + valueBytes.length, root: c.root,
    };
    const epochBytes = encodeEpoch(epoch);
    await writeAtOffset(join(this.dir, 'nodes.bin'), this.head.nodes_bytes, nodeBytes);
    await writeAtOffset(join(this.dir, 'values.bin'), this.head.values_bytes, valueBytes);
    await writeAtOffset(join(this.dir, 'epochs.bin'), this.head.epochs * EPOCH_RECORD, epochBytes);
    const head: StoreHead = {
      format: STORE_FORMAT,
      nodes_bytes: this.head.nodes_bytes + nodeBytes.length,
      values_bytes: this.head.values_bytes + valueBytes.length,
      epochs: this.head.epochs + 1,
    };
    const headBytes = Buffer.from(JSON.stringify(head) + '\n');
    await writeFileAtomic(join(this.dir, 'head.json'), headBytes);
    this.head = head;
    this.epochs.push(epoch);
    return { ...c, epoch: this.epochs.length, bytesWritten: nodeBytes.length + valueBytes.length + epochBytes.length + headBytes.length };
  }

  /**
   * For a reader of a store another process writes (the registry serving proofs while its publisher
   * commits): catches up with the epochs committed since this store was opened or last refreshed, reading
   * only what they appended (head.json, one epoch record to check, the new epoch records, nodes and leaf
   * values: O(log M) bytes per publish) instead of reopening the whole store (O(M)). Returns the bytes
   * read, or undefined when the store must be reopened: the history this reader holds was rewritten (an
   * epoch a crashed writer never named in a timestamp, overwritten by the next commit) or the store went
   * back. Never for a store with sets of its own since its last commit.
   */
  async refresh(): Promise<{ bytesRead: number; epochs: number } | undefined> {
    const t = this.tree;
    if (t.nodes.count !== this.head.nodes_bytes / NODE_RECORD + 1 || t.values.count !== this.valueCount()) {
      throw new MerkleStoreError(`merkle store ${this.dir}: refresh of a store with uncommitted sets`);
    }
    const stored = await readHead(this.dir);
    let bytesRead = 0;
    if (stored === undefined) return this.head.epochs === 0 ? { bytesRead, epochs: 0 } : undefined;
    if (stored.epochs < this.head.epochs) return undefined;
    const held = this.epochs.length;
    // the last epoch this reader holds must still be on disk as it was: then every byte below it is too
    const fromRecord = held === 0 ? 0 : (held - 1) * EPOCH_RECORD;
    const records = await readRange(join(this.dir, 'epochs.bin'), fromRecord, stored.epochs * EPOCH_RECORD);
    bytesRead += records.length;
    if (held > 0 && !records.subarray(0, EPOCH_RECORD).equals(encodeEpoch(this.epochs[held - 1]!))) return undefined;
    const fresh: EpochRecord[] = [];
    for (let o = held === 0 ? 0 : EPOCH_RECORD; o < records.length; o += EPOCH_RECORD) fresh.push(decodeEpoch(records, o));
    const last = fresh[fresh.length - 1];
    if (last === undefined) return { bytesRead, epochs: 0 };
    const nodesEnd = (last.nodeCount - 1) * NODE_RECORD;
    if (nodesEnd < this.head.nodes_bytes || last.valuesBytes < this.head.values_bytes) return undefined;
    const [nodes, values] = await Promise.all([
      readRange(join(this.dir, 'nodes.bin'), this.head.nodes_bytes, nodesEnd),
      readRange(join(this.dir, 'values.bin'), this.head.values_bytes, last.valuesBytes),
    ]);
    bytesRead += nodes.length + values.length;
    // everything read: the tree changes in one synchronous step (proofs served meanwhile see the old state)
    loadNodes(t, nodes);
    loadValues(t, values);
    for (const e of fresh) {
      if (e.rootNode < 0 || e.rootNode >= t.nodes.count || e.nodeCount > t.nodes.count || e.valueCount > t.values.count) {
        throw new MerkleStoreError(`merkle store ${this.dir}: epoch record points past the committed nodes`);
      }
    }
    t.restore(last.rootNode, last.size, fresh.map((e) => ({ root: e.root, size: e.size, node: e.rootNode })));
    this.head = { format: STORE_FORMAT, nodes_bytes: nodesEnd, values_bytes: last.valuesBytes, epochs: held + fresh.length };
    this.epochs.push(...fresh);
    return { bytesRead, epochs: fresh.length };
  }

  private valueCount(): number {
    return this.epochs[this.epochs.length - 1]?.valueCount ?? 0;
  }

}

async function readHead(dir: string): Promise<StoreHead | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, 'head.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (bytes.length > 4096) throw new MerkleStoreError(`merkle store ${dir}: head.json is too large`);
  let h: StoreHead;
  try {
    h = JSON.parse(bytes.toString('utf8')) as StoreHead;
  } catch (err) {
    throw new MerkleStoreError(`merkle store ${dir}: head.json is not JSON`, { cause: err });
  }
  const ok = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (h === null || typeof h !== 'object' || h.format !== STORE_FORMAT || !ok(h.nodes_bytes) || !ok(h.values_bytes) || !ok(h.epochs) || h.nodes_bytes % NODE_RECORD !== 0) {
    throw new MerkleStoreError(`merkle store ${dir}: head.json is malformed or of another format`);
  }
  return h;
}

async function readPrefix(file: string, length: number): Promise<Buffer> {
  if (length === 0) return Buffer.alloc(0);
  const size = (await stat(file)).size;
  if (size < length) throw new MerkleStoreError(`${file} holds ${size} bytes, head.json commits ${length} (store damaged)`);
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(length);
    const { bytesRead } = await fh.read(b, 0, length, 0);
    if (bytesRead !== length) throw new MerkleStoreError(`${file}: short read`);
    return b;
  } finally {
    await fh.close();
  }
}

/** Bytes [start, end) of an append-only log, which must hold them (the head committed them). */
async function readRange(file: string, start: number, end: number): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    if (size < end) throw new MerkleStoreError(`${file} holds ${size} bytes, head.json commits ${end} (store damaged)`);
    const b = Buffer.alloc(end - start);
    const { bytesRead } = await fh.read(b, 0, b.length, start);
    if (bytesRead !== b.length) throw new MerkleStoreError(`${file}: short read`);
    return b;
  } finally {
    await fh.close();
  }
}

/** Appends node records after the tree's last node (ids continue: node id = record index + 1). */
function loadNodes(tree: SparseMerkleTree, b: Buffer): void {
  const n = tree.nodes;
  const count = b.length / NODE_RECORD;
  const first = n.count;
  const want = first + count + 1;
  // exact on open; with some slack when a refresh appends a few nodes at a time
  if (want > n.kind.length) n.grow(first === 1 ? Math.max(1024, want) : Math.max(want, n.kind.length + (n.kind.length >> 3)));
  for (let i = 0, o = 0; i < count; i++, o += NODE_RECORD) {
    const id = first + i;
    n.kind[id] = b.readUInt8(o);
    n.a[id] = b.readInt32BE(o + 1);
    n.b[id] = b.readInt32BE(o + 5);
    b.copy(n.hashes, id * HASH_BYTES, o + 9, o + 9 + HASH_BYTES);
    n.valid[id] = 1;
  }
  n.count = first + count;
}

function loadValues(tree: SparseMerkleTree, b: Buffer): void {
  for (let o = 0; o < b.length; ) {
    if (o + HASH_BYTES + 4 > b.length) throw new MerkleStoreError('values.bin: truncated record');
    const key = b.subarray(o, o + HASH_BYTES);
    const len = b.readUInt32BE(o + HASH_BYTES);
    const start = o + HASH_BYTES + 4;
    if (start + len > b.length) throw new MerkleStoreError('values.bin: truncated record');
    const bytes = new Uint8Array(b.subarray(start, start + len));
    const name = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { name: string }).name;
    tree.values.add(key, name, bytes);
    o = start + len;
  }
}
