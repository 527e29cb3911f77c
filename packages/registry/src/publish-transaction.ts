import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { atomicWrite } from './atomic.js';
import { RegistryError } from './errors.js';
import type { PublishEvent, PublishHook } from './hooks.js';
import { packumentFile, registryLayout, tarballFile } from './layout.js';
import type { StoredPackument } from './packument.js';
import { readJournal, removeJournal, serializeJournal, writeJournal, type PendingPublish } from './publish-journal.js';
import { assertNoLinkedDirs, readRegularFile } from './safe-path.js';

/**
 * The order of a publish (issue 19): every check, then every serialization (packument and journal bytes
 * exist before anything is written), then the hooks. `store` writes the journal, the tarball and the
 * packument, in that order. A signing hook calls `store`
 * under its repository lock after its checks and before it persists the metadata, so the tarball and
 * the packument are on disk before any metadata names them. A failure before the metadata is persisted
 * undoes the store; a kill leaves the journal, and the next start or publish of the package finishes
 * the publish (resumePublish). Before, the hook signed first and the registry stored after: a packument
 * that could not be serialized (a package.json nesting 20,000 arrays) left a signed target with no
 * tarball, and a version that could never be published again.
 */

export const MAX_PACKUMENT_BYTES = 64 * 1024 * 1024;

function tooLarge(what: string): () => Error {
  return () => new RegistryError('REGISTRY_TOO_LARGE', `${what} too large`);
}

/** A stored packument with its bytes (kept to undo a publish), or undefined. Links are not followed. */
export async function readPackumentFile(dir: string, name: string): Promise<{ packument: StoredPackument; bytes: Buffer } | undefined> {
  const root = registryLayout(dir).root;
  const bytes = await readRegularFile(root, packumentFile(root, name), MAX_PACKUMENT_BYTES, tooLarge(`stored packument of ${name}`));
  if (bytes === undefined) return undefined;
  return { packument: JSON.parse(bytes.toString('utf8')) as StoredPackument, bytes };
}

/** The packument once `p` is added to `existing` (which is not modified). */
export function packumentWith(existing: StoredPackument | undefined, p: PendingPublish): StoredPackument {
  const base: StoredPackument = existing === undefined
    ? { _id: p.name, name: p.name, 'dist-tags': {}, versions: {}, time: { created: p.time } }
    : { ...existing, versions: { ...existing.versions }, time: { ...existing.time } };
  base.versions[p.version] = p.manifest;
  base.time[p.version] = p.time;
  base.time['modified'] = p.time;
  if (typeof p.manifest['description'] === 'string') base.description = p.manifest['description'];
  base['dist-tags'] = { ...p.packumentDistTags };
  return base;
}

export function serializePackument(packument: StoredPackument): string {
  try {
    return `${JSON.stringify(packument, null, 2)}\n`;
  } catch (err) {
    // JSON.stringify recurses: a package.json nesting arrays 20,000 deep parses but cannot be written.
    if (err instanceof RangeError) throw new RegistryError('REGISTRY_BAD_TARBALL', `package.json of ${packument.name} nests too deeply to be stored`, { cause: err });
    throw err;
  }
}

function eventOf(root: string, p: PendingPublish, tarball: Uint8Array): PublishEvent {
  return {
    dir: root, name: p.name, version: p.version, tarball, manifest: p.manifest, tarballPath: p.tarballPath,
    tarballFile: tarballFile(root, p.tarballPath), length: p.length, hashes: { ...p.hashes },
    distTags: { ...p.distTags }, packumentDistTags: { ...p.packumentDistTags }, user: p.user, document: p.document,
  };
}

/**
 * Runs the hooks with `store`; stores after them when no hook did. On a failure: with `undo`, the undo
 * (when the store had begun) and the journal is removed (if the undo fails, the journal stays for the
 * next resume); without it, everything stays as it is, journal included.
 */
