// The RepoSim in the Merkle snapshot profile (TAP 16, ADR 0022): the root declares the profile, and
// publishTree() builds the sparse Merkle tree of every published targets role (@tufpm/merkle, the
// repository side's own tree), signs its root and size into a new timestamp and serves one proof file per
// role under merkle/<root>/. Old trees' proofs stay served (they are immutable), as on a real host.
import { createHash } from 'node:crypto';
import { SparseMerkleTree, type LeafValue } from '@tufpm/merkle';
import { canonicalize, encodeRoleName } from '@tufpm/models';
import { RepoSim } from './simulator.js';

const TOP = new Set(['root', 'timestamp', 'snapshot']);

export interface PublishedTree {
  tree: SparseMerkleTree;
  root: string;
  size: number;
  epoch: number;
  /** the proof file served for `role` under this root */
  proof(role: string): Record<string, unknown>;
}

export function proofPath(root: string, role: string): string {
  return `metadata/merkle/${root}/${encodeRoleName(role)}.proof.json`;
}

export class MerkleSim extends RepoSim {
  epoch = 0;
  /** leaves overridden by the test (what a compromised online key could put in the tree) */
  readonly leafOverrides = new Map<string, LeafValue>();
  /** leaves kept as they were when last published (a role the tree does not update) */
  readonly trees: PublishedTree[] = [];

  constructor() {
    super();
    this.root['x-tufpm-snapshot'] = 'merkle';
    this.publish('root', false); // root v1 re-signed with the profile
    this.publishTree();
  }

  leafFor(role: string): LeafValue {
    const bytes = this.latest.get(role)!;
    return { version: this.signed.get(role)!.version, length: bytes.length, hashes: { sha256: createHash('sha256').update(bytes).digest('hex') } };
  }

  /**
   * A new epoch: the tree of every published targets role (`edit` may change the leaves, as a registry holding
   * the online keys could), its root and size in a new timestamp. Each epoch is a fresh tree, so a test can
   * also remove leaves (which an honest registry never does).
   */
  publishTree(edit?: (leaves: Map<string, LeafValue>) => void): PublishedTree {
    const leaves = new Map<string, LeafValue>();
    for (const role of this.published.keys()) {
      if (!TOP.has(role)) leaves.set(role, this.leafOverrides.get(role) ?? this.leafFor(role));
    }
    edit?.(leaves);
    const tree = new SparseMerkleTree();
    for (const [role, value] of leaves) tree.set(role, value);
    tree.commit();
    this.epoch += 1;
    const root = Buffer.from(tree.root()).toString('hex');
    const size = tree.size();
    this.timestamp.meta = { 'snapshot.json': { version: this.epoch } };
    this.timestamp['x-tufpm-merkle'] = { root, size };
    this.publish('timestamp');
    const published: PublishedTree = { tree, root, size, epoch: this.epoch, proof: (role) => tree.prove(role) as unknown as Record<string, unknown> };
    for (const role of [...this.published.keys(), 'absent-role', 'pkg', 'other']) {
      if (!TOP.has(role)) this.overrides.set(proofPath(root, role), canonicalize(tree.prove(role)));
    }
    this.trees.push(published);
    return published;
  }

  /** serve `proof` (any JSON) as the proof of `role` under `root` */
  serveProof(root: string, role: string, proof: unknown): void {
    this.overrides.set(proofPath(root, role), canonicalize(proof));
  }
}
