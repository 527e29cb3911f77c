// Attacks on the served TUF metadata itself: freeze, mix-and-match, endless data, fast-forward and
// rollback of one role. See attacks.ts for the shared context and docs/fixtures.md for the list.
import { readFile } from 'node:fs/promises';
import { forgeSnapshotAndTimestamp, readRole, readTimestamp, resign, restoreDir, writeMetadata, type SavedState } from './attacks-metadata.js';
import { highestVersion, refreshRole, roleOf, type AttackContext, type AttackResult } from './attacks.js';

/**
 * Indefinite freeze: the timestamp is re-signed with the real timestamp key, same version, but an expiry
 * in the past (what a client sees when a mirror keeps serving a stale timestamp).
 */
export async function freezeTimestamp(ctx: AttackContext, opts: { expires?: Date } = {}): Promise<AttackResult> {
  const { md } = await readTimestamp(ctx.metadataDir);
  const expires = opts.expires ?? new Date(Math.floor(ctx.now().getTime() / 1000) * 1000 - 3600_000);
  md.signed.expires = expires;
  resign(md, [ctx.keys.timestamp.signer]);
  await writeMetadata(ctx.metadataDir, 'timestamp', md);
  return {
    attack: 'indefinite freeze',
    description: `timestamp v${md.signed.version} re-signed with expiry ${expires.toISOString()}`,
    expectedCodes: ['TUF_EXPIRED'],
  };
}

/**
 * Mix-and-match: the role covering `name` is first given a new, legitimately signed version N (same
 * targets, new expiry; so no client can hold N in its cache), then an older version of that role is
 * served under N's file name. Snapshot lists N, the file says an older version.
 */
export async function mixAndMatch(ctx: AttackContext, name: string): Promise<AttackResult> {
  const version = await highestVersion(ctx.dir, name);
  const { role } = await refreshRole(ctx, name, version);
  const current = await readRole(ctx.metadataDir, role);
  const older = await readRole(ctx.metadataDir, role, current.md.signed.version - 1);
  await writeMetadata(ctx.metadataDir, role, older.md, current.file);
  return {
    attack: 'mix-and-match',
    description: `served ${older.file} as ${current.file} (role ${role}, which covers ${name})`,
    name, version,
    expectedCodes: ['TUF_VERSION_MISMATCH', 'TUF_HASH', 'TUF_LENGTH'],
  };
}

const LIMITS = { timestamp: 16_384, targets: 5_000_000 } as const;

/**
 * Endless data: the registry answers requests for a top-level metadata file with the real bytes followed
 * by whitespace, well past the client's bound (timestamp: 16 KiB default limit; snapshot: the length the
 * timestamp signs; targets: the 5 MB default limit), without a Content-Length (streamed).
 * Only requests the client actually makes are affected: a cached snapshot/targets is not fetched again.
 */
export async function overLengthMetadata(ctx: AttackContext, role: 'timestamp' | 'snapshot' | 'targets', opts: { bytes?: number } = {}): Promise<AttackResult> {
  const pattern = role === 'timestamp' ? /^timestamp\.json$/ : new RegExp(`^[0-9]+\\.${role}\\.json$`);
  let total = opts.bytes;
  if (total === undefined) {
    if (role === 'snapshot') total = ((await readTimestamp(ctx.metadataDir)).md.signed.snapshotMeta.length ?? 16_000_000) + 64 * 1024;
    else total = LIMITS[role] + 64 * 1024;
  }
  const size = total;
  ctx.addIntercept(async (req, res, route) => {
    if (route?.kind !== 'tuf' || !pattern.test(route.file)) return false;
    const real = await readFile(`${ctx.metadataDir}/${route.file}`).catch(() => Buffer.from('{}'));
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    res.write(real);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = real.length;
    const pump = (): void => {
      while (sent < size && !res.destroyed) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    pump();
    return true;
  });
  return {
    attack: 'endless data',
    description: `${role} served padded to ${size} bytes`,
    // targets has no signed length: passing the configured bound is TUF_METADATA_TOO_LARGE
    expectedCodes: [role === 'targets' ? 'TUF_METADATA_TOO_LARGE' : 'TUF_LENGTH'],
  };
}

/**
 * Fast-forward: an attacker holding the online timestamp key signs a timestamp with a huge version.
 * Clients accept it (it is validly signed) and from then on refuse every genuine, lower timestamp as a
 * rollback, until the operator recovers with recoverFromFastForward (TUF 5.3.11: rotate the timestamp key).
 */
export async function fastForwardTimestamp(ctx: AttackContext, opts: { by?: number } = {}): Promise<AttackResult & { forgedVersion: number }> {
  const { md } = await readTimestamp(ctx.metadataDir);
  md.signed.version += opts.by ?? 1_000_000;
  resign(md, [ctx.keys.timestamp.signer]);
  await writeMetadata(ctx.metadataDir, 'timestamp', md);
  return {
    attack: 'fast-forward',
    description: `timestamp re-signed with the real key at version ${md.signed.version}`,
    expectedCodes: ['TUF_ROLLBACK', 'TUF_PIN_ROLLBACK'],
    forgedVersion: md.signed.version,
  };
}

/**
 * The operator's recovery from a fast-forward (or a leaked timestamp key): put the genuine metadata back
 * and rotate the timestamp key, which publishes root N+1. Clients that see the new root drop their
 * fast-forwarded timestamp (TUF 5.3.11) and accept the genuine one again. Returns the new root version.
 * Note: ctx.keys.timestamp is the old key afterwards; the new one lives in the keys directory.
 */
export async function recoverFromFastForward(ctx: AttackContext, genuine: SavedState): Promise<{ root: number; timestamp: number }> {
  await restoreDir(ctx.metadataDir, genuine);
  const old = ctx.keys.timestamp.key.keyid;
  const res = await ctx.repo.rotateKey('timestamp', old);
  return { root: res.versions['root']!, timestamp: res.versions['timestamp']! };
}

/**
 * Rollback of one delegated role: an attacker holding the online snapshot and timestamp keys signs a
 * newer snapshot that lists the previous (genuinely signed) version of the role covering `name`, e.g. to
 * hide the release that fixed a vulnerability. Timestamp and snapshot move forward, so only a check of
 * role versions (against the client's trusted snapshot, TUF 5.5.5, or the project's pins) catches it.
 * `version` picks the role (for unclaimed packages, the bin of that version; default the highest).
 */
export async function rollbackRole(ctx: AttackContext, name: string, version?: string): Promise<AttackResult & { role: string; from: number; to: number }> {
  version ??= await highestVersion(ctx.dir, name);
  const role = roleOf(ctx.repo, name, version);
  const { md } = await readRole(ctx.metadataDir, role);
  const from = md.signed.version;
  if (from < 2) throw new Error(`role ${role} has no earlier version to roll back to`);
  await forgeSnapshotAndTimestamp(ctx.metadataDir, new Map([[role, from - 1]]), {
    snapshot: ctx.keys.snapshot.signer, timestamp: ctx.keys.timestamp.signer,
  });
  return {
    attack: 'rollback (one delegated role, online keys)',
    description: `a new snapshot lists role ${role} at v${from - 1} instead of v${from}`,
    name, version, role, from, to: from - 1,
    expectedCodes: ['TUF_PIN_ROLLBACK', 'TUF_ROLLBACK'],
  };
}
