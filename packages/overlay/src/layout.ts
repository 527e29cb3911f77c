// Where an overlay repository keeps its files. One directory, usually a git repository of the team:
//   overlay.json   the upstream registry (public, committed)
//   metadata/      the TUF metadata installers read: publish it on any static host (docs/overlay.md)
//   staged/        an approval role collecting reviewers' signatures (never served)
//   keys/          default keys directory: offline/ (root, targets) leaves the machine after init,
//                  online/ (snapshot, timestamp) goes to the CI job that renews them
import { join, resolve } from 'node:path';
import { readBoundedFile } from '@tufpm/merkle';
import { parseJsonStrict } from '@tufpm/models';
import { writeFileAtomic } from '@tufpm/repo';
import { OverlayError } from './errors.js';

export const OVERLAY_CONFIG = 'overlay.json';

export interface OverlayPaths {
  repoDir: string;
  metadataDir: string;
  stagedFile: string;
  keysDir: string;
}

export function overlayPaths(repoDir: string, keysDir?: string): OverlayPaths {
  const dir = resolve(repoDir);
  return {
    repoDir: dir,
    metadataDir: join(dir, 'metadata'),
    stagedFile: join(dir, 'staged', 'approval.json'),
    keysDir: keysDir === undefined ? join(dir, 'keys') : resolve(keysDir),
  };
}

export interface OverlayConfig {
  /** the upstream registry's URL, with a trailing slash */
  upstream: string;
}

/** http(s) URL with a trailing slash; anything else is refused. */
export function normalizeUpstream(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new OverlayError('TUF_OVERLAY_STATE', `--upstream ${JSON.stringify(url)} is not a URL`, { cause });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new OverlayError('TUF_OVERLAY_STATE', `--upstream must be an http(s) URL, not ${parsed.protocol}`);
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') {
    throw new OverlayError('TUF_OVERLAY_STATE', '--upstream must carry no query, fragment or credentials (tokens belong in .npmrc)');
  }
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

export async function writeOverlayConfig(paths: OverlayPaths, config: OverlayConfig): Promise<void> {
  await writeFileAtomic(join(paths.repoDir, OVERLAY_CONFIG), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });
}

export async function readOverlayConfig(paths: OverlayPaths): Promise<OverlayConfig> {
  const file = join(paths.repoDir, OVERLAY_CONFIG);
  const read = await readBoundedFile(file, 64 * 1024);
  if (read.kind === 'missing') {
    throw new OverlayError('TUF_OVERLAY_STATE', `no overlay repository at ${paths.repoDir} (${OVERLAY_CONFIG} missing): run tufpm-overlay init --upstream <URL> --repo ${paths.repoDir} first`);
  }
  if (read.kind !== 'file') throw new OverlayError('TUF_OVERLAY_STATE', `${file} is ${read.kind === 'too-large' ? 'larger than 64 KiB' : 'not a regular file'}`);
  const value = parseJsonStrict(read.bytes) as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || typeof value['upstream'] !== 'string') throw new OverlayError('TUF_OVERLAY_STATE', `${file} is malformed (no "upstream")`);
  return { upstream: normalizeUpstream(value['upstream']) };
}
