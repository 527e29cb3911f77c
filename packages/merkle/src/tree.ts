import { createHash } from 'node:crypto';
import { EMPTY, HASH_BYTES, equalBytes, keyBit, leafHash, leafKey, parseHash, toHex } from './hash.js';
import { encodeLeaf, parseLeafObject, type LeafValue } from './leaf.js';
import { KIND_INTERNAL, KIND_LEAF, NodeStore, ValueStore } from './node-store.js';
import { MerkleProofError } from './errors.js';
import { type MerkleProof } from './proof.js';

/** A committed tree state: what the timestamp signs (`x-tufpm-merkle`). */
export interface TreeHead {
  root: string;
  size: number;
}

/** What one commit (one epoch) changed: for persistence (new node ids) and for delta.json (new leaves). */
export interface CommitResult extends TreeHead {
  previousRoot: string;
  previousSize: number;
  /** Node ids created in this epoch and reachable from the new root, children before parents. */
  newNodes: number[];
  /** Value indices of the leaves set in this epoch (the last value per role), sorted by role name. */
  changedValues: number[];
}

interface RootRef {
  node: number;
  size: number;
}

const NODE_SCRATCH = Buffer.alloc(1 + 2 * HASH_BYTES);
NODE_SCRATCH[0] = 1;

/**
 * Sparse Merkle tree over sha256(role name) keys with shortcut leaves (ADR 0021): a subtree with one leaf is
 * that leaf, so depth is about log2(M). Copy-on-write after commit(): each committed root stays provable
 * (proofs are served per root) and an epoch's publishes allocate only the O(log M) nodes on their paths.
 * Hashes are computed lazily at root()/commit(), so publishes in one epoch share the work and the root.
 */
export class SparseMerkleTree {
  readonly nodes = new NodeStore();
  readonly values = new ValueStore();
  private rootNode = 0;
  private leafCount = 0;
  /** Node ids below this are committed and immutable; ids at or above it belong to the open epoch. */
  private frozen = 1;
  private readonly committed = new Map<string, RootRef>();
  private head: TreeHead = { root: toHex(EMPTY), size: 0 };

  constructor() {
    this.committed.set(this.head.root, { node: 0, size: 0 });
  }

  /** Adds or replaces the leaf of `roleName` (a tombstone is a leaf too: unpublish never deletes). */
  set(roleName: string, value: LeafValue): void {
    const bytes = encodeLeaf(roleName, value);
    const key = leafKey(roleName);
    const vi = this.values.add(key, roleName, bytes);
    const leaf = this.nodes.allocate(KIND_LEAF, vi, 0);
    this.nodes.setHash(leaf, leafHash(key, bytes));
    this.rootNode = this.insert(this.rootNode, 0, key, leaf);
  }

  get(roleName: string, root?: string): LeafValue | undefined {
    const vi = this.findValue(leafKey(roleName), this.rootRef(root).node);
    return vi === undefined ? undefined : this.valueAt(vi);
  }

  /** Drops everything set since the last commit (the committed nodes were never touched: copy-on-write). */
  rollback(): void {
    const ref = this.committed.get(this.head.root)!;
    this.rootNode = ref.node;
    this.leafCount = ref.size;
  }

  /** The current root hash (computes the hashes the open epoch invalidated). */
  root(): Uint8Array {
    this.rehash(this.rootNode);
    return Buffer.from(this.nodes.hashAt(this.rootNode));
  }

  size(): number {
    return this.leafCount;
  }

  /** The last committed head. */
  committedHead(): TreeHead {
    return { ...this.head };
  }

  /** Node id of the current root (the store records it per epoch). */
  rootNodeId(): number {
    return this.rootNode;
  }

  hasRoot(rootHex: string): boolean {
    return this.committed.has(rootHex);
  }

