// One registry size of bench:scale (runs in its own process). Every figure is measured on real bytes: the
// classic snapshot and both timestamps are real signed metadata (ed25519, canonical JSON as tufpm-repo writes
// them); proofs are the files the registry serves; the store writes (and fsyncs) what a publish writes.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, MetaFile, Snapshot, Timestamp, generateEd25519KeyPair } from '@tufpm/models';
import { MerkleStore, encodeProof, verifyProof, writeEpochFiles } from '@tufpm/merkle';
import { distributionSummary, generateRegistry, prng, roleFacts } from './generate.mjs';
import { measureRepositoryPublishes } from './repo-publish.mjs';

const cpuMs = (c) => (c.user + c.system) / 1000;
const EXPIRES = new Date('2027-01-01T00:00:00Z');
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const r1 = (x) => Math.round(x * 10) / 10;
const r3 = (x) => Math.round(x * 1000) / 1000;

async function writeDurable(file, bytes) {
  const fh = await open(file, 'w');
  await fh.writeFile(bytes);
  await fh.sync();
  await fh.close();
}

export async function measureScale({ packages, install, publishes, rounds }, progress) {
  const reg = generateRegistry({ packages, seed: 1 });
  const dist = distributionSummary(reg);
  const signer = generateEd25519KeyPair().signer;
  const tmp = await mkdtemp(join(tmpdir(), `tufpm-scale-${packages}-`));
  try {
    // ---- classic: one signed snapshot listing every role (version only, tufpm-repo's default) ----
    progress(`M=${packages}: classic snapshot`);
    const meta = new Map();
    for (let i = 0; i < packages; i++) meta.set(`${reg.names[i]}.json`, new MetaFile(reg.versions[i]));
    const snap = new Metadata(new Snapshot({ version: 1, expires: EXPIRES, meta }));
    snap.sign(signer);
    const snapBytes = snap.toBytes();
    const classicTs = new Metadata(new Timestamp({ version: 1, expires: EXPIRES, snapshotMeta: MetaFile.fromData(1, snapBytes, ['sha256']) }));
    classicTs.sign(signer);
    // Classic publish: one entry changes, the whole snapshot is re-serialized, signed and written.
    const classicPublish = [];
    for (let r = 0; r < Math.min(3, rounds); r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const i = r * 7919 % packages;
      snap.signed.meta.set(`${reg.names[i]}.json`, new MetaFile(reg.versions[i] + 1 + r));
      snap.signed.version += 1;
      snap.sign(signer);
      const bytes = snap.toBytes();
      await writeDurable(join(tmp, 'snapshot.json'), bytes);
      classicPublish.push({ ms: performance.now() - t0, cpuMs: cpuMs(process.cpuUsage(c0)), bytes: bytes.length });
    }

    // ---- merkle: the tree store, built once (an import), then publishes one epoch each ----
    progress(`M=${packages}: building the tree`);
    const metadataDir = join(tmp, 'metadata');
    const store = await MerkleStore.open(join(metadataDir, 'merkle', '.store'));
    let c0 = process.cpuUsage();
    let t0 = performance.now();
    for (let i = 0; i < packages; i++) store.tree.set(reg.names[i], roleFacts(reg, i));
    const initial = await store.commit();
    const build = { ms: r1(performance.now() - t0), cpuMs: r1(cpuMs(process.cpuUsage(c0))), bytes: initial.bytesWritten, nodes: store.tree.nodes.count - 1 };
    const root = Buffer.from(initial.root, 'hex');
    const merkleTs = new Metadata(new Timestamp({ version: 1, expires: EXPIRES, snapshotMeta: new MetaFile(1), unrecognized: { 'x-tufpm-merkle': { root: initial.root, size: initial.size } } }));
    merkleTs.sign(signer);

    // ---- one install of N packages: proofs fetched and verified ----
    progress(`M=${packages}: proofs for an install of ${install}`);
    const rand = prng(42);
    const picked = new Set();
    while (picked.size < Math.min(install, packages)) picked.add(Math.floor(rand() * packages));
    const sample = [...picked].map((i) => ({ name: reg.names[i], bytes: encodeProof(store.tree.prove(reg.names[i], initial.root)) }));
    const proofSizes = sample.map((s) => s.bytes.length);
    const depths = sample.map((s) => JSON.parse(Buffer.from(s.bytes).toString()).depth);
    for (const s of sample) verifyProof(s.bytes, s.name, root); // warm-up
    const verifyRounds = [];
    for (let r = 0; r < rounds; r++) {
      c0 = process.cpuUsage();
      for (const s of sample) if (!verifyProof(s.bytes, s.name, root).present) throw new Error(`${s.name} proven absent`);
      verifyRounds.push((cpuMs(process.cpuUsage(c0)) * 1000) / sample.length);
    }

    // ---- hash-bin sharded snapshot (PEP 458 style) on the same entries, for the ADR's comparison ----
    const entryBytes = (snapBytes.length - 400) / packages;
    const shard = (bins) => {
      const touched = new Set([...picked].map((i) => createHash('sha256').update(reg.names[i]).digest().readUInt32BE(0) % bins)).size;
      // top-level snapshot lists every bin role (about 45 bytes each); each touched bin lists M/bins roles
      return { bins, refreshBytes: Math.round(merkleTs.toBytes().length + 400 + bins * 45), installBytes: Math.round(touched * (400 + (packages / bins) * entryBytes)), binsTouched: touched };
    };

    // ---- the running registry's side of a publish: its proof store catches up with the new epoch ----
    // Before: the registry reopened the whole store whenever head.json changed (O(M) bytes read per publish,
    // measured once here). Now: it keeps the store in memory and reads only what the epoch appended
    // (MerkleStore.refresh), measured per publish below with the first proof of the new root it serves.
    const storeDir = join(metadataDir, 'merkle', '.store');
    progress(`M=${packages}: the registry's proof store (one full reopen, then refreshes)`);
    c0 = process.cpuUsage();
    t0 = performance.now();
    let reader = await MerkleStore.open(storeDir);
    const storeFileBytes = async () => {
      let total = 0;
      for (const f of ['nodes.bin', 'values.bin', 'epochs.bin', 'head.json']) total += (await stat(join(storeDir, f))).size;
      return total;
    };
    const reopen = { ms: r1(performance.now() - t0), cpuMs: r1(cpuMs(process.cpuUsage(c0))), bytesRead: await storeFileBytes() };

    // ---- publishes: one role's version goes up, one epoch each (store append + fsync, delta.json, head) ----
    progress(`M=${packages}: ${publishes} publishes`);
    const pub = [];
    const served = [];
    for (let p = 0; p < publishes; p++) {
      const i = Math.floor(rand() * packages);
      reg.versions[i] += 1;
      c0 = process.cpuUsage();
      t0 = performance.now();
      store.tree.set(reg.names[i], roleFacts(reg, i));
      const c = await store.commit();
      const deltaBytes = await writeEpochFiles(metadataDir, store, c);
      pub.push({ ms: performance.now() - t0, cpuMs: cpuMs(process.cpuUsage(c0)), bytes: c.bytesWritten + deltaBytes, nodes: c.newNodes.length });
      c0 = process.cpuUsage();
      t0 = performance.now();
      const r = await reader.refresh();
      if (r === undefined || r.epochs !== 1) throw new Error('the registry store did not catch up with one epoch');
      const proof = encodeProof(reader.tree.prove(reg.names[i], c.root));
      served.push({ ms: performance.now() - t0, cpuMs: cpuMs(process.cpuUsage(c0)), bytesRead: r.bytesRead, proofBytes: proof.length });
    }
    reader = undefined;

    // ---- the same publishes through @tufpm/repo (Repository + persistRepository), not only the tree ----
    progress(`M=${packages}: ${publishes} publishes through the repository`);
    const rp = await measureRepositoryPublishes({ reg, store, signer, metadataDir, publishes, rand });
    const rpx = rp.publishes;
    const repoPublish = {
      open: { cpuMs: r1(rp.open.cpuMs), ms: r1(rp.open.ms) },
      cpuMs: { median: r3(pct(rpx.map((x) => x.cpuMs), 0.5)), p90: r3(pct(rpx.map((x) => x.cpuMs), 0.9)) },
      ms: { median: r3(pct(rpx.map((x) => x.ms), 0.5)), p90: r3(pct(rpx.map((x) => x.ms), 0.9)) },
      bytes: { median: pct(rpx.map((x) => x.bytes), 0.5), max: Math.max(...rpx.map((x) => x.bytes)) },
      roleFilesRead: { median: pct(rpx.map((x) => x.roleLoads), 0.5), max: Math.max(...rpx.map((x) => x.roleLoads)) },
    };
    const rss = process.memoryUsage().rss;
    await writeFile(join(tmp, 'done'), '');
    return {
      packages,
      distribution: dist,
      classic: {
        snapshotBytes: snapBytes.length,
        timestampBytes: classicTs.toBytes().length,
        refreshBytes: snapBytes.length + classicTs.toBytes().length,
        perPackageBytes: 0,
        installBytes: snapBytes.length + classicTs.toBytes().length,
        publish: { ms: r1(mean(classicPublish.map((x) => x.ms))), cpuMs: r1(mean(classicPublish.map((x) => x.cpuMs))), bytes: classicPublish[0].bytes },
      },
      merkle: {
        timestampBytes: merkleTs.toBytes().length,
        refreshBytes: merkleTs.toBytes().length,
        proofBytes: { mean: Math.round(mean(proofSizes)), p50: pct(proofSizes, 0.5), p99: pct(proofSizes, 0.99), max: Math.max(...proofSizes) },
        depth: { mean: r1(mean(depths)), max: Math.max(...depths) },
        installBytes: merkleTs.toBytes().length + proofSizes.reduce((a, b) => a + b, 0),
        verifyCpuMicros: { median: r1(pct(verifyRounds, 0.5)), min: r1(Math.min(...verifyRounds)) },
        build,
        repoPublish,
        publish: {
          ms: { median: r3(pct(pub.map((x) => x.ms), 0.5)), p90: r3(pct(pub.map((x) => x.ms), 0.9)) },
          cpuMs: { median: r3(pct(pub.map((x) => x.cpuMs), 0.5)) },
          bytes: { median: pct(pub.map((x) => x.bytes), 0.5), max: Math.max(...pub.map((x) => x.bytes)) },
          nodesWritten: { median: pct(pub.map((x) => x.nodes), 0.5), max: Math.max(...pub.map((x) => x.nodes)) },
        },
        registry: {
          reopen,
          refresh: {
            bytesRead: { median: pct(served.map((x) => x.bytesRead), 0.5), max: Math.max(...served.map((x) => x.bytesRead)) },
            cpuMs: { median: r3(pct(served.map((x) => x.cpuMs), 0.5)), p90: r3(pct(served.map((x) => x.cpuMs), 0.9)) },
            ms: { median: r3(pct(served.map((x) => x.ms), 0.5)), p90: r3(pct(served.map((x) => x.ms), 0.9)) },
          },
        },
      },
      hashBins: [shard(1024), shard(16384)],
      peakRssMB: Math.round(rss / 2 ** 20),
      // CPU seconds of this whole measurement process (user + system): the load-independent cost of the run
      cpuSeconds: r1(cpuMs(process.cpuUsage()) / 1000),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
