// The one question the delegation search asks of the snapshot: "which version (and, when signed, which
// length/hashes) does the current snapshot give role R?". Classic TUF answers from snapshot.json; a TAP 16
// sparse-Merkle profile can answer from a proof per role without touching the search.
import type { MetaFile, Snapshot } from '@tufpm/models';

export interface SnapshotView {
  /** version of the snapshot the answers come from */
  readonly version: number;
  /** signed meta of targets role `roleName` (not URL-encoded), or undefined when the snapshot omits it */
  metaFor(roleName: string): MetaFile | undefined;
}

/** SnapshotView over a whole, already verified snapshot.json (the classic profile). */
export class ClassicSnapshotView implements SnapshotView {
  readonly #snapshot: Snapshot;
  constructor(snapshot: Snapshot) {
    this.#snapshot = snapshot;
  }
  get version(): number {
    return this.#snapshot.version;
  }
  metaFor(roleName: string): MetaFile | undefined {
    return this.#snapshot.meta.get(`${roleName}.json`);
  }
}
