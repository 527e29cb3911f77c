// One measurement of bench/snapshot-size.mjs, in its own process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrustedMetadataSet } from '@tufpm/client';

export async function measure(dir, mode) {
  const read = (name) => new Uint8Array(readFileSync(join(dir, name)));
  const root = read('root.json');
  const timestamp = read('timestamp.json');
  const snapshot = read('snapshot.json');
  const lookups = JSON.parse(readFileSync(join(dir, 'lookups.json'), 'utf8'));
  const t0 = performance.now();
  const set = new TrustedMetadataSet(root, new Date());
  set.updateTimestamp(timestamp);
  if (mode === 'download') set.updateSnapshot(snapshot);
  else if (mode === 'cached') set.updateSnapshot(snapshot, true);
  else if (mode === 'adopted' && !set.adoptCachedSnapshot(snapshot)) throw new Error('not adopted');
  if (mode !== 'baseline') for (const name of lookups) if (set.snapshotView.metaFor(name) === undefined) throw new Error(`no ${name}`);
  const ms = Math.round(performance.now() - t0);
  return { ms, rssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
}
