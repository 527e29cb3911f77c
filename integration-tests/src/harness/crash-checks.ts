// What must hold after every kill of a crash loop (crash-consistency.test.ts, registry-publish-crash.test.ts).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from '@tufpm/client';
import { MAX_ROLE_BUNDLE_BYTES, Metadata, parseRoleBundle } from '@tufpm/models';
import { targetPathFor } from '@tufpm/registry';

/**
 * Every metadata file parses as whole signed metadata (a role bundle, ADR 0024, as a whole bundle whose every
 * entry is whole signed metadata); temp files of an interrupted write are only ever dot-files.
 */
export async function wholeFiles(metadataDir: string): Promise<void> {
  for (const f of await readdir(metadataDir)) {
    if (f.startsWith('.')) {
      assert.match(f, /^\..+\.tmp$/, `only temp files of an atomic write start with a dot: ${f}`);
      continue;
    }
    if (!f.endsWith('.json')) continue;
    const bytes = await readFile(join(metadataDir, f));
    const bundle = /^[1-9][0-9]*\.bundle-([0-9]+)\.json$/.exec(f);
    if (bundle !== null) {
      const entries = parseRoleBundle(bytes, MAX_ROLE_BUNDLE_BYTES, Number(bundle[1]));
      for (const [name, role] of entries) assert.doesNotThrow(() => Metadata.fromBytes(role), `${f}: entry ${name} is whole signed metadata`);
      continue;
    }
    assert.doesNotThrow(() => Metadata.fromBytes(bytes), `${f} is whole signed metadata (${bytes.length} bytes)`);
  }
}

/** A fresh client (nothing cached) reading the registry right now: timestamp, snapshot, targets and a package's role. */
export async function clientSeesConsistentState(world: { url: string; readMetadata(file: string): Promise<Uint8Array> }, pkg: string, version: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-crash-client-'));
  try {
    await writeFile(join(dir, 'root.json'), await world.readMetadata('1.root.json'));
    const updater = new Updater({ metadataDir: dir, metadataBaseUrl: `${world.url}-/tuf/metadata/`, targetBaseUrl: world.url });
    await updater.refresh();
    const info = await updater.getTargetInfo(targetPathFor(pkg, version));
    assert.ok(info, `${pkg}@${version} is found through the signed delegations`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