  /** Closes the epoch: hashes, freezes the nodes (later sets copy them) and keeps this root provable. */
  commit(): CommitResult {
    const root = toHex(this.root());
    const previous = this.head;
    const newNodes: number[] = [];
    this.collectNew(this.rootNode, newNodes);
    const changed = new Map<string, number>();
    for (const id of newNodes) {
      if (this.nodes.kind[id] === KIND_LEAF) changed.set(this.values.names[this.nodes.a[id]!]!, this.nodes.a[id]!);
    }
    const changedValues = [...changed.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map((e) => e[1]);
    this.frozen = this.nodes.count;
    this.head = { root, size: this.leafCount };
    this.committed.set(root, { node: this.rootNode, size: this.leafCount });
    return { root, size: this.leafCount, previousRoot: previous.root, previousSize: previous.size, newNodes, changedValues };
  }

  /** Proof that `roleName` is present (with its leaf) or absent under `root` (a committed root; default: current). */
  prove(roleName: string, root?: string): MerkleProof {
    const ref = this.rootRef(root);
    if (root === undefined) this.rehash(ref.node);
    const key = leafKey(roleName);
    const n = this.nodes;
    const siblings: string[] = [];
    const bits: number[] = [];
    let node = ref.node;
    let depth = 0;
    while (n.kind[node] === KIND_INTERNAL) {
      const bit = keyBit(key, depth);
      const sibling = bit ? n.a[node]! : n.b[node]!;
      bits.push(sibling === 0 ? 0 : 1);
      if (sibling !== 0) siblings.push(n.hashAt(sibling).toString('hex'));
      node = bit ? n.b[node]! : n.a[node]!;
      depth++;
    }
    const bitmap = Buffer.alloc(Math.ceil(depth / 8));
    bits.forEach((b, j) => {
      if (b) bitmap[j >> 3]! |= 0x80 >> (j & 7);
    });
    const proof: MerkleProof = { root: n.hashAt(ref.node).toString('hex'), name: roleName, leaf: null, depth, bitmap: bitmap.toString('hex'), siblings };
    if (n.kind[node] === KIND_LEAF) {
      const vi = n.a[node]!;
      const otherKey = this.values.keyAt(vi);
      if (equalBytes(otherKey, key)) {
        proof.leaf = JSON.parse(Buffer.from(this.values.bytes[vi]!).toString('utf8')) as MerkleProof['leaf'];
      } else {
        proof.other = { key: otherKey.toString('hex'), value_hash: sha256Hex(this.values.bytes[vi]!) };
      }
    }
    return proof;
  }

  /** The committed root a caller names, or the current one. */
  private rootRef(root: string | undefined): RootRef {
    if (root === undefined) return { node: this.rootNode, size: this.leafCount };
    const ref = parseHash(root) === undefined ? undefined : this.committed.get(root);
    if (ref === undefined) throw new MerkleProofError(`tree: unknown root ${String(root).slice(0, 80)}`);
    return ref;
  }

  valueAt(vi: number): LeafValue {
    return parseLeafObject(JSON.parse(Buffer.from(this.values.bytes[vi]!).toString('utf8'))).value;
  }

  /** Every committed leaf's value index under `root` (default: current), in key order. */
  *leafValues(root?: string): Generator<number> {
    const stack = [this.rootRef(root).node];
    const n = this.nodes;
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (id === 0) continue;
      if (n.kind[id] === KIND_LEAF) yield n.a[id]!;
      else stack.push(n.b[id]!, n.a[id]!);
    }
  }

  private findValue(key: Uint8Array, node: number): number | undefined {
    const n = this.nodes;
    let depth = 0;
    while (n.kind[node] === KIND_INTERNAL) node = keyBit(key, depth++) ? n.b[node]! : n.a[node]!;
    if (node === 0) return undefined;
    const vi = n.a[node]!;
    return equalBytes(this.values.keyAt(vi), key) ? vi : undefined;
  }

  private insert(node: number, depth: number, key: Uint8Array, leaf: number): number {
    const n = this.nodes;
    if (node === 0) {
      this.leafCount++;
      return leaf;
    }
    if (n.kind[node] === KIND_LEAF) {
      const otherKey = this.values.keyAt(n.a[node]!);
      if (equalBytes(otherKey, key)) return leaf;
      this.leafCount++;
      return this.split(node, otherKey, leaf, key, depth);
    }
    const bit = keyBit(key, depth);
    const child = this.insert(bit ? n.b[node]! : n.a[node]!, depth + 1, key, leaf);
    const id = node >= this.frozen ? node : n.allocate(KIND_INTERNAL, n.a[node]!, n.b[node]!);
    if (bit) n.b[id] = child;
    else n.a[id] = child;
    n.valid[id] = 0;
    return id;
  }

  /** Two leaves in one subtree: internal nodes down to the first bit where their keys differ. */
  private split(oldLeaf: number, oldKey: Uint8Array, newLeaf: number, newKey: Uint8Array, depth: number): number {
    let d = depth;
    while (keyBit(oldKey, d) === keyBit(newKey, d)) d++;
    const n = this.nodes;
    let sub = keyBit(newKey, d) ? n.allocate(KIND_INTERNAL, oldLeaf, newLeaf) : n.allocate(KIND_INTERNAL, newLeaf, oldLeaf);
    for (let j = d - 1; j >= depth; j--) sub = keyBit(newKey, j) ? n.allocate(KIND_INTERNAL, 0, sub) : n.allocate(KIND_INTERNAL, sub, 0);
    return sub;
  }

  private rehash(node: number): void {
    const n = this.nodes;
    if (n.valid[node]) return;
    const l = n.a[node]!;
    const r = n.b[node]!;
    this.rehash(l);
    this.rehash(r);
    n.hashes.copy(NODE_SCRATCH, 1, l * HASH_BYTES, (l + 1) * HASH_BYTES);
    n.hashes.copy(NODE_SCRATCH, 1 + HASH_BYTES, r * HASH_BYTES, (r + 1) * HASH_BYTES);
    n.setHash(node, l === 0 && r === 0 ? EMPTY : createHash('sha256').update(NODE_SCRATCH).digest());
  }

  private collectNew(node: number, out: number[]): void {
    if (node < this.frozen) return;
    if (this.nodes.kind[node] === KIND_INTERNAL) {
      this.collectNew(this.nodes.a[node]!, out);
      this.collectNew(this.nodes.b[node]!, out);
    }
    out.push(node);
  }

  /** Restores committed state from a store (tree-store.ts); not for general use. */
  restore(rootNode: number, size: number, heads: Array<TreeHead & { node: number }>): void {
    this.rootNode = rootNode;
    this.leafCount = size;
    this.frozen = this.nodes.count;
    for (const h of heads) this.committed.set(h.root, { node: h.node, size: h.size });
    const last = heads[heads.length - 1];
    if (last !== undefined) this.head = { root: last.root, size: last.size };
  }
}

function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
