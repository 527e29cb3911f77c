import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_RETRY, UrlFetcher, downloadBytes, joinUrl, writeFileAtomic, PRIVATE_FILE_MODE } from '@tufpm/client';
import { Metadata } from '@tufpm/models';
import { VerifyError } from './errors.js';
import { DEFAULT_TRUSTED_ROOT_NAME } from './verifier-open.js';

const MAX_ROOT_BYTES = 512 * 1024;

export interface BootstrapOptions {
  registryUrl: string;
  projectDir: string;
  metadataUrl?: string;
  /** sha256 (hex) of the root's bytes, obtained out of band from the registry operator. */
  expectedSha256?: string;
  /** Root bytes read from a file instead of the network. */
  rootBytes?: Uint8Array;
  /** Replace an existing tufpm-root.json. */
  force?: boolean;
  trustedRootPath?: string;
}

export interface BootstrapResult {
  path: string;
  version: number;
  sha256: string;
  /** true when the root was accepted without a sha256 given out of band (trust on first use) */
  trustOnFirstUse: boolean;
}

/**
 * Writes the project's initial trusted root (tufpm-root.json). The root must be a well-formed root that
 * its own keys sign to threshold; when `expectedSha256` is given (the secure way) its bytes must match.
 * Without it, the root is trusted on first use and the caller must say so to the user.
 */
export async function bootstrapTrustedRoot(options: BootstrapOptions): Promise<BootstrapResult> {
  const path = options.trustedRootPath ?? join(options.projectDir, DEFAULT_TRUSTED_ROOT_NAME);
  if (!options.force) {
    try {
      await stat(path);
      throw new VerifyError('TUF_LOCKFILE', `${path} already exists; pass --force to replace the trusted root`, {
        attack: 'none: refusing to replace a trusted root silently',
        recovery: 'keep the committed root (the client rotates it safely by itself), or replace it deliberately with --force',
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const registry = options.registryUrl.endsWith('/') ? options.registryUrl : `${options.registryUrl}/`;
  const metadataUrl = options.metadataUrl ?? `${registry}-/tuf/metadata/`;
  const bytes = options.rootBytes ?? (await downloadBytes(new UrlFetcher(), joinUrl(metadataUrl, '1.root.json'), MAX_ROOT_BYTES, DEFAULT_RETRY));
  if (bytes.length > MAX_ROOT_BYTES) {
    throw new VerifyError('TUF_NO_TRUSTED_ROOT', `root metadata is larger than ${MAX_ROOT_BYTES} bytes`, {
      attack: 'endless data',
      recovery: 'obtain the root metadata from the registry operator',
    });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (options.expectedSha256 !== undefined && options.expectedSha256.toLowerCase() !== sha256) {
    throw new VerifyError('TUF_NO_TRUSTED_ROOT', `root metadata sha256 ${sha256} differs from the expected ${options.expectedSha256}`, {
      attack: 'substituted initial root (man in the middle or compromised registry)',
      recovery: 'do not trust this registry; check the sha256 with the registry operator out of band',
    });
  }
  // TUF 5.2: the initial root must be a root that its own keys sign to threshold.
  const root = Metadata.root(bytes);
  root.signed.verifyDelegate('root', root);
  await writeFileAtomic(path, bytes, { mode: PRIVATE_FILE_MODE });
  return { path, version: root.signed.version, sha256, trustOnFirstUse: options.expectedSha256 === undefined };
}
