// tufpm-auditor: `run` follows a Merkle-profile repository's timestamps and cosigns each verified tree root;
// `keygen` makes an auditor key and prints the entry users put in their tufpm-auditors.json.
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensurePrivateDir } from '@tufpm/client';
import { TufError, generateEd25519KeyPair } from '@tufpm/models';
import { auditOnce, readSignerFile, type AuditResult } from './audit.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const USAGE = `usage:
  tufpm-auditor run --metadata-url URL --key PRIVATE.pem --state DIR --out DIR [--trusted-root root.json]
                    [--once] [--interval SECONDS] [--max-deltas N] [--json]
      Follows the repository's timestamp; for each new tree root replays merkle/<root>/delta.json against
      the replica in --state and writes merkle/<root>/auditors/<keyid>.json below --out (the directory
      the registry serves as its metadata, or one you serve yourself). Refuses (exit 1, nothing written)
      when a leaf disappeared, a version went down or the recomputed root or size differ.
  tufpm-auditor keygen --out DIR [--json]
      Writes DIR/auditor-key.pem (mode 0600) and prints the key entry for a project's tufpm-auditors.json.
`;

const OPTIONS = {
  'metadata-url': { type: 'string' },
  key: { type: 'string' },
  state: { type: 'string' },
  out: { type: 'string' },
  'trusted-root': { type: 'string' },
  once: { type: 'boolean' },
  interval: { type: 'string' },
  'max-deltas': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer`);
  return n;
}

class UsageError extends Error {}

export async function runAuditorCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr(`tufpm-auditor: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help === true || command === undefined || positionals.length > 1) {
    (values.help === true ? io.stdout : io.stderr)(USAGE);
    return values.help === true ? 0 : 2;
  }
  try {
    if (command === 'keygen') return await keygen(values.out, values.json === true, io);
    if (command !== 'run') throw new UsageError(`unknown command ${command}`);
    const required = (name: 'metadata-url' | 'key' | 'state' | 'out'): string => {
      const v = values[name];
      if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
      return v;
    };
    const metadataUrl = required('metadata-url');
    const signer = await readSignerFile(required('key'));
    const stateDir = resolve(required('state'));
    const outDir = resolve(required('out'));
    const trustedRoot = values['trusted-root'] === undefined ? undefined : new Uint8Array(await readFile(values['trusted-root']));
    const interval = positive(values.interval, 'interval', 60);
    const maxDeltas = positive(values['max-deltas'], 'max-deltas', 10_000);
    for (;;) {
      const result = await auditOnce({ metadataUrl, stateDir, outDir, signer, maxDeltas, ...(trustedRoot !== undefined ? { trustedRoot } : {}) });
      report(result, values.json === true, io);
      if (values.once === true) return 0;
      await new Promise((r) => setTimeout(r, interval * 1000));
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`tufpm-auditor: ${error.message}\n${USAGE}`);
      return 2;
    }
    if (!(error instanceof TufError)) throw error;
    if (values.json === true) io.stdout(`${JSON.stringify({ ok: false, code: error.code, message: error.message })}\n`);
    io.stderr(`tufpm-auditor: REFUSED ${error.code}: ${error.message}\n  nothing was signed; the replica stays at the last verified root\n`);
    return 1;
  }
}

function report(r: AuditResult, json: boolean, io: CliIo): void {
  if (json) {
    io.stdout(`${JSON.stringify({ ok: true, ...r })}\n`);
    return;
  }
  const what = r.alreadySigned ? 'already cosigned' : 'cosigned';
  io.stdout(`tufpm-auditor: ${what} root ${r.root} (size ${r.size}, epoch ${r.epoch}, timestamp v${r.timestampVersion}); replayed ${r.deltasReplayed} delta(s), ${r.leavesReplayed} leaf change(s)\n  ${r.cosignature}\n`);
}

async function keygen(out: string | undefined, json: boolean, io: CliIo): Promise<number> {
  if (out === undefined) throw new UsageError('--out is required');
  await ensurePrivateDir(out);
  const pair = generateEd25519KeyPair();
  const path = join(out, 'auditor-key.pem');
  await writeFile(path, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  const entry = { [pair.key.keyid]: pair.key.toJSON() };
  if (json) io.stdout(`${JSON.stringify({ privateKey: path, keyid: pair.key.keyid, keys: entry })}\n`);
  else io.stdout(`wrote ${path}\nadd to the project's tufpm-auditors.json "keys":\n${JSON.stringify(entry, null, 2)}\n`);
  return 0;
}
