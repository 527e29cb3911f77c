/**
 * The seam through which TUF signing plugs into publishing. The registry calls every hook's
 * `beforeAccept` after all of its own checks; a hook refuses the publish by throwing a TufError (a
 * RegistryError chooses the HTTP status, any other TufError becomes 403 with its message).
 *
 * `store` writes the tarball and the packument. A signing hook calls it after its own checks and before
 * it persists any metadata that names the tarball (under its repository lock), so no signed target is
 * ever without its file; if the hook then fails, the registry undoes the store. A hook that does not
 * call it (a check) runs before the files exist; the registry stores after the last hook. Put a signing
 * hook last: a later hook that refuses undoes the files, not the signature. `afterAccept` runs once the
 * tarball and packument are on disk. Publishes to one registry directory are serialized, so hooks never
 * run concurrently with each other for the same directory.
 */
export interface PublishHook {
  beforeAccept?(publish: PublishEvent, store: () => Promise<void>): Promise<void>;
  afterAccept?(publish: PublishEvent): Promise<void>;
}

export interface PublishEvent {
  /** The registry directory (absolute). */
  dir: string;
  name: string;
  version: string;
  /** The exact tarball bytes that will be served. */
  tarball: Uint8Array;
  /** The version manifest as stored (dist.tarball relative: the target path). */
  manifest: VersionManifest;
  /** The TUF target path and URL path below the registry root: `@babel/core/-/core-7.24.0.tgz`. */
  tarballPath: string;
  /** Where the tarball is (afterAccept) or will be (beforeAccept) on disk. */
  tarballFile: string;
  length: number;
  /** Lower-case hex digests of the tarball, ready for a TUF target entry. */
  hashes: { sha256: string; sha512: string };
  /** The dist-tags this publish sets. */
  distTags: Record<string, string>;
  /** All of the package's dist-tags once this publish is stored (what its signed release list must say). */
  packumentDistTags: Record<string, string>;
  /** The token owner for HTTP publishes; undefined for programmatic `addPackageVersion`. */
  user: string | undefined;
  /**
   * The npm publish document without attachment data (top-level fields such as `access`, and any extra
   * field a signing client sends, e.g. maintainer-signed role metadata). Empty for programmatic adds.
   */
  document: Record<string, unknown>;
}

/** A stored version manifest: the tarball's package.json minus `_`-fields, plus registry fields. */
export interface VersionManifest {
  name: string;
  version: string;
  _id: string;
  dist: { tarball: string; integrity: string; shasum: string; fileCount?: number; unpackedSize?: number };
  [field: string]: unknown;
}
