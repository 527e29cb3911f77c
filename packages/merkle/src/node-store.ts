import { HASH_BYTES } from './hash.js';

export const KIND_INTERNAL = 1;
export const KIND_LEAF = 2;

/**
 * The tree's nodes in growable typed arrays (no object per node: a million-leaf tree has about 2.5 million
 * nodes). Node id 0 is the empty subtree. Internal node: a = left child id, b = right child id. Leaf node:
 * a = index into the value store. `hashes` holds 32 bytes per node; `valid` says whether that hash is
 * current (hashes are computed lazily, once per epoch, so many publishes share the work).
 */
export class NodeStore {
  kind: Uint8Array;
  a: Int32Array;
  b: Int32Array;
  valid: Uint8Array;
  hashes: Buffer;
  count = 1;

  constructor(capacity = 1024) {
    this.kind = new Uint8Array(capacity);
    this.a = new Int32Array(capacity);
    this.b = new Int32Array(capacity);
    this.valid = new Uint8Array(capacity);
    this.hashes = Buffer.alloc(capacity * HASH_BYTES);
    this.valid[0] = 1; // the empty subtree's hash is the zero bytes already there
  }

  allocate(kind: number, a: number, b: number): number {
    if (this.count === this.kind.length) this.grow(this.count * 2);
    const id = this.count++;
    this.kind[id] = kind;
    this.a[id] = a;
    this.b[id] = b;
    this.valid[id] = 0;
    return id;
  }

  hashAt(id: number): Buffer {
    return this.hashes.subarray(id * HASH_BYTES, (id + 1) * HASH_BYTES);
  }

  setHash(id: number, h: Uint8Array): void {
    this.hashes.set(h, id * HASH_BYTES);
    this.valid[id] = 1;
  }

  grow(capacity: number): void {
    const kind = new Uint8Array(capacity);
    kind.set(this.kind);
    const a = new Int32Array(capacity);
    a.set(this.a);
    const b = new Int32Array(capacity);
    b.set(this.b);
    const valid = new Uint8Array(capacity);
    valid.set(this.valid);
    const hashes = Buffer.alloc(capacity * HASH_BYTES);
    this.hashes.copy(hashes);
    Object.assign(this, { kind, a, b, valid, hashes });
  }
}

/** Leaf values: key (32 bytes each, in one buffer), the role name and the encoded leaf bytes. */
export class ValueStore {
  keys: Buffer;
  names: string[] = [];
  bytes: Uint8Array[] = [];

  constructor(capacity = 1024) {
    this.keys = Buffer.alloc(capacity * HASH_BYTES);
  }

  get count(): number {
    return this.names.length;
  }

  add(key: Uint8Array, name: string, bytes: Uint8Array): number {
    const i = this.names.length;
    if ((i + 1) * HASH_BYTES > this.keys.length) {
      const keys = Buffer.alloc(this.keys.length * 2);
      this.keys.copy(keys);
      this.keys = keys;
    }
    this.keys.set(key, i * HASH_BYTES);
    this.names.push(name);
    this.bytes.push(bytes);
    return i;
  }

  keyAt(i: number): Buffer {
    return this.keys.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }
}
