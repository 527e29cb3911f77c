import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, parseReleaseIndex, releaseIndexPath, type ReleaseIndex, type Targets } from '@tufpm/models';
import { merkleLeafVersion, timestampMerkleHead } from '@tufpm/registry';
import { metadataFileName } from '@tufpm/repo';

/** A role file larger than this is not read by the filter (the installers' own bound is the same order). */
const MAX_ROLE_BYTES = 32 * 1024 * 1024;
/** Bins kept parsed between requests: enough for a burst of packuments, small next to Verdaccio (memory). */
const CACHED_ROLES = 16;

async function readBounded(file: string): Promise<Uint8Array> {
  const size = (await stat(file)).size;
  if (size > MAX_ROLE_BYTES) throw new Error(`${file} is larger than ${MAX_ROLE_BYTES} bytes`);
  return new Uint8Array(await readFile(file));
}

interface Served {
  /** what the served timestamp names: the snapshot version, or the Merkle tree root */
  servedKey: string;
  /** a role's version in the served snapshot, or its leaf under the served tree root */
  versionOf: (name: string) => Promise<number | undefined>;
  targets: Metadata<Targets>;
}

/**
 * The signed release list (ADR 0013) of a package as the registry serves it now: timestamp -> snapshot ->
 * targets -> the role that covers `<name>/-/tufpm-releases.json` (its maintainers' role, or through
 * `unclaimed` its hash bin). These are the registry's own files, read to shape what Verdaccio serves
 * (filter.ts); the installers verify every signature themselves, so nothing here is trusted by them.
 * Only the top-level chain and a few recently used roles are kept parsed.
 */
export class SignedReleaseLists {
  private served: Served | undefined;
  private readonly roles = new Map<string, Metadata<Targets>>();

  constructor(private readonly metadataDir: string) {}

  private async current(): Promise<Served> {
    const ts = Metadata.timestamp(await readBounded(join(this.metadataDir, 'timestamp.json')));
    const head = timestampMerkleHead(ts.signed.unrecognized);
    let servedKey: string;
    let versionOf: Served['versionOf'];
    if (head !== undefined) {
      // Merkle profile (ADR 0021): there is no snapshot file; each role's version is its leaf under the signed
      // root (before, this read `<v>.snapshot.json`, threw, and Verdaccio served packuments unfiltered: red team s7 F3).
      const root = head.root;
      servedKey = `merkle:${root}`;
      if (this.served?.servedKey === servedKey) return this.served;
      versionOf = (name) => merkleLeafVersion(this.metadataDir, root, name);
    } else {
      const snapshotVersion = ts.signed.snapshotMeta.version;
      servedKey = `snapshot:${snapshotVersion}`;
      if (this.served?.servedKey === servedKey) return this.served;
      const snapshot = Metadata.snapshot(await readBounded(join(this.metadataDir, metadataFileName('snapshot', snapshotVersion, true))));
      const versions = new Map<string, number>();
      for (const [file, meta] of snapshot.signed.meta) versions.set(file.slice(0, -'.json'.length), meta.version);
      versionOf = async (name) => versions.get(name);
    }
    const targets = await this.readRole('targets', versionOf);
    this.served = { servedKey, versionOf, targets };
    return this.served;
  }

  private async readRole(name: string, versionOf: Served['versionOf']): Promise<Metadata<Targets>> {
    const version = await versionOf(name);
    if (version === undefined) throw new Error(`the served snapshot does not list ${name}`);
    const key = `${version}.${name}`;
    const cached = this.roles.get(key);
    if (cached !== undefined) {
      this.roles.delete(key);
      this.roles.set(key, cached); // most recently used last
      return cached;
    }
    const md = Metadata.targets(await readBounded(join(this.metadataDir, metadataFileName(name, version, true))));
    this.roles.set(key, md);
    while (this.roles.size > CACHED_ROLES) this.roles.delete(this.roles.keys().next().value!);
    return md;
  }

  /** The package's signed release list, or undefined when no role of the served metadata signs one. */
  async releaseList(name: string): Promise<ReleaseIndex | undefined> {
    const served = await this.current();
    const path = releaseIndexPath(name);
    // The npm profile is two levels deep: targets -> claimed role | unclaimed -> hash bin (TUF 5.6.7.2 order).
    let role = served.targets;
    for (let depth = 0; depth < 3; depth++) {
      const target = role.signed.targets.get(path);
      if (target !== undefined) {
        const parsed = parseReleaseIndex(target.custom);
        return parsed.kind === 'signed' ? parsed.value : undefined;
      }
      const next = role.signed.delegations?.rolesForTarget(path)[0];
      if (next === undefined) return undefined;
      role = await this.readRole(next.name, served.versionOf);
    }
    return undefined;
  }
}
