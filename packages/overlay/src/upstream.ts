// Tarballs for approval: from a local directory (`--tarballs DIR`, e.g. `npm pack` output or a mirror)
// or downloaded from the upstream registry. Bounded: a tarball over the limit is refused while it streams.
import { basename, join } from 'node:path';
import cacache from 'cacache';
import { readBoundedFile } from '@tufpm/merkle';
import { DEFAULT_TARBALL_LIMITS } from '@tufpm/repo';
import { sha512HexToIntegrity } from '@tufpm/verify';
import { OverlayError } from './errors.js';

export interface TarballSource {
  upstream: string;
  /** a directory holding `<basename of the target path>` files, looked at before the upstream */
  tarballsDir?: string;
  /** npm's content cache (`<npm cache>/_cacache`): tarballs whose sha512 the lockfile records are read from it */
  npmCache?: string;
  /** per request; default 60 s */
  timeoutMs?: number;
}

const MAX_BYTES = DEFAULT_TARBALL_LIMITS.maxTarballBytes;

async function fromDir(dir: string, targetPath: string): Promise<Uint8Array | undefined> {
  const file = join(dir, basename(targetPath));
  const read = await readBoundedFile(file, MAX_BYTES);
  if (read.kind === 'missing') return undefined;
  if (read.kind === 'not-a-file') throw new OverlayError('TUF_UPSTREAM', `${file} is not a regular file`);
  if (read.kind === 'too-large') throw new OverlayError('TUF_UPSTREAM', `${file} is larger than ${MAX_BYTES} bytes`);
  return read.bytes;
}

/** The tarball with this sha512 from npm's cache (cacache checks the digest as it reads), or undefined. */
async function fromNpmCache(cache: string, sha512Hex: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await cacache.get.byDigest(cache, sha512HexToIntegrity(sha512Hex)));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // not cached (ENOENT), or a damaged entry (EINTEGRITY): download it instead
    if (code === 'ENOENT' || code === 'EINTEGRITY') return undefined;
    throw error;
  }
}

export async function fetchTarball(source: TarballSource, targetPath: string, sha512Hex?: string): Promise<Uint8Array> {
  if (source.npmCache !== undefined && sha512Hex !== undefined) {
    const cached = await fromNpmCache(source.npmCache, sha512Hex);
    if (cached !== undefined) return cached;
  }
  if (source.tarballsDir !== undefined) {
    const local = await fromDir(source.tarballsDir, targetPath);
    if (local !== undefined) return local;
  }
  const url = `${source.upstream}${targetPath}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(source.timeoutMs ?? 60_000), redirect: 'follow' });
  } catch (cause) {
    throw new OverlayError('TUF_UPSTREAM', `could not download ${url}: ${(cause as Error).message}`, { cause });
  }
  if (!response.ok || response.body === null) throw new OverlayError('TUF_UPSTREAM', `GET ${url}: HTTP ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_BYTES) throw new OverlayError('TUF_UPSTREAM', `${url} is larger than ${MAX_BYTES} bytes`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > MAX_BYTES) throw new OverlayError('TUF_UPSTREAM', `${url} is larger than ${MAX_BYTES} bytes`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}
