// Raw access to the served TUF metadata directory, for attack simulations: read the files the registry
// serves, write forged ones, and capture/restore the whole directory. Nothing here verifies signatures:
// an attacker with write access to the registry's storage does not have to.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, MetaFile, type Signer, type Snapshot, type Targets, type Timestamp } from '@tufpm/models';
import { metadataFileName, writeFileAtomic } from '@tufpm/repo';

/** The bytes of every file of a metadata directory at one moment (see snapshotState/restoreState). */
export interface SavedState {
  readonly files: ReadonlyMap<string, Uint8Array>;
}

export async function captureDir(metadataDir: string): Promise<SavedState> {
  const files = new Map<string, Uint8Array>();
  for (const f of (await readdir(metadataDir)).sort()) {
    if (f.startsWith('.')) continue; // temp files of an atomic write in progress
    files.set(f, new Uint8Array(await readFile(join(metadataDir, f))));
  }
  return { files };
}

/** Puts a captured directory back exactly: files created since are removed, the others rewritten. */
export async function restoreDir(metadataDir: string, saved: SavedState): Promise<void> {
  for (const f of await readdir(metadataDir)) {
    if (!f.startsWith('.') && !saved.files.has(f)) await rm(join(metadataDir, f), { force: true });
  }
  // timestamp.json last, so a client never sees a timestamp whose snapshot is not back yet.
  const names = [...saved.files.keys()].sort((a, b) => Number(a === 'timestamp.json') - Number(b === 'timestamp.json'));
  for (const f of names) await writeFileAtomic(join(metadataDir, f), saved.files.get(f)!);
}

export async function readTimestamp(metadataDir: string): Promise<{ file: string; md: Metadata<Timestamp> }> {
  const file = 'timestamp.json';
  return { file, md: Metadata.timestamp(new Uint8Array(await readFile(join(metadataDir, file)))) };
}

export async function readSnapshot(metadataDir: string): Promise<{ file: string; md: Metadata<Snapshot> }> {
  const ts = await readTimestamp(metadataDir);
  const file = metadataFileName('snapshot', ts.md.signed.snapshotMeta.version, true);
  return { file, md: Metadata.snapshot(new Uint8Array(await readFile(join(metadataDir, file)))) };
}

/** The version of a targets role the current snapshot lists. */
export async function listedVersion(metadataDir: string, role: string): Promise<number> {
  const snap = await readSnapshot(metadataDir);
  const meta = snap.md.signed.meta.get(`${role}.json`);
  if (meta === undefined) throw new Error(`the current snapshot does not list role ${role}`);
  return meta.version;
}

/** A targets role file as served (at the given version, default the one the current snapshot lists). */
export async function readRole(metadataDir: string, role: string, version?: number): Promise<{ file: string; md: Metadata<Targets> }> {
  const v = version ?? (await listedVersion(metadataDir, role));
  const file = metadataFileName(role, v, true);
  return { file, md: Metadata.targets(new Uint8Array(await readFile(join(metadataDir, file)))) };
}

/**
 * Writes metadata under the file name its role and version give (or `file`), replacing what was there. The
 * attacker serves the same bytes through every route a client may take to that file: a role bundle
 * (ADR 0024) entry holding the role at the version in that file name gets the forged bytes too.
 */
export async function writeMetadata(metadataDir: string, role: string, md: Metadata, file?: string): Promise<string> {
  const name = file ?? metadataFileName(role, md.signed.version, true);
  const bytes = md.toBytes();
  await writeFileAtomic(join(metadataDir, name), bytes);
  const version = /^([1-9][0-9]*)\./.exec(name)?.[1];
  if (version !== undefined) await forgeBundleEntries(metadataDir, role, Number(version), bytes);
  return name;
}

async function forgeBundleEntries(metadataDir: string, role: string, version: number, bytes: Uint8Array): Promise<void> {
  for (const f of await readdir(metadataDir)) {
    if (!/^[1-9][0-9]*\.bundle-[0-9]+\.json$/.test(f)) continue;
    const bundle = JSON.parse(await readFile(join(metadataDir, f), 'utf8')) as { roles: Record<string, string> };
    const entry = bundle.roles[role];
    if (entry === undefined) continue;
    const listed = (JSON.parse(Buffer.from(entry, 'base64').toString('utf8')) as { signed: { version: number } }).signed.version;
    if (listed !== version) continue;
    bundle.roles[role] = Buffer.from(bytes).toString('base64');
    await writeFileAtomic(join(metadataDir, f), JSON.stringify(bundle));
  }
}

/** Drops every signature and signs with `signers` (who may or may not be trusted for the role). */
export function resign(md: Metadata, signers: readonly Signer[]): void {
  md.signatures.clear();
  for (const s of signers) md.sign(s, true);
}

/**
 * What an attacker holding the online snapshot and timestamp keys does after writing forged role files:
 * a new snapshot listing the given role versions and a new timestamp pointing at it, both validly signed.
 */
export async function forgeSnapshotAndTimestamp(
  metadataDir: string,
  roleVersions: ReadonlyMap<string, number>,
  signers: { snapshot: Signer; timestamp: Signer },
): Promise<{ snapshot: number; timestamp: number }> {
  const snap = (await readSnapshot(metadataDir)).md;
  for (const [role, v] of roleVersions) snap.signed.meta.set(`${role}.json`, new MetaFile(v));
  snap.signed.bumpVersion();
  resign(snap, [signers.snapshot]);
  await writeMetadata(metadataDir, 'snapshot', snap);
  const ts = (await readTimestamp(metadataDir)).md;
  ts.signed.snapshotMeta = MetaFile.fromData(snap.signed.version, snap.toBytes(), ['sha256']);
  ts.signed.bumpVersion();
  resign(ts, [signers.timestamp]);
  await writeMetadata(metadataDir, 'timestamp', ts);
  return { snapshot: snap.signed.version, timestamp: ts.signed.version };
}
