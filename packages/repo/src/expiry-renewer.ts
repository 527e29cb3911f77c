import { NpmRepository } from './npm-api.js';

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
  const repo = await NpmRepository.open({ dir: opts.dir, keysDir: opts.keysDir });
  const now = opts.now ?? (() => new Date());
  const renewAt = opts.renewAt ?? 0.5;
  const lifetimes = repo.config.expiries;
  const intervalMs = opts.intervalMs ?? Math.min(60_000, Math.max(250, (lifetimes.timestamp * 1000) / 8));
  const due = (expires: Date, lifetimeSeconds: number): boolean => expires.getTime() - now().getTime() < renewAt * lifetimeSeconds * 1000;

  async function check(): Promise<'timestamp' | 'snapshot' | undefined> {
    await repo.reloadIfChanged(); // a publish or the CLI may have written since
    let role: 'timestamp' | 'snapshot' | undefined;
    if (due(repo.repo.snapshot.signed.expires, lifetimes.snapshot)) role = 'snapshot';
    else if (due(repo.repo.timestamp.signed.expires, lifetimes.timestamp)) role = 'timestamp';
    if (role === undefined) return undefined;
    // refreshExpiry('snapshot') renews the timestamp too
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
