// `approve --lockfile`: every registry package of a lockfile, checked against the lockfile's integrity
// and signed (with its install-relevant manifest facts, `custom.npm`, as the registry profile signs them)
// into the reviewers' approval role. Also `cosign` (a second reviewer re-derives every added target from
// the upstream before signing) and `revoke`.
import { createHash } from 'node:crypto';
import type { Signer } from '@tufpm/models';
import { identicalTarget, readPackageTarball, type PackageTarball } from '@tufpm/repo';
import { targetPathFor } from '@tufpm/verify';
import { OverlayError } from './errors.js';
import { diffApproval, nextApprovalRole } from './approval-role.js';
import { readOverlayConfig, type OverlayPaths } from './layout.js';
import { readLockedTree, type LockedPackage, type Unapprovable } from './lockfiles.js';
import { discardStaged, loadPublished, readStaged, submitApproval, type Published, type SubmitResult } from './submit.js';
import { fetchTarball, type TarballSource } from './upstream.js';

export interface ApprovalPlan {
  lockfile: string;
  kind: string;
  upstream: string;
  /** name@version not approved yet */
  new: string[];
  /** name@version already approved with the same bytes */
  approved: string[];
  unapprovable: Unapprovable[];
}

export interface ApproveOptions {
  paths: OverlayPaths;
  lockfile: string;
  signers: readonly Signer[];
  dryRun?: boolean;
  tarballsDir?: string;
  /** npm's content cache (`~/.npm/_cacache`): tarballs the lockfile pins by sha512 are taken from it */
  npmCache?: string;
  concurrency?: number;
  now?: Date;
  onProgress?: (done: number, total: number) => void;
}

export interface ApproveResult extends ApprovalPlan {
  outcome: 'dry-run' | 'nothing to approve' | SubmitResult['outcome'];
  submit?: SubmitResult;
  seconds: number;
}

const key = (p: { name: string; version: string }): string => `${p.name}@${p.version}`;

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>, onDone?: (done: number) => void): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
      onDone?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** The tarball of `pkg`, checked against the lockfile's integrity and its own package.json, with its facts read. */
export async function approvable(source: TarballSource, pkg: LockedPackage): Promise<PackageTarball> {
  const bytes = await fetchTarball(source, pkg.targetPath, pkg.sha512);
  if (pkg.sha512 !== undefined && createHash('sha512').update(bytes).digest('hex') !== pkg.sha512) {
    throw new OverlayError('TUF_APPROVAL_INTEGRITY', `${key(pkg)}: the tarball from ${source.tarballsDir ?? source.upstream} differs from the integrity the lockfile records: nothing was approved (the upstream, a mirror or the lockfile was altered; find out which before approving)`);
  }
  const read = await readPackageTarball(bytes);
  if (read.name !== pkg.name || read.version !== pkg.version || read.targetPath !== pkg.targetPath) {
    throw new OverlayError('TUF_APPROVAL_INTEGRITY', `${key(pkg)}: the tarball's package.json names ${read.name}@${read.version}: nothing was approved`);
  }
  return read;
}

export async function approveLockfile(opts: ApproveOptions): Promise<ApproveResult> {
  const started = performance.now();
  const { upstream } = await readOverlayConfig(opts.paths);
  if (!opts.dryRun && (await readStaged(opts.paths)) !== undefined) {
    throw new OverlayError('TUF_APPROVAL_STAGED', `an approval is already staged in ${opts.paths.stagedFile}: co-sign it (tufpm-overlay cosign) or discard it (tufpm-overlay discard) first`);
  }
  const published = await loadPublished(opts.paths);
  const tree = await readLockedTree(opts.lockfile, upstream);
  const plan: ApprovalPlan = { lockfile: opts.lockfile, kind: tree.kind, upstream, new: [], approved: [], unapprovable: [...tree.unapprovable] };
  const wanted: LockedPackage[] = [];
  for (const pkg of tree.packages) {
    const signed = published.role.signed.targets.get(pkg.targetPath);
    if (signed === undefined) {
      plan.new.push(key(pkg));
      wanted.push(pkg);
    } else if (pkg.sha512 !== undefined && signed.hashes['sha512'] !== pkg.sha512) {
      plan.unapprovable.push({ spec: key(pkg), reason: 'approved with other bytes than the lockfile records (the lockfile was edited, or the upstream republished it): installs refuse it' });
    } else {
      plan.approved.push(key(pkg));
    }
  }
  const seconds = (): number => Math.round((performance.now() - started) / 10) / 100;
  if (opts.dryRun) return { ...plan, outcome: 'dry-run', seconds: seconds() };
  if (wanted.length === 0) return { ...plan, outcome: 'nothing to approve', seconds: seconds() };
  if (opts.signers.length === 0) throw new OverlayError('TUF_NOT_APPROVED', 'a reviewer key (--key) is required to approve');
  const source: TarballSource = { upstream, ...(opts.tarballsDir === undefined ? {} : { tarballsDir: opts.tarballsDir }), ...(opts.npmCache === undefined ? {} : { npmCache: opts.npmCache }) };
  const tarballs = await mapLimit(wanted, opts.concurrency ?? 8, (pkg) => approvable(source, pkg), (done) => opts.onProgress?.(done, wanted.length));
  const candidate = nextApprovalRole(published.role, { add: tarballs, now: opts.now ?? new Date() });
  const submit = await submitApproval(opts.paths, published, candidate, { added: plan.new, removed: [] }, opts.signers, { publish: true });
  return { ...plan, outcome: submit.outcome, submit, seconds: seconds() };
}

