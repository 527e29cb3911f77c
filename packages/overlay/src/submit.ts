// Reviewers' signatures on the approval role, with the maintainers' co-signing machinery of @tufpm/repo
// (signRole accumulates signatures, checkRoleSignatures counts distinct delegated keys and refuses a
// foreign or broken signature): below threshold the role is staged, at threshold it is published with
// the online snapshot and timestamp keys (or left complete in staged/ for the CI job that holds them).
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readBoundedFile } from '@tufpm/merkle';
import { Metadata, parseJsonStrict, type Signer, type Targets } from '@tufpm/models';
import { NpmRepository, checkRoleSignatures, delegationFor, loadRepository, signRole, writeFileAtomic, type Repository } from '@tufpm/repo';
import { OVERLAY_APPROVAL_ROLE } from '@tufpm/verify';
import { OverlayError } from './errors.js';
import type { OverlayPaths } from './layout.js';
import { renewOnline } from './renew.js';

export const STAGED_TYPE = 'tufpm-overlay-approval';
const MAX_STAGED_BYTES = 64 * 1024 * 1024;

export interface Published {
  repo: Repository;
  role: Metadata<Targets>;
  delegation: NonNullable<ReturnType<typeof delegationFor>>;
}

/** The overlay repository's published state: its approval role and the delegation (reviewers' keys, threshold). */
export async function loadPublished(paths: OverlayPaths): Promise<Published> {
  const repo = await loadRepository(paths.metadataDir);
  const delegation = delegationFor(repo.targets.signed, OVERLAY_APPROVAL_ROLE);
  if (delegation === undefined || !repo.hasRole(OVERLAY_APPROVAL_ROLE)) {
    throw new OverlayError('TUF_OVERLAY_STATE', `${paths.metadataDir} is not an overlay repository (targets does not delegate to ${OVERLAY_APPROVAL_ROLE})`);
  }
  const role = repo.targetsRole(OVERLAY_APPROVAL_ROLE);
  // A reviewer signs version N+1 on top of what metadata/ holds: a pull request to the team's repository
  // could have slipped unsigned approvals into it. TUF 5.3.4 / 5.6.3 on the local chain: root signs itself,
  // targets is signed by root's targets keys, the approval role by the reviewers' threshold (only the empty
  // version 1 that init writes is unsigned). Throws TUF_THRESHOLD otherwise.
  repo.root.signed.verifyDelegate('root', repo.root);
  repo.root.signed.verifyDelegate('targets', repo.targets);
  if (!(role.signed.version === 1 && role.signed.targets.size === 0)) repo.targets.signed.verifyDelegate(OVERLAY_APPROVAL_ROLE, role);
  return { repo, role, delegation };
}

export interface StagedApproval {
  /** what the role changes, in words reviewers read before co-signing */
  summary: { added: string[]; removed: string[] };
  role: Metadata<Targets>;
}

export async function readStaged(paths: OverlayPaths): Promise<StagedApproval | undefined> {
  const read = await readBoundedFile(paths.stagedFile, MAX_STAGED_BYTES);
  if (read.kind === 'missing') return undefined;
  if (read.kind !== 'file') throw new OverlayError('TUF_APPROVAL_STAGED', `${paths.stagedFile} is ${read.kind === 'too-large' ? 'too large' : 'not a regular file'}`);
  const bytes = read.bytes;
  const value = parseJsonStrict(bytes, MAX_STAGED_BYTES) as Record<string, unknown>;
  const summary = value?.['summary'] as Record<string, unknown> | undefined;
  if (value?.['type'] !== STAGED_TYPE || typeof summary !== 'object' || summary === null || !Array.isArray(summary['added']) || !Array.isArray(summary['removed'])) {
    throw new OverlayError('TUF_APPROVAL_STAGED', `${paths.stagedFile} is not a staged approval`);
  }
  return { summary: { added: summary['added'].map(String), removed: summary['removed'].map(String) }, role: Metadata.fromJSON(value['role'], 'targets') };
}

