import { access, readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { merkleLeafVersion } from './merkle-files.js';
import { parseJsonStrict } from '@tufpm/models';

/**
 * What a running registry (tufpm-registry, the Verdaccio plugin) counts for `/-/tufpm/metrics` and
 * remembers for `/-/tufpm/health`.
 */
export class Observations {
  private readonly publishes = new Map<string, number>();
  private signingSecondsSum = 0;
  private signingCount = 0;
  private metadataRequests = 0;
  private renewals = 0;
  lastPublish: { name: string; version?: string; outcome: string; code?: string; at: string } | undefined;

  publish(o: { name: string; version?: string; outcome: 'accepted' | 'refused'; code?: string; ms: number }): void {
    const key = `${o.outcome}\u0000${o.code ?? ''}`;
    this.publishes.set(key, (this.publishes.get(key) ?? 0) + 1);
    if (o.outcome === 'accepted') {
      this.signingSecondsSum += o.ms / 1000;
      this.signingCount += 1;
    }
    this.lastPublish = { name: o.name, ...(o.version === undefined ? {} : { version: o.version }), outcome: o.outcome, ...(o.code === undefined ? {} : { code: o.code }), at: new Date().toISOString() };
  }

  metadataRequest(): void {
    this.metadataRequests += 1;
  }

  renewed(): void {
    this.renewals += 1;
  }

  /** Prometheus text exposition format 0.0.4. */
  prometheus(roles: RoleState[], now: Date): string {
    const lines: string[] = [];
    const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    lines.push('# HELP tufpm_publishes_total Publishes through the plugin by outcome and refusal code.', '# TYPE tufpm_publishes_total counter');
    for (const [key, n] of [...this.publishes].sort()) {
      const [outcome, code] = key.split('\u0000') as [string, string];
      lines.push(`tufpm_publishes_total{outcome="${outcome}",code="${esc(code)}"} ${n}`);
    }
    lines.push('# HELP tufpm_publish_seconds Time from receiving an accepted publish to its signed metadata being written (Verdaccio\'s store included).', '# TYPE tufpm_publish_seconds summary');
    lines.push(`tufpm_publish_seconds_sum ${this.signingSecondsSum}`, `tufpm_publish_seconds_count ${this.signingCount}`);
    lines.push('# HELP tufpm_metadata_requests_total Requests for /-/tuf/metadata/ files.', '# TYPE tufpm_metadata_requests_total counter', `tufpm_metadata_requests_total ${this.metadataRequests}`);
    lines.push('# HELP tufpm_expiry_renewals_total Timestamp or snapshot renewals made by the running registry.', '# TYPE tufpm_expiry_renewals_total counter', `tufpm_expiry_renewals_total ${this.renewals}`);
    lines.push('# HELP tufpm_role_expiry_seconds Seconds until each top-level role expires (negative: expired).', '# TYPE tufpm_role_expiry_seconds gauge');
    for (const r of roles) lines.push(`tufpm_role_expiry_seconds{role="${r.role}"} ${secondsLeft(r, now)}`);
    lines.push('# HELP tufpm_role_version Version of each top-level role as served.', '# TYPE tufpm_role_version gauge');
    for (const r of roles) lines.push(`tufpm_role_version{role="${r.role}"} ${r.version}`);
    lines.push('# HELP tufpm_earliest_expiry_seconds Seconds until the first top-level role expires: alert well before 0.', '# TYPE tufpm_earliest_expiry_seconds gauge');
    lines.push(`tufpm_earliest_expiry_seconds ${Math.min(...roles.map((r) => secondsLeft(r, now)))}`);
    return `${lines.join('\n')}\n`;
  }
}

export interface RoleState {
  role: 'root' | 'targets' | 'snapshot' | 'timestamp';
  version: number;
  expires: string;
}

function secondsLeft(r: RoleState, now: Date): number {
  return Math.floor((Date.parse(r.expires) - now.getTime()) / 1000);
}

const MAX_ROLE_FILE = 64 * 1024 * 1024;

/**
 * Versions and expiries of the top-level roles as served (read from disk on each call: the served files
 * are the truth, whoever wrote them). The newest root is the one timestamp's chain starts from.
 */
export async function servedRoles(metadataDir: string): Promise<RoleState[]> {
  type Served = { version: number; expires: string; meta?: Record<string, { version: number }>; 'x-tufpm-merkle'?: { root: string } };
  const read = async (file: string): Promise<Served> => {
    const bytes = await readFile(join(metadataDir, file));
    if (bytes.length > MAX_ROLE_FILE) throw new Error(`${file} is over ${MAX_ROLE_FILE} bytes`);
    return (parseJsonStrict(bytes) as { signed: Served }).signed;
  };
  const timestamp = await read('timestamp.json');
  const snapVersion = timestamp.meta?.['snapshot.json']?.version;
  // Merkle profile (ADR 0021): no snapshot file; targets' version is its leaf under the signed tree root.
  const merkleRoot = timestamp['x-tufpm-merkle']?.root;
  const snapshot = merkleRoot === undefined ? await read(`${snapVersion}.snapshot.json`) : undefined;
  const targetsVersion = merkleRoot === undefined ? snapshot?.meta?.['targets.json']?.version : await merkleLeafVersion(metadataDir, merkleRoot, 'targets');
  const targets = await read(`${targetsVersion}.targets.json`);
  let rootVersion = 1;
  for (;;) {
    try {
      await access(join(metadataDir, `${rootVersion + 1}.root.json`));
      rootVersion += 1;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
      throw err;
    }
  }
  const root = await read(`${rootVersion}.root.json`);
  return [
    { role: 'root', version: root.version, expires: root.expires },
    { role: 'targets', version: targets.version, expires: targets.expires },
    ...(snapshot === undefined ? [] : [{ role: 'snapshot' as const, version: snapshot.version, expires: snapshot.expires }]),
    { role: 'timestamp', version: timestamp.version, expires: timestamp.expires },
  ];
}

/** The `/-/tufpm/health` answer: HTTP 503 once a role expired (every install fails then). */
export function healthReport(roles: RoleState[], obs: Observations, now: Date, renew: boolean): { status: number; body: Record<string, unknown> } {
  const expired = roles.filter((r) => Date.parse(r.expires) <= now.getTime()).map((r) => r.role);
  const earliest = roles.reduce((a, b) => (Date.parse(a.expires) <= Date.parse(b.expires) ? a : b));
  return {
    status: expired.length === 0 ? 200 : 503,
    body: {
      status: expired.length === 0 ? 'ok' : 'expired',
      expired,
      roles: Object.fromEntries(roles.map((r) => [r.role, { version: r.version, expires: r.expires }])),
      earliestExpiry: { role: earliest.role, expires: earliest.expires, seconds: secondsLeft(earliest, now) },
      lastPublish: obs.lastPublish ?? null,
      renew,
    },
  };
}

/** Answers GET `/-/tufpm/health` or `/-/tufpm/metrics` from the served metadata and the counters. */
export async function answerObservation(res: ServerResponse, what: 'health' | 'metrics', metadataDir: string, obs: Observations, renew: boolean): Promise<void> {
  const roles = await servedRoles(metadataDir);
  const now = new Date();
  let status = 200;
  let type = 'text/plain; version=0.0.4';
  let data: Buffer;
  if (what === 'metrics') {
    data = Buffer.from(obs.prometheus(roles, now));
  } else {
    const report = healthReport(roles, obs, now, renew);
    status = report.status;
    type = 'application/json';
    data = Buffer.from(JSON.stringify(report.body, null, 2));
  }
  res.writeHead(status, { 'content-type': type, 'content-length': data.length, 'cache-control': 'no-store' });
  res.end(data);
}
