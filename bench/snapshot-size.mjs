#!/usr/bin/env node
// What a large snapshot costs one install's refresh (TUF 5.5). Each measurement runs in a fresh process
// (peak RSS is the step's own, on top of a baseline that loaded the code and read the files). Builds signed
// npm-profile snapshots (claimed roles named like npm packages plus 256 bins, length + sha256 per entry
// as a repository with snapshotLengthAndHashes writes them, canonical JSON as tufpm-repo writes), then:
//   download  TrustedMetadataSet.updateSnapshot(bytes): hash check, strict parse, signature (a new snapshot)
//   cached    updateSnapshot(bytes, true): what every install did with its cached, unchanged snapshot
//   adopted   adoptCachedSnapshot(bytes) + 600 role lookups: what an installer does now
//   node bench/snapshot-size.mjs [entries...]   (default: 20000 100000 460000)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const child = (args) => {
  const res = spawnSync(process.execPath, ['--max-old-space-size=8192', self, ...args], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(res.stderr);
  return JSON.parse(res.stdout);
};

if (process.argv[2] === '--build') {
  const { buildFiles } = await import('./lib/snapshot-chain.mjs');
  process.stdout.write(JSON.stringify(buildFiles(process.argv[3], Number(process.argv[4]))));
} else if (process.argv[2] === '--measure') {
  const { measure } = await import('./lib/snapshot-measure.mjs');
  process.stdout.write(JSON.stringify(await measure(process.argv[3], process.argv[4])));
} else {
  const sizes = process.argv.slice(2).map(Number);
  const rows = [];
  for (const entries of sizes.length > 0 ? sizes : [20_000, 100_000, 460_000]) {
    const dir = mkdtempSync(join(tmpdir(), 'tufpm-snapshot-bench-'));
    try {
      const { bytes } = child(['--build', dir, String(entries)]);
      const row = { entries, bytes };
      for (const mode of ['baseline', 'download', 'cached', 'adopted']) row[mode] = child(['--measure', dir, mode]);
      rows.push(row);
      process.stderr.write(`${entries} entries: ${JSON.stringify(row)}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const mb = (r, base) => `${Math.max(0, r.rssMB - base.rssMB)} MB`;
  console.log('| entries | snapshot | download (new snapshot) | cached, before (full re-verify) | cached, now (adopted + 600 lookups) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.entries} | ${(r.bytes / 1e6).toFixed(1)} MB | ${r.download.ms} ms, +${mb(r.download, r.baseline)} | ${r.cached.ms} ms, +${mb(r.cached, r.baseline)} | ${r.adopted.ms} ms, +${mb(r.adopted, r.baseline)} |`);
  }
}
