import { HASH_BYTES } from './hash.js';

/**
 * On-disk records of the tree store (store.ts). All logs are append-only; head.json, replaced atomically
 * after the logs are fsynced, says how many bytes of each are committed, so a crash mid-append leaves
 * bytes past the head that the next open ignores and the next commit overwrites.
 *
 *   nodes.bin   41 bytes per node, node id = record index + 1: kind u8, a i32, b i32, hash[32]
 *   values.bin  per leaf value: key[32], length u32, leaf bytes (canonical JSON)
 *   epochs.bin  60 bytes per committed root: root node i32, size f64, node count u32, value count u32,
 *               values.bin length f64, root[32]
 */
export const NODE_RECORD = 1 + 4 + 4 + HASH_BYTES;
export const EPOCH_RECORD = 4 + 8 + 4 + 4 + 8 + HASH_BYTES;
export const STORE_FORMAT = 1;

export interface StoreHead {
  format: number;
  nodes_bytes: number;
  values_bytes: number;
  epochs: number;
}

export interface EpochRecord {
  rootNode: number;
  size: number;
  /** Node count (ids below it) and value count when this root was committed. */
  nodeCount: number;
  valueCount: number;
  valuesBytes: number;
  root: string;
}

export function encodeEpoch(e: EpochRecord): Buffer {
  const b = Buffer.alloc(EPOCH_RECORD);
  b.writeInt32BE(e.rootNode, 0);
  b.writeDoubleBE(e.size, 4);
  b.writeUInt32BE(e.nodeCount, 12);
  b.writeUInt32BE(e.valueCount, 16);
  b.writeDoubleBE(e.valuesBytes, 20);
  Buffer.from(e.root, 'hex').copy(b, 28);
  return b;
}

export function decodeEpoch(b: Buffer, offset: number): EpochRecord {
  return {
    rootNode: b.readInt32BE(offset),
    size: b.readDoubleBE(offset + 4),
    nodeCount: b.readUInt32BE(offset + 12),
    valueCount: b.readUInt32BE(offset + 16),
    valuesBytes: b.readDoubleBE(offset + 20),
    root: b.subarray(offset + 28, offset + 28 + HASH_BYTES).toString('hex'),
  };
}
