import { join } from 'node:path';
import { Metadata } from '@tufpm/models';
import { MERKLE_TIMESTAMP_FIELD } from '@tufpm/merkle';
import { readConfig } from './config.js';
import { readFileBounded } from './fs-util.js';
import { NpmRepository } from './npm-api.js';

const MAX_FILE = 64 * 1024 * 1024;

/** The expiries of the timestamp and of the snapshot it names, as served. */
async function servedExpiries(dir: string): Promise<{ timestamp: Date; snapshot: Date }> {
  const ts = Metadata.fromBytes(await readFileBounded(join(dir, 'timestamp.json'), MAX_FILE), 'timestamp', MAX_FILE);
  // Merkle profile (ADR 0021): no snapshot file; only the timestamp (which signs the tree root) expires.
  if (ts.signed.unrecognized[MERKLE_TIMESTAMP_FIELD] !== undefined) return { timestamp: ts.signed.expires, snapshot: new Date(8.64e15) };
  const file = `${ts.signed.snapshotMeta.version}.snapshot.json`;
  const snap = Metadata.fromBytes(await readFileBounded(join(dir, file), MAX_FILE), 'snapshot', MAX_FILE);
  return { timestamp: ts.signed.expires, snapshot: snap.signed.expires };
}

export interface ExpiryRenewerOptions {
  /** metadata directory */
  dir: string;
  /** keys directory; only `online/` (snapshot, timestamp) and repo.json are read */
  keysDir: string;
  /** renew a role once less than this part of its configured lifetime is left; default 0.5 */
  renewAt?: number;
  /** how often to look; default an eighth of the timestamp lifetime, between 250 ms and 60 s */
  intervalMs?: number;
  now?: () => Date;
  onRenew?: (r: { role: 'timestamp' | 'snapshot'; expires: Record<string, string> }) => void;
  onError?: (err: unknown) => void;
}

export interface ExpiryRenewer {
  /** one look now: renews what is due, returns what it renewed */
  check(): Promise<'timestamp' | 'snapshot' | undefined>;
  stop(): void;
}

/**
 * Keeps the timestamp (and the snapshot) from expiring while a registry runs, instead of a cron job:
 * once less than `renewAt` of a role's configured lifetime is left, the role gets a new expiry and
 * version (`refreshExpiry`, under the repository lock every writer takes). Nothing else changes: the
 * snapshot still lists the same roles, so clients see a newer, not a different, repository. A failure
 * (lock held, keys unreadable) is reported and retried on the next look; expiry then still fails closed
 * at the clients.
 */
export async function startExpiryRenewer(opts: ExpiryRenewerOptions): Promise<ExpiryRenewer> {
  const now = opts.now ?? (() => new Date());
  const renewAt = opts.renewAt ?? 0.5;
  const lifetimes = (await readConfig(opts.keysDir)).expiries;
  const intervalMs = opts.intervalMs ?? Math.min(60_000, Math.max(250, (lifetimes.timestamp * 1000) / 8));
  const due = (expires: Date, lifetimeSeconds: number): boolean => expires.getTime() - now().getTime() < renewAt * lifetimeSeconds * 1000;

  async function check(): Promise<'timestamp' | 'snapshot' | undefined> {
    // Only the two small files are read on each look; the whole repository (every bin: tens of MB with
    // many packages) is opened only for a renewal and not kept (a registry's publish hook holds its own).
    const current = await servedExpiries(opts.dir);
    let role: 'timestamp' | 'snapshot' | undefined;
    if (due(current.snapshot, lifetimes.snapshot)) role = 'snapshot';
    else if (due(current.timestamp, lifetimes.timestamp)) role = 'timestamp';
    if (role === undefined) return undefined;
    const repo = await NpmRepository.open({ dir: opts.dir, keysDir: opts.keysDir });
    // refreshExpiry('snapshot') renews the timestamp too; it re-reads the files under the repository lock
    const expires = await repo.refreshExpiry(role);
    opts.onRenew?.({ role, expires });
    return role;
  }

  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running !== undefined) return; // a slow look (lock held) is not stacked
    running = check()
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref(); // never what keeps a process alive
  return { check, stop: () => clearInterval(timer) };
}
