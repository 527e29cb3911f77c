// Markdown for bench:scale (bench/results/scale.md).
const kb = (b) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KB` : `${b} B`);
const m = (n) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : `${n}`);

export function renderScaleMarkdown(r) {
  const lines = [];
  lines.push(`# Snapshot at registry scale: classic vs Merkle profile (bench:scale)`, '');
  lines.push(`${r.date}; ${r.machine.cpus} cores (${r.machine.model}), ${r.machine.memoryGB} GB, load average at the end ${r.machine.loadavg.join(' / ')} (shared machine), Node ${r.machine.node}.`);
  lines.push(`Install = N = ${r.install} distinct packages; ${r.publishes} timed publishes per M (one epoch each); verify CPU is the median of ${r.rounds} rounds. Whole run: ${r.totalSeconds} s.`, '');
  lines.push('## Metadata a client fetches', '');
  lines.push('| M packages | versions (mean / max / >1000) | classic per refresh (timestamp + snapshot) | Merkle per refresh (timestamp) | Merkle proof per package (mean / p99 / max) | classic install of N | Merkle install of N (timestamp + N proofs) |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const x of r.rows) {
    lines.push(`| ${m(x.packages)} | ${x.distribution.mean} / ${x.distribution.max} / ${x.distribution.over1000} | ${kb(x.classic.refreshBytes)} | ${x.merkle.refreshBytes} B | ${x.merkle.proofBytes.mean} / ${x.merkle.proofBytes.p99} / ${x.merkle.proofBytes.max} B | ${kb(x.classic.installBytes)} | ${kb(x.merkle.installBytes)} |`);
  }
  lines.push('', 'Role files themselves are the same in both profiles and left out. Per installed package the classic profile fetches nothing more (the snapshot listed it).', '');
  lines.push('## Client CPU and repository work', '');
  lines.push('| M | proof depth (mean / max) | verify CPU per package | publish: nodes written (median / max) | publish: bytes written (median) | publish: wall ms (median / p90) | publish: CPU ms | classic publish: bytes / wall ms / CPU ms | tree build (import): CPU s / bytes | peak RSS |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const x of r.rows) {
    const p = x.merkle.publish;
    lines.push(`| ${m(x.packages)} | ${x.merkle.depth.mean} / ${x.merkle.depth.max} | ${x.merkle.verifyCpuMicros.median} µs | ${p.nodesWritten.median} / ${p.nodesWritten.max} | ${kb(p.bytes.median)} | ${p.ms.median} / ${p.ms.p90} | ${p.cpuMs.median} | ${kb(x.classic.publish.bytes)} / ${x.classic.publish.ms} / ${x.classic.publish.cpuMs} | ${(x.merkle.build.cpuMs / 1000).toFixed(1)} / ${kb(x.merkle.build.bytes)} | ${x.peakRssMB} MB |`);
  }
  lines.push('', `Run cost per M (the measuring process: generate, classic snapshot and its publishes, tree build, proofs, publishes): ${r.rows.map((x) => `${m(x.packages)}: ${x.cpuSeconds} s CPU, ${x.wallSeconds} s wall`).join('; ')}.`);
  lines.push('', 'Merkle publish = set one leaf, commit the epoch to the store (append nodes + value + epoch record, fsync, atomic head.json) and write merkle/<root>/delta.json (fsync). Classic publish = re-serialize, sign and write (fsync) the whole snapshot.', '');
  if (r.rows.every((x) => x.merkle.repoPublish !== undefined)) {
    lines.push('## A publish through the repository (Merkle profile)', '');
    lines.push('| M | CPU ms per publish (median / p90) | wall ms (median / p90) | bytes written (median / max) | role files read per publish (median / max) | set-up (targets delegating to M roles, in memory): CPU ms |');
    lines.push('|---|---|---|---|---|---|');
    for (const x of r.rows) {
      const p = x.merkle.repoPublish;
      lines.push(`| ${m(x.packages)} | ${p.cpuMs.median} / ${p.cpuMs.p90} | ${p.ms.median} / ${p.ms.p90} | ${kb(p.bytes.median)} / ${kb(p.bytes.max)} | ${p.roleFilesRead.median} / ${p.roleFilesRead.max} | ${p.open.cpuMs} |`);
    }
    lines.push('', 'Everything @tufpm/repo does for one publish of a package role, as the registry (publishTarball) does it: edit and sign the role, the in-memory snapshot (an epoch number only in this profile) and the timestamp, stage the leaf, check consistency over the changed roles, persistRepository (role file, store epoch, merkle/<root>/delta.json, timestamp.json, each fsynced). Bytes written = growth of the metadata directory. The repository is the one loadRepository gives for M package roles (the tree names them, none is read); its targets with M delegations is built in memory by the bench (the set-up column: a real one is over the 64 MB role bound). Opening a real repository reads the whole tree store once per process, not per publish: the \"reopen the store\" column below.', '');
  }
  if (r.rows.every((x) => x.merkle.registry !== undefined)) {
    lines.push('## The running registry per publish: its proof store catching up', '');
    lines.push('| M | before: reopen the store (bytes read / CPU ms / wall ms) | now: refresh (bytes read median / max) | now: refresh + first proof of the new root (CPU ms median / p90) | now: wall ms (median / p90) |');
    lines.push('|---|---|---|---|---|');
    for (const x of r.rows) {
      const g = x.merkle.registry;
      lines.push(`| ${m(x.packages)} | ${kb(g.reopen.bytesRead)} / ${g.reopen.cpuMs} / ${g.reopen.ms} | ${kb(g.refresh.bytesRead.median)} / ${kb(g.refresh.bytesRead.max)} | ${g.refresh.cpuMs.median} / ${g.refresh.cpuMs.p90} | ${g.refresh.ms.median} / ${g.refresh.ms.p90} |`);
    }
    lines.push('', 'The registry serves proofs from the tree store its publisher writes. It used to reopen the whole store (every node and leaf value) on the first proof request after each publish; it now keeps the store in memory and reads only what the new epoch appended (head.json, epoch records, the nodes on the changed paths and the new leaf values), reopening only on first use or when the store was rewritten after a crash. Timings on a shared machine: CPU is the comparable figure.', '');
  }
  lines.push('## Hash-bin sharded snapshot on the same registries (computed from the measured entry sizes)', '');
  lines.push('| M | bins | per refresh (timestamp + top snapshot) | install of N: bins touched | install of N: bin snapshots fetched |');
  lines.push('|---|---|---|---|---|');
  for (const x of r.rows) for (const h of x.hashBins) lines.push(`| ${m(x.packages)} | ${h.bins} | ${kb(h.refreshBytes)} | ${h.binsTouched} | ${kb(h.installBytes)} |`);
  lines.push('');
  return lines.join('\n') + '\n';
}
