import { constants } from 'node:fs';
import { open, readdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { encodeRoleName, releaseIndexPath, TufError } from '@tufpm/models';
import { ensureDir } from '../fs-util.js';
import { writeFileAtomic } from '@tufpm/merkle';
import type { Repository } from '../repository.js';
import { UNCLAIMED_ROLE } from '../npm-repository.js';

/**
 * Where maintainers' requests wait for the operator, one namespace (directory) per kind (issue 19: claims
 * and key changes shared `tuf/claims/`, so a token allowed only the package `pkg-a.key-change` overwrote
 * the pending key change of `pkg-a`, and `pkg-a.approved` would hit the approved copy of pkg-a's claim):
 *
 *   <registry>/tuf/claims/<encoded name>.json                 pending claim requests
 *   <registry>/tuf/claims/approved/<encoded name>.json        approved ones (renamed by approve-claim)
 *   <registry>/tuf/key-changes/<encoded name>.json            pending key changes
 *   <registry>/tuf/key-changes/applied/<encoded name>.json    applied ones (renamed by apply-key-change)
 *
 * A pending file name is `<encoded name>.json` and nothing else lives beside it but the done directory,
 * which has no `.json` suffix, so no package name reaches another's file.
 */
export type RequestKind = 'claim' | 'key-change';

const DIRS: Record<RequestKind, { dir: string; done: string }> = {
  claim: { dir: 'claims', done: 'approved' },
  'key-change': { dir: 'key-changes', done: 'applied' },
};

export function requestDir(registryDir: string, kind: RequestKind): string {
  return join(registryDir, 'tuf', DIRS[kind].dir);
}

export function requestFile(registryDir: string, kind: RequestKind, name: string): string {
  return join(requestDir(registryDir, kind), `${encodeRoleName(name)}.json`);
}

/** Where a request goes once the operator acted on it. */
export function doneRequestFile(registryDir: string, kind: RequestKind, name: string): string {
  return join(requestDir(registryDir, kind), DIRS[kind].done, `${encodeRoleName(name)}.json`);
}

/** A request refused before it is stored, with its HTTP status. */
export class RequestRefusedError extends TufError {
  constructor(readonly status: number, code: string, message: string) {
    super(code, message);
  }
}

/**
 * Bounds on what maintainers can make the registry store (issue 19: a scope token could store a 4 MiB
 * request for every name of its scope, never published, until the disk was full). One pending request
 * per package and kind (a new one replaces it), at most PER_USER pending per user and kind, and at most
 * TOTAL pending per kind.
 */
export const MAX_PENDING_PER_USER = 16;
export const MAX_PENDING_TOTAL = 1000;

/** The `submittedBy` of a stored request, from its first bytes (the store writes it first). */
async function submitterOf(file: string): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw err;
  }
  try {
    const buf = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const m = /^\{\s*"submittedBy"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(buf.subarray(0, bytesRead).toString('utf8'));
    return m === null ? undefined : (JSON.parse(m[1]!) as string);
  } finally {
    await fh.close();
  }
}

/**
 * Stores a checked request for the operator, within the bounds above. `request` is the JSON of the
 * request; `submittedBy` and `submitted` are written first.
 */
export async function storeRequest(registryDir: string, kind: RequestKind, name: string, user: string, now: Date, request: Record<string, unknown>): Promise<void> {
  const dir = requestDir(registryDir, kind);
  await ensureDir(dir, 0o700);
  const mine = requestFile(registryDir, kind, name);
  const pending = (await readdir(dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.')).map((f) => join(dir, f));
  const others = pending.filter((f) => f !== mine);
  if (others.length >= MAX_PENDING_TOTAL) {
    throw new RequestRefusedError(429, 'TUF_REQUESTS_PENDING', `${others.length} ${kind} requests wait for the registry operator; try again once some are handled`);
  }
  let byUser = 0;
  for (const f of others) if ((await submitterOf(f)) === user) byUser += 1;
  if (byUser >= MAX_PENDING_PER_USER) {
    throw new RequestRefusedError(429, 'TUF_REQUESTS_PENDING', `${user} has ${byUser} ${kind} requests waiting for the registry operator (at most ${MAX_PENDING_PER_USER}); try again once they are handled`);
  }
  const body = { submittedBy: user, submitted: now.toISOString(), ...request };
  await writeFileAtomic(mine, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Whether the registry has signed a release of `name`: claimed (a delegation), or its release list in
 * its unclaimed bin (ADR 0013: every registry-signed publish signs one). A request for a name never
 * published is not stored.
 */
export function publishedIn(repo: Repository, name: string): 'claimed' | 'unclaimed' | undefined {
  if (repo.delegated.has(name) && repo.targets.signed.delegations?.getRole(name) !== undefined && name !== UNCLAIMED_ROLE) return 'claimed';
  const bins = repo.targetsRole(UNCLAIMED_ROLE).signed.delegations?.succinctRoles;
  if (bins === undefined) return undefined;
  const path = releaseIndexPath(name);
  const bin = bins.getRoleForTarget(path);
  return repo.delegated.has(bin) && repo.targetsRole(bin).signed.targets.has(path) ? 'unclaimed' : undefined;
}

/** Moves a handled request to its kind's done directory (approved claims, applied key changes). */
export async function moveToDone(file: string, done: string): Promise<void> {
  await ensureDir(dirname(done), 0o700);
  await rename(file, done);
}
