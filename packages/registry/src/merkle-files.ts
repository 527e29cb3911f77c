// Serving the Merkle snapshot profile's immutable files (ADR 0021) under /-/tuf/metadata/merkle/<root>/:
// delta.json and auditors' cosignatures from disk; a role's proof from disk when materialized, else
// generated from the repository's tree store (the same bytes: proofs are canonical JSON of a pure function
// of root and role name). Everything is immutable per root, so it may be cached forever.
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_MAX_DELTA_BYTES, MAX_PROOF_BYTES, MAX_ROLE_NAME_LENGTH, MerkleStore, encodeProof, merkleRootDir, proofFileName, readBoundedFile, storeDirOf } from '@tufpm/merkle';

const ROOT_HEX = /^[0-9a-f]{64}$/;
const KEYID_FILE = /^[0-9a-f]{64}\.json$/;
const PROOF_SUFFIX = '.proof.json';
const MAX_COSIGNATURE_BYTES = 64 * 1024;

/**
 * The tree store of one metadata dir, kept in memory across publishes: when its head.json changes (a publish
 * committed an epoch) the store reads only what the new epochs appended (MerkleStore.refresh: O(log M) bytes
 * per publish), and is reopened whole (O(M)) only on first use or when its history was rewritten.
 */
class ProofSource {
  private store: MerkleStore | undefined;
  private stamp = '';
  private loading: Promise<MerkleStore> | undefined;

  constructor(private readonly metadataDir: string) {}

  async current(): Promise<MerkleStore | undefined> {
    let stamp: string;
    try {
      const st = await lstat(join(storeDirOf(this.metadataDir), 'head.json'));
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (this.store !== undefined && stamp === this.stamp) return this.store;
    // One reload at a time; concurrent requests share it.
    this.loading ??= this.reload().finally(() => {
      this.loading = undefined;
    });
    this.store = await this.loading;
    this.stamp = stamp;
    return this.store;
  }

  private async reload(): Promise<MerkleStore> {
    if (this.store !== undefined && (await this.store.refresh()) !== undefined) return this.store;
    return MerkleStore.open(storeDirOf(this.metadataDir));
  }
}

const sources = new Map<string, ProofSource>();

async function readRegular(file: string, max: number): Promise<Uint8Array | undefined> {
  try {
    const read = await readBoundedFile(file, max, { noFollow: true });
    return read.kind === 'file' ? read.bytes : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** The bytes of merkle/<root>/<rest...> for a metadata dir, or undefined (404). `rest` are raw URL segments. */
export async function resolveMerkleFile(metadataDir: string, root: string, rest: readonly string[]): Promise<Uint8Array | undefined> {
  if (!ROOT_HEX.test(root)) return undefined;
  const dir = join(metadataDir, merkleRootDir(root));
  if (rest.length === 1 && rest[0] === 'delta.json') return readRegular(join(dir, 'delta.json'), DEFAULT_MAX_DELTA_BYTES);
  if (rest.length === 2 && rest[0] === 'auditors' && KEYID_FILE.test(rest[1]!)) return readRegular(join(dir, 'auditors', rest[1]!), MAX_COSIGNATURE_BYTES);
  if (rest.length !== 1 || !rest[0]!.endsWith(PROOF_SUFFIX)) return undefined;
  let role: string;
  try {
    role = decodeURIComponent(rest[0]!.slice(0, -PROOF_SUFFIX.length));
  } catch (err) {
    if (err instanceof URIError) return undefined;
    throw err;
  }
  if (role.length === 0 || role.length > MAX_ROLE_NAME_LENGTH || role.startsWith('.')) return undefined;
  const materialized = await readRegular(join(dir, proofFileName(role)), MAX_PROOF_BYTES);
  if (materialized !== undefined) return materialized;
  let source = sources.get(metadataDir);
  if (source === undefined) {
    source = new ProofSource(metadataDir);
    sources.set(metadataDir, source);
  }
  const store = await source.current();
  if (store === undefined || !store.tree.hasRoot(root)) return undefined;
  return encodeProof(store.tree.prove(role, root));
}

/** The version a role's leaf holds under `root` in the repository's tree store (health report), if present. */
export async function merkleLeafVersion(metadataDir: string, root: string, role: string): Promise<number | undefined> {
  const bytes = await resolveMerkleFile(metadataDir, root, [proofFileName(role)]);
  if (bytes === undefined) return undefined;
  const leaf = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { leaf: { version: number } | null }).leaf;
  return leaf?.version;
}
