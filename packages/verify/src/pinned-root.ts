// The root a refresh starts from when tufpm-lock.json pins one (ADR 0011, issue 15). The pin is the
// project's previously trusted root: the TUF root walk (5.3) must go forward FROM it, never from a root the
// pin cannot vouch for. Without this, a forged higher-version root put in tufpm-root.json (a pull request),
// in a configured root path, or in the state directory's cached root.json became the anchor, and a chain
// that starts above the pinned version was never compared with the pin.
import { createHash } from 'node:crypto';
import { DownloadError, UrlFetcher, downloadBytes, joinUrl, metadataFileName } from '@tufpm/client';
import { readBoundedFile } from '@tufpm/merkle';
import { LengthMismatchError, Metadata, MetadataParseError } from '@tufpm/models';
import { VerifyError } from './errors.js';

export interface PinnedRoot {
  version: number;
  /** sha256 (hex) as in tufpm-lock.json: of the root file's bytes, or (format 1 pins) of its canonical signed part */
  sha256: string;
  /** what `sha256` is the digest of (lockfile.ts rootDigestKind) */
  digest: 'file' | 'signed-part';
}

export interface RootIdentity {
  version: number;
  /** sha256 of the file's bytes */
  sha256: string;
  /** sha256 of the canonical signed part */
  signedSha256: string;
}

/** Version and sha256s of root bytes, or undefined when they are no parseable root. */
export function rootIdentity(bytes: Uint8Array, maxBytes: number): RootIdentity | undefined {
  try {
    const root = Metadata.fromBytes(bytes, 'root', maxBytes);
    return {
      version: root.signed.version,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      signedSha256: createHash('sha256').update(root.signedBytes()).digest('hex'),
    };
  } catch (error) {
    if (error instanceof MetadataParseError) return undefined;
    throw error;
  }
}

/** Whether a root (its identity, or a root-chain entry) is the pinned one, by the digest the pin holds. */
export function isPinnedRoot(id: Pick<RootIdentity, 'version' | 'sha256' | 'signedSha256'>, pin: PinnedRoot): boolean {
  const have = pin.digest === 'file' ? id.sha256 : id.signedSha256;
  return id.version === pin.version && have === pin.sha256.toLowerCase();
}

function matches(bytes: Uint8Array | undefined, pin: PinnedRoot, maxBytes: number): boolean {
  if (bytes === undefined) return false;
  const id = rootIdentity(bytes, maxBytes);
  return id !== undefined && isPinnedRoot(id, pin);
}

/** The cached root.json (never through a symlink), or undefined when missing, not a file or larger than the bound. */
async function readCachedRoot(path: string, maxBytes: number): Promise<Uint8Array | undefined> {
  const read = await readBoundedFile(path, maxBytes, { noFollow: true });
  return read.kind === 'file' ? read.bytes : undefined;
}

export function pinRootError(what: string, pin: PinnedRoot, lockfileHint: string, cause?: unknown): VerifyError {
  return new VerifyError('TUF_PIN_ROOT', `${what}, not the root version ${pin.version} (sha256${pin.digest === 'file' ? '' : ' of its signed part'} ${pin.sha256.slice(0, 16)}…) pinned in ${lockfileHint}`, {
    role: 'root',
    attack: 'trust anchor substitution: a root the pins do not vouch for (a forged root in tufpm-root.json, in a configured root path or in the state directory)',
    recovery: 'do not install; restore tufpm-root.json from a trusted revision (git log -- tufpm-root.json) and check its sha256 with the registry operator. After a real root rotation, an install from the pinned root moves the pin',
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * TUF 5.2 with pins: the bytes of the root to start the walk from, or undefined when the cached root at
 * `cachedRootPath` already is the pinned one. Tries, in order, the cached root, the project's trusted root
 * and the registry's `<version>.root.json` (authenticated by the pinned sha256, whoever serves it); refuses
 * (TUF_PIN_ROOT) when none is the pinned root.
 */
export async function pinnedStartRoot(
  pin: PinnedRoot,
  cachedRootPath: string,
  projectRoot: Uint8Array,
  metadataUrl: string,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  if (matches(await readCachedRoot(cachedRootPath, maxBytes), pin, maxBytes)) return undefined;
  if (matches(projectRoot, pin, maxBytes)) return projectRoot;
  let served: Uint8Array | undefined;
  try {
    served = await downloadBytes(new UrlFetcher(), joinUrl(metadataUrl, metadataFileName('root', pin.version)), maxBytes);
  } catch (error) {
    // not found (or refused as too long): the registry has no such root; anything else is the network
    if (!(error instanceof LengthMismatchError) && (!(error instanceof DownloadError) || error.retryable)) throw error;
  }
  if (matches(served, pin, maxBytes)) return served;
  throw pinRootError('neither the project\'s trusted root nor the registry\'s root at that version is the pinned root', pin, 'tufpm-lock.json');
}
