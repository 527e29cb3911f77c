import { DEFAULT_BIT_LENGTH } from '../npm-repository.js';
import { initRepository } from '../npm-api.js';
import { parseDuration, type Expiries } from '../config.js';
import { type Io, UsageError, int, keysDir, metadataDir, parse, print, str } from './common.js';

export const usage = `usage: tufpm-repo init (--dir METADATA_DIR | --registry REGISTRY_DIR) --keys KEYS_DIR
  [--bit-length N] (unclaimed hash bins: 2^N, default ${DEFAULT_BIT_LENGTH})
  [--root-threshold N] [--targets-threshold N] [--snapshot-threshold N] [--timestamp-threshold N]
  [--expires-root D] [--expires-targets D] [--expires-snapshot D] [--expires-timestamp D]
  [--expires-unclaimed D] [--expires-package D]   (D: 365d, 12h, 30m or seconds)
  [--snapshot-hashes] (record length+sha256 of every role in snapshot)
  [--snapshot classic|merkle] (merkle: the snapshot is a sparse Merkle tree whose root the timestamp signs;
                               clients fetch one proof per role instead of the whole snapshot, ADR 0021)
  [--materialize-proofs] (merkle: write every role's proof file at each publish, for a static host)`;

const ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
const EXPIRY_KEYS = ['root', 'targets', 'snapshot', 'timestamp', 'unclaimed', 'package'] as const;

export async function run(argv: string[], io: Io): Promise<number> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    'bit-length': { type: 'string' }, 'snapshot-hashes': { type: 'boolean' }, snapshot: { type: 'string' }, 'materialize-proofs': { type: 'boolean' },
  };
  for (const r of ROLES) options[`${r}-threshold`] = { type: 'string' };
  for (const r of EXPIRY_KEYS) options[`expires-${r}`] = { type: 'string' };
  const p = parse(argv, options, usage);
  const dir = metadataDir(p, usage);
  const keys = keysDir(p, usage);
  const thresholds: Partial<Record<(typeof ROLES)[number], number>> = {};
  for (const r of ROLES) {
    const t = int(p, `${r}-threshold`, usage);
    if (t !== undefined) thresholds[r] = t;
  }
  const expiries: Partial<Expiries> = {};
  for (const r of EXPIRY_KEYS) {
    const d = str(p, `expires-${r}`);
    if (d !== undefined) expiries[r] = parseDuration(d);
  }
  const bitLength = int(p, 'bit-length', usage) ?? DEFAULT_BIT_LENGTH;
  const profile = str(p, 'snapshot') ?? 'classic';
  if (profile !== 'classic' && profile !== 'merkle') throw new UsageError(`--snapshot must be classic or merkle\n\n${usage}`);
  const materializeProofs = p.values['materialize-proofs'] === true;
  if (materializeProofs && profile !== 'merkle') throw new UsageError(`--materialize-proofs needs --snapshot merkle\n\n${usage}`);
  const repo = await initRepository({
    dir, keysDir: keys, thresholds, expiries, bitLength, snapshotLengthAndHashes: p.values['snapshot-hashes'] === true,
    snapshotProfile: profile, materializeProofs,
  });
  const root = repo.repo.root.signed;
  const data = {
    dir, keysDir: keys, bitLength, snapshot: profile,
    keys: Object.fromEntries(ROLES.map((r) => [r, root.getRole(r).keyids])),
  };
  print(io, p, `initialised ${dir} (keys in ${keys}; ${2 ** bitLength} unclaimed bins; ${profile} snapshot)\n` +
    ROLES.map((r) => `  ${r}: ${root.getRole(r).keyids.join(', ')}`).join('\n'), data);
  return 0;
}