export interface CosignResult {
  summary: { added: string[]; removed: string[] };
  submit: SubmitResult;
}

/**
 * A second reviewer's signature on the staged approval. Before signing, every target it adds is derived
 * again from the upstream (or --tarballs) and must be identical (length, hashes, manifest facts); every
 * other change must be a removal or a release list that follows from the approved versions.
 */
export async function cosignStaged(opts: { paths: OverlayPaths; signers: readonly Signer[]; tarballsDir?: string; concurrency?: number; publish?: boolean }): Promise<CosignResult> {
  const staged = await readStaged(opts.paths);
  if (staged === undefined) throw new OverlayError('TUF_APPROVAL_STAGED', `nothing is staged in ${opts.paths.stagedFile}`);
  if (opts.signers.length === 0) throw new OverlayError('TUF_NOT_APPROVED', 'a reviewer key (--key) is required to co-sign');
  const { upstream } = await readOverlayConfig(opts.paths);
  const published = await loadPublished(opts.paths);
  await checkStagedContent(published, staged.role, { upstream, ...(opts.tarballsDir === undefined ? {} : { tarballsDir: opts.tarballsDir }) }, opts.concurrency ?? 8);
  const submit = await submitApproval(opts.paths, published, staged.role, staged.summary, opts.signers, { publish: opts.publish !== false });
  return { summary: staged.summary, submit };
}

async function checkStagedContent(published: Published, candidate: Published['role'], source: TarballSource, concurrency: number): Promise<void> {
  const diff = diffApproval(published.role.signed, candidate.signed);
  const added = diff.added.filter((p) => p.endsWith('.tgz'));
  const rederived = await mapLimit(added, concurrency, async (path) => {
    const bytes = await fetchTarball(source, path);
    return readPackageTarball(bytes);
  });
  for (const pkg of rederived) {
    const staged = candidate.signed.targets.get(pkg.targetPath);
    if (staged === undefined || pkg.targetPath !== staged.path || !identicalTarget(staged, pkg.target)) {
      throw new OverlayError('TUF_APPROVAL_INTEGRITY', `the staged approval of ${pkg.name}@${pkg.version} differs from the tarball the upstream serves: not co-signed`);
    }
  }
  // Release lists and removals must be exactly what the approved tarballs imply.
  const expected = nextApprovalRole(published.role, { add: rederived, remove: diff.removed, now: new Date() });
  const rest = diffApproval(expected.signed, candidate.signed);
  if (rest.added.length + rest.removed.length + rest.changed.length > 0) {
    throw new OverlayError('TUF_APPROVAL_INTEGRITY', `the staged approval carries changes its tarballs do not explain (${[...rest.added, ...rest.removed, ...rest.changed].slice(0, 5).join(', ')}): not co-signed`);
  }
}

/** Withdraws the approval of name@version (a version found malicious): the next install refuses it. */
export async function revokeApproval(opts: { paths: OverlayPaths; name: string; version: string; signers: readonly Signer[]; now?: Date }): Promise<{ submit: SubmitResult }> {
  if ((await readStaged(opts.paths)) !== undefined) {
    throw new OverlayError('TUF_APPROVAL_STAGED', `an approval is already staged in ${opts.paths.stagedFile}: co-sign it or discard it (tufpm-overlay discard) first`);
  }
  if (opts.signers.length === 0) throw new OverlayError('TUF_NOT_APPROVED', 'a reviewer key (--key) is required to revoke');
  const published = await loadPublished(opts.paths);
  const path = targetPathFor(opts.name, opts.version);
  if (!published.role.signed.targets.has(path)) throw new OverlayError('TUF_NOT_APPROVED', `${opts.name}@${opts.version} is not approved: nothing to revoke`);
  const candidate = nextApprovalRole(published.role, { remove: [path], now: opts.now ?? new Date() });
  const submit = await submitApproval(opts.paths, published, candidate, { added: [], removed: [`${opts.name}@${opts.version}`] }, opts.signers, { publish: true });
  return { submit };
}

export { discardStaged };
