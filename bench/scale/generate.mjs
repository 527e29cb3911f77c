#!/usr/bin/env node
// Synthetic npm-like registry metadata (issue 21): M packages, one targets role per package, with a
// realistic versions-per-package distribution (npm: about 10 versions per package on average, a long tail
// past 1,000). Metadata only: no tarballs, no role files; each role's version, file length and sha256 are
// what the snapshot (classic entry or Merkle leaf) records. Deterministic for (packages, seed).
//
//   node bench/scale/generate.mjs --packages 10000 [--seed 1] [--out file.jsonl]   (one JSON object per role)
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

/** xorshift128+ style PRNG over 32-bit state words; deterministic across Node versions. */
export function prng(seed) {
  let a = 0x9e3779b9 ^ seed, b = 0x243f6a88 ^ (seed * 31), c = 0xb7e15162, d = 0x6a09e667;
  return () => {
    const t = b << 9;
    let r = a * 5;
    r = ((r << 7) | (r >>> 25)) * 9;
    c ^= a; d ^= b; b ^= c; a ^= d; c ^= t; d = (d << 11) | (d >>> 21);
    return (r >>> 0) / 4294967296;
  };
}

/**
 * Versions per package: a lognormal with mean 10 (sigma 1.3: median about 4, 1 in ~70,000 above 1,000),
 * plus a handful of forced giants (2,000-5,000 versions, like nightly-publishing packages) so even the 10k
 * registry has the long tail. Capped at 20,000.
 */
export const DISTRIBUTION = { mean: 10, sigma: 1.3, giantsPer10k: 2, cap: 20000 };

/**
 * Bytes of a signed package role with `versions` targets, from a fit on real tufpm role files
 * (bench/scale/calibrate.mjs: canonical JSON, one ed25519 signature, delegations none, each target with
 * length, sha256 + sha512 and the signed npm fields).
 */
export const ROLE_BYTES = { base: 614, perVersion: 400 };

export function generateRegistry({ packages, seed = 1 }) {
  const rand = prng(seed);
  const mu = Math.log(DISTRIBUTION.mean) - (DISTRIBUTION.sigma ** 2) / 2;
  const gauss = () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const names = new Array(packages);
  const versions = new Uint32Array(packages);
  const giants = Math.max(1, Math.round((packages / 10000) * DISTRIBUTION.giantsPer10k));
  for (let i = 0; i < packages; i++) {
    // About one package in five is scoped, as on npm.
    names[i] = rand() < 0.2 ? `@scope-${Math.floor(rand() * packages / 20)}/pkg-${i}` : `pkg-${i.toString(36)}-${i}`;
    let v = Math.max(1, Math.round(Math.exp(mu + DISTRIBUTION.sigma * gauss())));
    if (i % Math.floor(packages / giants) === 7) v = 2000 + Math.floor(rand() * 3000);
    versions[i] = Math.min(DISTRIBUTION.cap, v);
  }
  return { packages, seed, names, versions };
}

/** The facts a snapshot records for package i's role: version (one per publish), file length, sha256. */
export function roleFacts(reg, i) {
  const v = reg.versions[i];
  return {
    version: v,
    length: ROLE_BYTES.base + ROLE_BYTES.perVersion * v,
    hashes: { sha256: createHash('sha256').update(`${reg.seed}:${reg.names[i]}:${v}`).digest('hex') },
  };
}

export function distributionSummary(reg) {
  const s = [...reg.versions].sort((x, y) => x - y);
  const sum = s.reduce((a, b) => a + b, 0);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return {
    packages: reg.packages,
    versions: sum,
    mean: Number((sum / s.length).toFixed(2)),
    median: at(0.5),
    p99: at(0.99),
    max: s[s.length - 1],
    over1000: s.filter((v) => v > 1000).length,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { packages: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } } });
  const reg = generateRegistry({ packages: Number(values.packages ?? 10000), seed: Number(values.seed ?? 1) });
  process.stderr.write(`${JSON.stringify(distributionSummary(reg))}\n`);
  const out = values.out === undefined ? process.stdout : createWriteStream(values.out);
  for (let i = 0; i < reg.packages; i++) out.write(`${JSON.stringify({ name: reg.names[i], ...roleFacts(reg, i) })}\n`);
  if (out !== process.stdout) out.end();
}