async function writeStaged(paths: OverlayPaths, staged: StagedApproval): Promise<void> {
  await mkdir(dirname(paths.stagedFile), { recursive: true });
  const doc = { type: STAGED_TYPE, summary: staged.summary, role: staged.role.toJSON() };
  await writeFileAtomic(paths.stagedFile, `${JSON.stringify(doc, null, 1)}\n`, { mode: 0o644 });
}

export async function discardStaged(paths: OverlayPaths): Promise<boolean> {
  const had = existsSync(paths.stagedFile);
  await rm(paths.stagedFile, { force: true });
  return had;
}

export interface SubmitResult {
  outcome: 'published' | 'staged' | 'complete';
  signatures: number;
  threshold: number;
  roleVersion: number;
  /** snapshot/timestamp versions when published */
  snapshot?: number;
  timestamp?: number;
}

/** Whether the keys directory holds the online snapshot and timestamp keys (the CI job's, or a one-person setup). */
export function hasOnlineKeys(paths: OverlayPaths): boolean {
  return existsSync(join(paths.keysDir, 'repo.json')) && existsSync(join(paths.keysDir, 'online'));
}

/**
 * Adds `signers`' signatures to `candidate` (version N + 1 of the published role), then publishes it when
 * the reviewers' threshold is met and the online keys are at hand, else stages it.
 */
export async function submitApproval(paths: OverlayPaths, published: Published, candidate: Metadata<Targets>, summary: StagedApproval['summary'], signers: readonly Signer[], opts: { publish: boolean }): Promise<SubmitResult> {
  if (candidate.signed.version !== published.role.signed.version + 1) {
    throw new OverlayError('TUF_APPROVAL_STAGED', `the staged approval is role v${candidate.signed.version}, but the published role is v${published.role.signed.version}: it was built on an older state; discard it (tufpm-overlay discard) and approve again`);
  }
  for (const s of signers) {
    if (!published.delegation.role.keyids.includes(s.key.keyid)) {
      throw new OverlayError('TUF_NOT_APPROVED', `key ${s.key.keyid} is not a reviewer key of this overlay (reviewers: ${published.delegation.role.keyids.join(', ')})`);
    }
  }
  signRole(candidate, signers);
  // TUF 5.6.3 as the installers will check it: distinct reviewer keys against the delegation's threshold.
  const v = checkRoleSignatures(OVERLAY_APPROVAL_ROLE, published.delegation, candidate);
  const base = { signatures: v.distinctKeys, threshold: v.threshold, roleVersion: candidate.signed.version };
  if (!v.verified || !opts.publish || !hasOnlineKeys(paths)) {
    await writeStaged(paths, { summary, role: candidate });
    return { outcome: v.verified ? 'complete' : 'staged', ...base };
  }
  const { snapshot, timestamp } = await publishRole(paths, candidate);
  await discardStaged(paths);
  return { outcome: 'published', ...base, snapshot, timestamp };
}

/** Installs a fully signed approval role and signs a new snapshot and timestamp (online keys). */
export async function publishRole(paths: OverlayPaths, candidate: Metadata<Targets>): Promise<{ snapshot: number; timestamp: number }> {
  const core = await NpmRepository.open({ dir: paths.metadataDir, keysDir: paths.keysDir });
  const r = await renewOnline(core, 'snapshot', (repo) => {
    const now = repo.targetsRole(OVERLAY_APPROVAL_ROLE).signed.version;
    if (candidate.signed.version !== now + 1) {
      throw new OverlayError('TUF_APPROVAL_STAGED', `the approval is role v${candidate.signed.version}, but the published role is v${now}: discard it and approve again`);
    }
    // The reviewers' bytes replace the role as they are (no bump, no re-signing by the online keys).
    repo.delegated.set(OVERLAY_APPROVAL_ROLE, candidate);
    repo.changed.add(OVERLAY_APPROVAL_ROLE);
  });
  return { snapshot: r.snapshot.version, timestamp: r.timestamp.version };
}