async function runHooks(root: string, p: PendingPublish, tarball: Uint8Array, hooks: readonly PublishHook[], doStore: () => Promise<void>, undo: (() => Promise<void>) | undefined): Promise<void> {
  let storing = false;
  let stored = false;
  const store = async (): Promise<void> => {
    if (stored) return;
    storing = true;
    await doStore();
    stored = true;
  };
  try {
    const event = eventOf(root, p, tarball);
    for (const hook of hooks) await hook.beforeAccept?.(event, store);
    await store();
  } catch (err) {
    if (undo === undefined) throw err;
    if (storing) {
      try {
        await undo();
      } catch (undoErr) {
        // The journal stays: the next start or publish of the package finishes the publish.
        throw new AggregateError([err, undoErr], `publish of ${p.name}@${p.version} failed and could not be undone yet`, { cause: err });
      }
    }
    if (storing) await removeJournal(root, p.name);
    throw err;
  }
  await removeJournal(root, p.name);
}

export interface CommitInput {
  pending: PendingPublish;
  tarball: Uint8Array;
  hooks: readonly PublishHook[];
  existing: { packument: StoredPackument; bytes: Buffer } | undefined;
  /** the same bytes were already at the tarball path (an interrupted store): an undo leaves them */
  tarballWasThere: boolean;
  durable: boolean;
}

/** Journal, hooks (which store), or undo: see the comment at the top. */
export async function commitPublish(dir: string, c: CommitInput): Promise<void> {
  const root = registryLayout(dir).root;
  const { pending: p } = c;
  const packumentBytes = serializePackument(packumentWith(c.existing?.packument, p));
  const journal = serializeJournal(p);
  const file = tarballFile(root, p.tarballPath);
  const pfile = packumentFile(root, p.name);
  await assertNoLinkedDirs(root, file);
  await assertNoLinkedDirs(root, pfile);
  await runHooks(root, p, c.tarball, c.hooks, async () => {
    // the journal first: a refusal before the store writes nothing at all, a kill after it is finished later
    await writeJournal(root, p.name, journal, c.durable);
    await atomicWrite(file, c.tarball, { durable: c.durable });
    await atomicWrite(pfile, packumentBytes, { durable: c.durable });
  }, async () => {
    if (c.existing === undefined) await rm(pfile, { force: true });
    else await atomicWrite(pfile, c.existing.bytes, { durable: c.durable });
    if (!c.tarballWasThere) await rm(file, { force: true });
  });
}

/**
 * Finishes a publish a killed registry left (its journal): when its tarball is stored, the hooks run
 * again (a signer finds the same bytes signed already, or signs them now) and the packument gets the
 * version; when it is not, nothing was signed (signers persist after the store) and the journal goes.
 * If the hooks fail, everything stays as it is, journal included, and the error is thrown: an automatic
 * undo could delete the tarball of a target an earlier run did sign. Returns the finished publish.
 */
export async function resumePublish(dir: string, name: string, hooks: readonly PublishHook[], durable: boolean): Promise<PendingPublish | undefined> {
  const root = registryLayout(dir).root;
  const p = await readJournal(root, name);
  if (p === undefined) return undefined;
  const file = tarballFile(root, p.tarballPath);
  const bytes = await readRegularFile(root, file, p.length, tooLarge(`tarball ${p.tarballPath}`)).catch((err: unknown) => {
    if (err instanceof RegistryError && err.code === 'REGISTRY_TOO_LARGE') return undefined; // other bytes than the journal's
    throw err;
  });
  const ours = bytes !== undefined && createHash('sha512').update(bytes).digest('hex') === p.hashes.sha512;
  if (!ours) {
    await removeJournal(root, name);
    return undefined;
  }
  const current = await readPackumentFile(root, name);
  const listed = current?.packument.versions[p.version]?.dist.integrity === p.integrity;
  const packumentBytes = listed ? undefined : serializePackument(packumentWith(current?.packument, p));
  await runHooks(root, p, new Uint8Array(bytes), hooks, async () => {
    if (packumentBytes !== undefined) await atomicWrite(packumentFile(root, name), packumentBytes, { durable });
  }, undefined);
  return p;
}
