#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startRegistry } from './server.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PublishHook } from './hooks.js';
import { tufMetadataDir } from './layout.js';
import { logLine, readRegistryConfig } from './cli-config.js';
import { tokenCommand } from './cli-token.js';
import { countedHook, observeRoutes } from './cli-observe.js';
import { Observations } from './observe.js';

const USAGE = `usage: tufpm-registry --dir <dir> [--port <port>] [--host 127.0.0.1] [--public-url <url>] [--keys <keys-dir>] [--quiet]
                      [--config <file.json>] [--log-format text|json]
       tufpm-registry token add --dir <dir> --user <name> [--packages <name,@scope/*,...>]

  --config <file> the same settings in a JSON file ({ "dir", "port", "host", "publicUrl", "keys", "quiet",
                 "logFormat" }; paths relative to the file); flags given as well win.
  --log-format   json: one JSON object per line with an ISO timestamp ({ time, level, msg }).

  --keys <dir>   the repository's keys dir (only online/ is needed): every accepted npm publish of an
                 unclaimed package is signed into its hash bin; a claimed package needs a role signed by
                 its maintainers (tufpm publish), staged below threshold; snapshot and timestamp are
                 re-signed after each accepted publish, and renewed before they expire while the
                 registry runs. Also serves the maintainer routes /-/tufpm/...
                 Without it, publishes are stored but not signed, so tufpm installs refuse them.
  GET /-/tufpm/health (JSON: role versions and expiries, last publish; 503 once expired) and
  GET /-/tufpm/metrics (Prometheus text) are always served.`;

// @tufpm/repo depends on this package; load it by name at run time to keep the build graph acyclic.
const REPO_MODULE = '@tufpm/repo';

interface RepoSigning {
  createMaintainerPublishHook(opts: { keysDir: string }): PublishHook;
  startExpiryRenewer(opts: {
    dir: string; keysDir: string;
    onRenew?: (r: { role: string; expires: Record<string, string> }) => void;
    onError?: (err: unknown) => void;
  }): Promise<{ stop(): void }>;
  createMaintainerRoutes(opts: { registryDir: string; keysDir: string }): (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

/**
 * TUF signing on publish: unclaimed packages are signed into their bin with the online key; a claimed
 * package is accepted only with a role its maintainers signed (below threshold it is staged); plus the
 * maintainer routes (`/-/tufpm/...`: staged releases, claims, key changes).
 */
async function signing(dir: string, keysDir: string, log: (line: string) => void, obs: Observations): Promise<{ hooks: PublishHook[]; intercept: (req: IncomingMessage, res: ServerResponse) => Promise<boolean> }> {
  const repo = (await import(REPO_MODULE)) as RepoSigning;
  // The running registry keeps its timestamp and snapshot from expiring (no cron job needed).
  await repo.startExpiryRenewer({
    dir: tufMetadataDir(dir),
    keysDir,
    onRenew: (r) => {
      obs.renewed();
      log(`renewed ${r.role}: timestamp expires ${r.expires['timestamp'] ?? '?'}`);
    },
    onError: (err) => log(`renewing the timestamp failed (retried): ${(err as Error).message}`),
  });
  return {
    hooks: [countedHook(repo.createMaintainerPublishHook({ keysDir }), obs)],
    intercept: observeRoutes(tufMetadataDir(dir), obs, true, repo.createMaintainerRoutes({ registryDir: dir, keysDir })),
  };
}

async function main(): Promise<number> {
  if (process.argv[2] === 'token') return tokenCommand(process.argv.slice(3));
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        dir: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'public-url': { type: 'string' },
        keys: { type: 'string' },
        quiet: { type: 'boolean' },
        config: { type: 'string' },
        'log-format': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file = values.config === undefined ? {} : await readRegistryConfig(values.config);
  const dir = values.dir ?? file.dir;
  const port = values.port === undefined ? (file.port ?? 0) : Number(values.port);
  const format = values['log-format'] ?? file.logFormat ?? 'text';
  if (dir === undefined || !Number.isInteger(port) || port < 0 || port > 65535 || (format !== 'text' && format !== 'json')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const keys = values.keys ?? file.keys;
  const publicUrl = values['public-url'] ?? file.publicUrl;
  const obs = new Observations();
  const log = (level: 'info' | 'error', line: string): void => void process.stderr.write(logLine(format, level, line));
  const registry = await startRegistry({
    dir,
    port,
    host: values.host ?? file.host ?? '127.0.0.1',
    ...(publicUrl !== undefined ? { publicUrl } : {}),
    ...(keys !== undefined ? await signing(dir, keys, (line) => log('info', line), obs) : { intercept: observeRoutes(tufMetadataDir(dir), obs, false) }),
    ...((values.quiet ?? file.quiet ?? false) ? {} : { log: (line: string) => log(line.startsWith('error:') ? 'error' : 'info', line) }),
  });
  // Handlers go in before the URL is printed: whoever reads the URL may signal us right away.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write(`${registry.url}/\n`);
  await stopped;
  await registry.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tufpm-registry: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
