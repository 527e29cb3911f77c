// A Merkle-profile TUF repository for the auditor's tests: real ed25519 signatures over canonical JSON,
// a persistent SparseMerkleTree committed once per epoch (deltas as the repository side writes them), served
// over HTTP on 127.0.0.1. Knobs let a test play a registry holding the online keys: sign any tree head and
// serve any delta.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SparseMerkleTree, deltaOf, encodeDelta, encodeProof, leafForRoleFile, type LeafValue, type MerkleDelta } from '@tufpm/merkle';
import { canonicalize, encodeRoleName, generateEd25519KeyPair, type Signer } from '@tufpm/models';

type Json = Record<string, unknown>;
const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function sign(signed: Json, signer: Signer): Uint8Array {
  return canonicalize({ signatures: [{ keyid: signer.key.keyid, sig: signer.sign(canonicalize(signed)) }], signed });
}

export class MerkleRepo {
  readonly files = new Map<string, Uint8Array>();
  readonly tree = new SparseMerkleTree();
  readonly signers = new Map<string, Signer>();
  readonly rootBytes: Uint8Array;
  epoch = 0;
  timestampVersion = 0;
  #server: http.Server | undefined;
  metadataUrl = '';

  constructor() {
    const keys: Json = {};
    const roles: Json = {};
    for (const role of ['root', 'timestamp', 'snapshot', 'targets']) {
      const { signer, key } = generateEd25519KeyPair();
      this.signers.set(role, signer);
      keys[key.keyid] = key.toJSON();
      roles[role] = { keyids: [key.keyid], threshold: 1 };
    }
    const root = { _type: 'root', spec_version: '1.0.31', version: 1, expires, consistent_snapshot: true, keys, roles, 'x-tufpm-snapshot': 'merkle' };
    this.rootBytes = sign(root, this.signers.get('root')!);
    this.files.set('1.root.json', this.rootBytes);
    const targets = sign({ _type: 'targets', spec_version: '1.0.31', version: 1, expires, targets: {} }, this.signers.get('targets')!);
    this.files.set('1.targets.json', targets);
    this.publish({ targets: leafForRoleFile(1, targets) });
  }

  /** an honest epoch: set the leaves, commit, write delta.json, sign the new head into a timestamp */
  publish(leaves: Record<string, LeafValue>): { root: string; size: number } {
    for (const [name, value] of Object.entries(leaves)) this.tree.set(name, value);
    const commit = this.tree.commit();
    this.files.set(`merkle/${commit.root}/delta.json`, encodeDelta(deltaOf(this.tree, commit)));
    this.signHead({ root: commit.root, size: commit.size });
    return { root: commit.root, size: commit.size };
  }

  /** a new timestamp (next epoch) signing `head`, whatever tree it belongs to */
  signHead(head: { root: string; size: number }, delta?: MerkleDelta): void {
    this.epoch += 1;
    this.timestampVersion += 1;
    if (delta !== undefined) this.files.set(`merkle/${head.root}/delta.json`, encodeDelta(delta));
    const ts = { _type: 'timestamp', spec_version: '1.0.31', version: this.timestampVersion, expires, meta: { 'snapshot.json': { version: this.epoch } }, 'x-tufpm-merkle': head };
    this.files.set('timestamp.json', sign(ts, this.signers.get('timestamp')!));
  }

  /** the proofs a tree other than the honest one makes (for a forged head): served from `tree` */
  proofsFrom: SparseMerkleTree | undefined;

  async serve(): Promise<void> {
    this.#server = http.createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').replace(/^\/metadata\//, ''));
      let body = this.files.get(path);
      const proof = /^merkle\/([0-9a-f]{64})\/(.+)\.proof\.json$/.exec(path);
      if (body === undefined && proof !== null) {
        const tree = this.proofsFrom ?? this.tree;
        if (tree.hasRoot(proof[1]!)) body = encodeProof(tree.prove(proof[2]!, proof[1]!));
      }
      if (body === undefined) return void res.writeHead(404).end();
      res.writeHead(200).end(body);
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.metadataUrl = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/metadata/`;
  }

  async close(): Promise<void> {
    const s = this.#server;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

export { encodeRoleName };
