import { join } from 'node:path';
import type { ReleaseIndex } from '@tufpm/models';
import { parseFilterConfig } from './config.js';
import { SignedReleaseLists } from './signed-lists.js';
import type { PluginOptions } from './verdaccio-types.js';

/** The parts of a Verdaccio packument (manifest) the filter reads and rewrites. */
export interface VerdaccioManifest {
  name: string;
  versions?: Record<string, unknown>;
  'dist-tags'?: Record<string, string>;
  [field: string]: unknown;
}

/**
 * The packument as the signed release list has it (ADR 0025): versions the list does not name are left out
 * and the dist-tags are the signed ones. What an uplink offers beyond the approved versions (and a tag an
 * uplink or `npm dist-tag add` moved) is then simply not offered, instead of failing every install of the
 * package (TUF_PACKAGE_NOT_SIGNED, TUF_DIST_TAG_MISMATCH). A version the list names and Verdaccio does
 * not have stays missing: the installers refuse that as a hidden release (TUF_RELEASE_HIDDEN).
 */
export function restrictToReleaseList(manifest: VerdaccioManifest, list: ReleaseIndex): VerdaccioManifest {
  const signed = new Set(list.versions);
  const versions = Object.fromEntries(Object.entries(manifest.versions ?? {}).filter(([v]) => signed.has(v)));
  return { ...manifest, versions, 'dist-tags': { ...list.distTags } };
}

/**
 * Verdaccio's `filter_metadata` (config.yaml `filters: { tufpm: { dir } }`): every packument Verdaccio
 * serves, its own publishes and what it proxies from an uplink, is restricted to the package's signed
 * release list. A package without one (an unapproved proxied package) is served unchanged, and installs
 * refuse it (TUF_PACKAGE_NOT_SIGNED). The installers verify everything themselves: this only keeps what
 * Verdaccio offers in line with what is signed.
 */
export function createReleaseListFilter(raw: unknown, options: PluginOptions): (manifest: VerdaccioManifest) => Promise<VerdaccioManifest> {
  const { dir } = parseFilterConfig(raw, options);
  const lists = new SignedReleaseLists(join(dir, 'tuf', 'metadata'));
  return async (manifest) => {
    if (typeof manifest?.name !== 'string') return manifest;
    let list: ReleaseIndex | undefined;
    try {
      list = await lists.releaseList(manifest.name);
    } catch (err) {
      // Verdaccio then serves the packument unfiltered: installs refuse what is unsigned in it.
      options.logger.error({ name: manifest.name, err: (err as Error).message }, 'tufpm: reading the signed release list of @{name} failed: @{err}');
      throw err;
    }
    return list === undefined ? manifest : restrictToReleaseList(manifest, list);
  };
}
