// bench:scale, the repository's side of a publish in the Merkle profile (issue 21): not only the tree's append,
// but everything @tufpm/repo does for one publish of a package role (edit and sign the role, the in-memory
// snapshot, sign it, stage the leaf, timestamp, consistency check, persistRepository: role file, store epoch,
// delta.json, timestamp.json, each fsynced). The repository is the one loadRepository would give for a
// registry of M package roles (targets delegating to each, the roles named by the tree, none read yet), built in memory
// from the synthetic registry: writing a million role files (and a targets.json over the 64 MB role bound)
// would measure the generator, not the publish.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DelegatedRole, Delegations, Metadata, Root, TargetFile, Targets, Timestamp, MetaFile } from '@tufpm/models';
import { Repository, declareMerkleProfile, merkleRoleSource, merkleSnapshotStub, persistRepository } from '@tufpm/repo';
import { MERKLE_TIMESTAMP_FIELD } from '@tufpm/merkle';

const cpuMs = (c) => (c.user + c.system) / 1000;
const EXPIRES = new Date('2027-01-01T00:00:00Z');

/** A package role as the loader would read it: its version and one target per published version (capped). */
function roleOf(reg, i, version) {
  const targets = new Map();
  for (let v = 0; v < Math.min(version, 3); v++) {
    const path = `${reg.names[i]}/-/${reg.names[i].split('/').pop()}-1.0.${v}.tgz`;
    targets.set(path, new TargetFile(path, 1000 + v, { sha512: 'ab'.repeat(64) }));
  }
  return new Metadata(new Targets({ version, expires: EXPIRES, targets }));
}

/** The Repository loadRepository gives for this registry (store already committed to its head). */
function openRepository(reg, store, signer, loads) {
  const key = signer.key;
  const root = new Metadata(new Root({ version: 1, expires: EXPIRES, consistentSnapshot: true }));
  for (const r of ['root', 'targets', 'snapshot', 'timestamp']) root.signed.addKey(key, r);
  declareMerkleProfile(root.signed);
  root.sign(signer);
  const roles = new Array(reg.packages);
  for (let i = 0; i < reg.packages; i++) roles[i] = new DelegatedRole({ name: reg.names[i], keyids: [key.keyid], threshold: 1, terminating: true, paths: [`${reg.names[i]}/-/*`] });
  const targets = new Metadata(new Targets({ version: 1, expires: EXPIRES, delegations: new Delegations({ keys: new Map([[key.keyid, key]]), roles }) }));
  const head = store.committedHead();
  const timestamp = new Metadata(new Timestamp({ version: 1, expires: EXPIRES, snapshotMeta: new MetaFile(head.epoch), unrecognized: { [MERKLE_TIMESTAMP_FIELD]: { root: head.root, size: head.size } } }));
  timestamp.sign(signer);
  const index = new Map(reg.names.map((n, i) => [n, i]));
  const snapshot = merkleSnapshotStub(timestamp.signed);
  const repo = new Repository(root, timestamp, snapshot, targets, (name) => {
    loads.count++;
    const i = index.get(name);
    const md = roleOf(reg, i, store.tree.get(name).version);
    repo.persisted.set(name, md.toBytes());
    return md;
  });
  repo.delegated.listFrom(merkleRoleSource(store));
  for (const [n, md] of [['root', root], ['timestamp', timestamp], ['snapshot', snapshot]]) repo.persisted.set(n, md.toBytes());
  // targets (M delegations) is never changed by a publish; its bytes only matter to discardChanges
  repo.persisted.set('targets', new Uint8Array(0));
  repo.trustedRoot = root;
  repo.merkle = store;
  return repo;
}

async function dirBytes(dir) {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath ?? e.path, e.name))).size;
  }
  return total;
}

/**
 * `publishes` publishes, each a new version of one random package role, through Repository + persistRepository
 * into `metadataDir` (whose merkle/.store is `store`'s). Returns per-publish CPU ms, wall ms, bytes written
 * (the growth of the metadata directory) and how many role files were read (materialised) per publish.
 */
export async function measureRepositoryPublishes({ reg, store, signer, metadataDir, publishes, rand }) {
  const loads = { count: 0 };
  let c0 = process.cpuUsage();
  let t0 = performance.now();
  const repo = openRepository(reg, store, signer, loads);
  const open = { cpuMs: cpuMs(process.cpuUsage(c0)), ms: performance.now() - t0 };
  const out = [];
  let before = await dirBytes(metadataDir);
  for (let p = 0; p < publishes; p++) {
    const i = Math.floor(rand() * reg.packages);
    const name = reg.names[i];
    const loadsBefore = loads.count;
    c0 = process.cpuUsage();
    t0 = performance.now();
    const v = repo.targetsRole(name).signed.version + 1;
    const path = `${name}/-/${name.split('/').pop()}-2.0.${v}.tgz`;
    repo.addTarget(name, new TargetFile(path, 4242, { sha512: 'cd'.repeat(64) }));
    repo.sign(name, [signer]);
    repo.setExpires('snapshot', EXPIRES);
    repo.updateSnapshot();
    repo.sign('snapshot', [signer]);
    repo.setExpires('timestamp', EXPIRES);
    repo.updateTimestamp();
    repo.sign('timestamp', [signer]);
    repo.checkConsistency();
    await persistRepository(repo, metadataDir);
    const cpu = cpuMs(process.cpuUsage(c0));
    const ms = performance.now() - t0;
    const after = await dirBytes(metadataDir);
    out.push({ cpuMs: cpu, ms, bytes: after - before, roleLoads: loads.count - loadsBefore });
    before = after;
    reg.versions[i] = v;
  }
  return { open, publishes: out, rolesLoaded: loads.count };
}
