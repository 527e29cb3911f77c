// `approve --lockfile ... --registry DIR`: the overlay's approval of a lockfile (the same reading, download
// and checks: approve.ts, lockfiles.ts, upstream.ts), signed into a tufpm registry instead of an overlay
// repository. For packages a registry serves without publishing them (Verdaccio's uplinks): each approved
// tarball becomes a target of its hash bin, signed with the registry's online key with its release list,
// exactly as if it had been published there (ADR 0025).
import { NpmRepository, recordProxiedPackages, type PublishResult } from '@tufpm/repo';
import { approvable, mapLimit, type ApprovalPlan } from './approve.js';
import { readLockedTree, type LockedPackage } from './lockfiles.js';
import type { TarballSource } from './upstream.js';

export interface ApproveIntoRegistryOptions {
  /** the registry's TUF metadata directory (`<registry dir>/tuf/metadata`) */
  metadataDir: string;
  /** the registry's keys directory: only `online/` and repo.json are used */
  keysDir: string;
  /** the registry URL the lockfile resolves from (Verdaccio's own URL): tarballs are downloaded from it */
  upstream: string;
  lockfile: string;
  dryRun?: boolean;
  tarballsDir?: string;
  npmCache?: string;
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ApproveIntoRegistryResult extends ApprovalPlan {
  outcome: 'dry-run' | 'nothing to approve' | 'signed';
  signed?: PublishResult[];
  snapshot?: number;
  seconds: number;
}

const key = (p: { name: string; version: string }): string => `${p.name}@${p.version}`;

export async function approveIntoRegistry(opts: ApproveIntoRegistryOptions): Promise<ApproveIntoRegistryResult> {
  const started = performance.now();
  const seconds = (): number => Math.round((performance.now() - started) / 10) / 100;
  const repo = await NpmRepository.open({ dir: opts.metadataDir, keysDir: opts.keysDir });
  const tree = await readLockedTree(opts.lockfile, opts.upstream);
  const plan: ApprovalPlan = { lockfile: opts.lockfile, kind: tree.kind, upstream: opts.upstream, new: [], approved: [], unapprovable: [...tree.unapprovable] };
  const wanted: LockedPackage[] = [];
  for (const pkg of tree.packages) {
    if (repo.claimedRole(pkg.name) !== undefined) {
      // Its maintainers sign it (ADR 0005): the registry's online key never may.
      plan.unapprovable.push({ spec: key(pkg), reason: 'claimed by its maintainers: only they sign its releases (tufpm sign / tufpm publish)' });
      continue;
    }
    const signed = repo.repo.targetsRole(repo.unclaimedBins().getRoleForTarget(pkg.targetPath)).signed.targets.get(pkg.targetPath);
    if (signed === undefined) {
      plan.new.push(key(pkg));
      wanted.push(pkg);
    } else if (pkg.sha512 !== undefined && signed.hashes['sha512'] !== pkg.sha512) {
      plan.unapprovable.push({ spec: key(pkg), reason: 'signed with other bytes than the lockfile records (the lockfile was edited, or the upstream republished it): installs refuse it' });
    } else {
      plan.approved.push(key(pkg));
    }
  }
  if (opts.dryRun === true) return { ...plan, outcome: 'dry-run', seconds: seconds() };
  if (wanted.length === 0) return { ...plan, outcome: 'nothing to approve', seconds: seconds() };
  const source: TarballSource = { upstream: opts.upstream, ...(opts.tarballsDir === undefined ? {} : { tarballsDir: opts.tarballsDir }), ...(opts.npmCache === undefined ? {} : { npmCache: opts.npmCache }) };
  const tarballs = await mapLimit(wanted, opts.concurrency ?? 8, (pkg) => approvable(source, pkg), (done) => opts.onProgress?.(done, wanted.length));
  // One transaction (publishPrepared): every approved target, each package's release list, one snapshot.
  // A package claimed meanwhile is refused there (onlineOnly), and nothing is signed.
  // Recorded before signing: from now on the registry refuses local publishes of these names (a new version
  // from anyone with publish rights would otherwise be signed beside the reviewed ones).
  await recordProxiedPackages(opts.metadataDir, opts.keysDir, wanted.map((p) => p.name));
  const signed = await repo.publishPrepared(tarballs, { onlineOnly: true });
  return { ...plan, outcome: 'signed', signed, snapshot: repo.repo.snapshot.signed.version, seconds: seconds() };
}

