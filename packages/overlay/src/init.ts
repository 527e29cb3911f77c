import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DelegatedRole, type Key, type Signer } from '@tufpm/models';
import { Repository, UNCLAIMED_PATHS, checkExpiries, declareMerkleProfile, expiresIn, openMerkleStore, persistRepository, writeConfig, writeNewKeyPair, type Expiries, type SnapshotProfile } from '@tufpm/repo';
import { OVERLAY_APPROVAL_ROLE } from '@tufpm/verify';
import { OverlayError } from './errors.js';
import { normalizeUpstream, overlayPaths, readOverlayConfig, writeOverlayConfig, type OverlayPaths } from './layout.js';

export interface InitOverlayOptions {
  repoDir: string;
  /** default `<repoDir>/keys` */
  keysDir?: string;
  upstream: string;
  /** the reviewers' public keys: the approval role's keys */
  reviewers: Key[];
  /** signatures of distinct reviewers an approval needs (default 1) */
  threshold?: number;
  expiries?: Partial<Expiries>;
  /**
   * 'merkle': the snapshot is a sparse Merkle tree whose root the timestamp signs (ADR 0021); every epoch
   * writes the proof files beside the roles, so the metadata directory stays static files. Default 'classic'.
   */
  snapshot?: SnapshotProfile;
  now?: Date;
}

export interface InitOverlayResult {
  paths: OverlayPaths;
  upstream: string;
  rootFile: string;
  /** sha256 of 1.root.json's bytes: what projects pass to `tufpm-npm init --root-sha256` */
  rootSha256: string;
  reviewers: string[];
  threshold: number;
  snapshot: SnapshotProfile;
}

/**
 * Creates a metadata-only repository over `upstream` (ADR 0017): root and targets (offline keys), snapshot
 * and timestamp (online keys, for a scheduled job) as in the registry profile, and one delegation from
 * targets to the reviewers' approval role covering every package path, terminating. No tarball is stored:
 * target paths are the upstream's tarball paths. The approval role starts empty and unsigned (nothing is
 * approved; installs refuse everything) until the reviewers' first approval.
 */
export async function initOverlay(opts: InitOverlayOptions): Promise<InitOverlayResult> {
  const paths = overlayPaths(opts.repoDir, opts.keysDir);
  const upstream = normalizeUpstream(opts.upstream);
  const threshold = opts.threshold ?? 1;
  const reviewers = [...new Map(opts.reviewers.map((k) => [k.keyid, k])).values()];
  if (reviewers.length === 0) throw new OverlayError('TUF_OVERLAY_STATE', 'at least one reviewer key (--reviewer) is required');
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > reviewers.length) {
    throw new OverlayError('TUF_OVERLAY_STATE', `--threshold must be in 1..${reviewers.length} (the number of distinct reviewer keys)`);
  }
  try {
    await readOverlayConfig(paths);
    throw new OverlayError('TUF_OVERLAY_STATE', `${paths.repoDir} already holds an overlay repository`);
  } catch (error) {
    if (!(error instanceof OverlayError) || !error.message.includes('missing')) throw error;
  }
  const profile = opts.snapshot ?? 'classic';
  if (profile !== 'classic' && profile !== 'merkle') throw new OverlayError('TUF_OVERLAY_STATE', `--snapshot must be classic or merkle, not ${JSON.stringify(profile)}`);
  const now = opts.now ?? new Date();
  const expiries = checkExpiries(opts.expiries ?? {});
  const repo = Repository.create({
    expires: {
      root: expiresIn(now, expiries.root),
      targets: expiresIn(now, expiries.targets),
      snapshot: expiresIn(now, expiries.snapshot),
      timestamp: expiresIn(now, expiries.timestamp),
    },
  });
  await mkdir(paths.keysDir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  // A static host cannot generate proofs on request: in the Merkle profile each epoch writes them all
  // (an overlay's tree holds two roles, targets and the approval role).
  const materializeProofs = profile === 'merkle';
  try {
    if (profile === 'merkle') {
      declareMerkleProfile(repo.root.signed);
      repo.merkle = await openMerkleStore(paths.metadataDir);
    }
    const signers = new Map<string, Signer>();
    for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
      const { signer, privatePath, publicPath } = await writeNewKeyPair(join(paths.keysDir, role === 'root' || role === 'targets' ? 'offline' : 'online'), role);
      written.push(privatePath, publicPath);
      repo.addKey(role, signer.key);
      repo.setThreshold(role, 1);
      signers.set(role, signer);
    }
    // The npm profile's paths: every unscoped and scoped tarball (and release list) of the upstream.
    repo.delegate('targets', new DelegatedRole({ name: OVERLAY_APPROVAL_ROLE, terminating: true, paths: [...UNCLAIMED_PATHS], threshold }), reviewers, {
      expires: expiresIn(now, expiries.package),
    });
    repo.sign('targets', [signers.get('targets')!]);
    repo.updateSnapshot();
    repo.sign('snapshot', [signers.get('snapshot')!]);
    repo.updateTimestamp();
    repo.sign('timestamp', [signers.get('timestamp')!]);
    repo.sign('root', [signers.get('root')!]);
    await writeConfig(paths.keysDir, { expiries, snapshotLengthAndHashes: false, materializeProofs });
    written.push(join(paths.keysDir, 'repo.json'));
    await mkdir(paths.metadataDir, { recursive: true });
    await persistRepository(repo, paths.metadataDir, { allowUnderThreshold: [OVERLAY_APPROVAL_ROLE], materializeProofs });
    await writeOverlayConfig(paths, { upstream });
  } catch (error) {
    for (const f of written) await rm(f, { force: true });
    throw error;
  }
  const rootFile = join(paths.metadataDir, '1.root.json');
  const rootSha256 = createHash('sha256').update(await readFile(rootFile)).digest('hex');
  return { paths, upstream, rootFile, rootSha256, reviewers: reviewers.map((k) => k.keyid), threshold, snapshot: profile };
}
