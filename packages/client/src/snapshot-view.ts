// The one question the delegation search asks of the snapshot: "which version (and, when signed, which
// length/hashes) does the current snapshot give role R?". Classic TUF answers from snapshot.json; a TAP 16
// sparse-Merkle profile can answer from a proof per role without touching the search.
import { MetaFile, type Snapshot } from '@tufpm/models';

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

/**
 * SnapshotView over the `meta` of a snapshot adopted from the cache (TrustedMetadataSet.adoptCachedSnapshot):
 * its signature and its hash in the trusted timestamp are already checked over the bytes it came from, so
 * each entry is decoded (strictly, by MetaFile.fromJSON) only when a lookup asks for that role, instead of
 * building an object for each of the hundred thousand roles a large registry lists.
 */
export class LazySnapshotView implements SnapshotView {
  readonly version: number;
  readonly #meta: Readonly<Record<string, unknown>>;
  readonly #decoded = new Map<string, MetaFile | undefined>();
  constructor(version: number, meta: Readonly<Record<string, unknown>>) {
    this.version = version;
    this.#meta = meta;
  }
  metaFor(roleName: string): MetaFile | undefined {
    const key = `${roleName}.json`;
    if (this.#decoded.has(key)) return this.#decoded.get(key);
    // own properties only: JSON.parse makes "__proto__" an own key, and nothing is inherited
    const raw = Object.hasOwn(this.#meta, key) ? this.#meta[key] : undefined;
    const meta = raw === undefined ? undefined : MetaFile.fromJSON(raw, `snapshot.meta.${key}`);
    this.#decoded.set(key, meta);
    return meta;
  }
}
