#!/usr/bin/env node
// tufpm-overlay: a team's approvals over an upstream registry (docs/overlay.md, ADR 0017).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TufError, type Key, type Signer } from '@tufpm/models';
import { NpmRepository, readMaintainerSigner, readPublicKeyFile } from '@tufpm/repo';
import { OVERLAY_APPROVAL_ROLE } from '@tufpm/verify';
import { approveIntoRegistry, type ApproveIntoRegistryResult } from './approve-registry.js';
import { approveLockfile, cosignStaged, discardStaged, revokeApproval, type ApproveResult } from './approve.js';
import { OverlayError } from './errors.js';
import { initOverlay } from './init.js';
import { normalizeUpstream, overlayPaths, readOverlayConfig, type OverlayPaths } from './layout.js';
import { renewOnline } from './renew.js';
import { serveMetadata } from './serve.js';
import { loadPublished, readStaged, submitApproval, type SubmitResult } from './submit.js';

const USAGE = `usage: tufpm-overlay <command> --repo DIR [options]        (docs/overlay.md)

  init --upstream URL --reviewer PUB [--reviewer PUB ...] [--threshold N] [--snapshot classic|merkle]
        a metadata-only TUF repository over the upstream registry; keys in DIR/keys (or --keys):
        offline/ (root, targets: move them off this machine), online/ (snapshot, timestamp: the CI job's);
        --snapshot merkle: the timestamp signs a Merkle tree root, proofs written beside the roles (ADR 0021)
  approve --lockfile FILE [--key PRIV ...] [--tarballs DIR] [--npm-cache DIR] [--dry-run]
        approves every registry package of package-lock.json, yarn.lock or tufpm-lock.json (tarballs
        from --tarballs, npm's cache when the lockfile pins a sha512, else the upstream); --dry-run
        signs nothing and exits 1 when anything is not approved (the pull-request check)
  approve --lockfile FILE --registry DIR --keys DIR --upstream URL [--tarballs DIR] [--dry-run]
        the same approval for a tufpm registry (tufpm-registry's directory, verdaccio-tufpm's dir) that
        serves packages it does not publish (Verdaccio's uplinks): each package the lockfile resolves
        from URL (the registry's own URL) is signed into its bin with the registry's online key (ADR 0025)
  cosign --key PRIV [--tarballs DIR] [--stage-only]   adds a reviewer's signature to the staged approval
  revoke NAME@VERSION --key PRIV ...                   withdraws an approval (installs refuse it)
  publish                                              publishes a fully signed staged approval (online keys)
  discard                                              drops the staged approval
  status                                               approved packages, role versions, expiries, staged
  timestamp | snapshot                                 renews them with the online keys (schedule it)
  serve [--port N] [--host H]                          serves DIR/metadata with the documented cache headers

common: --repo DIR (default .), --keys DIR (default DIR/keys), --passphrase-env VAR (encrypted keys), --json`;

class UsageError extends Error {}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
}

const OPTIONS = {
  repo: { type: 'string' },
  keys: { type: 'string' },
  upstream: { type: 'string' },
  registry: { type: 'string' },
  reviewer: { type: 'string', multiple: true },
  threshold: { type: 'string' },
  snapshot: { type: 'string' },
  lockfile: { type: 'string' },
  key: { type: 'string', multiple: true },
  tarballs: { type: 'string' },
  'npm-cache': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'stage-only': { type: 'boolean' },
  'passphrase-env': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

async function signers(v: Values, io: Io): Promise<Signer[]> {
  const envName = v['passphrase-env'];
  const passphrase = async (): Promise<string> => {
    const p = envName === undefined ? undefined : io.env[envName];
    if (p === undefined) throw new OverlayError('TUF_NOT_APPROVED', 'the key is encrypted: give --passphrase-env VAR with the passphrase in VAR');
    return p;
  };
  const out: Signer[] = [];
  for (const f of v.key ?? []) out.push(await readMaintainerSigner(resolve(f), passphrase));
  return out;
}

/** npm's content cache: --npm-cache DIR, else npm_config_cache or ~/.npm (what npm itself uses), plus _cacache. */
function npmCacheDir(v: Values, io: Io): string {
  const base = v['npm-cache'] ?? io.env['npm_config_cache'] ?? join(io.env['HOME'] ?? homedir(), '.npm');
  return join(resolve(base), '_cacache');
}

function submitLine(s: SubmitResult): string {
  switch (s.outcome) {
    case 'published':
      return `published approval role v${s.roleVersion} (${s.signatures} of ${s.threshold} reviewer signatures), snapshot v${s.snapshot}, timestamp v${s.timestamp}`;
    case 'complete':
      return `staged approval role v${s.roleVersion} carries ${s.signatures} of ${s.threshold} reviewer signatures: the job holding the online keys runs tufpm-overlay publish`;
    default:
      return `staged approval role v${s.roleVersion}: ${s.signatures} of ${s.threshold} reviewer signatures; another reviewer runs tufpm-overlay cosign --key <their key>`;
  }
}

function approveText(r: ApproveResult): string {
  const lines = [`${r.lockfile} (${r.kind}) against ${r.upstream}`];
  lines.push(`new: ${r.new.length}`, ...r.new.map((s) => `  + ${s}`));
  lines.push(`already approved: ${r.approved.length}`);
  lines.push(`cannot be approved: ${r.unapprovable.length}`, ...r.unapprovable.map((u) => `  ! ${u.spec}: ${u.reason}`));
  lines.push(r.submit === undefined ? r.outcome : submitLine(r.submit));
  lines.push(`${r.seconds} s`);
  return lines.join('\n');
}

function approveRegistryText(r: ApproveIntoRegistryResult): string {
  const lines = [`${r.lockfile} (${r.kind}) against ${r.upstream}`];
  lines.push(`new: ${r.new.length}`, ...r.new.map((s) => `  + ${s}`));
  lines.push(`already signed: ${r.approved.length}`);
  lines.push(`cannot be approved: ${r.unapprovable.length}`, ...r.unapprovable.map((u) => `  ! ${u.spec}: ${u.reason}`));
  lines.push(r.outcome === 'signed' ? `signed ${r.signed!.length} release(s) into the registry's bins, snapshot v${r.snapshot!}` : r.outcome);
  lines.push(`${r.seconds} s`);
  return lines.join('\n');
}

/** approve --registry: the lockfile's packages signed into a tufpm registry's bins (approve-registry.ts). */
async function approveRegistry(v: Values, io: Io, print: (human: string, data: unknown) => void): Promise<number> {
  if (v.keys === undefined || v.upstream === undefined) throw new UsageError(`approve --registry needs --keys DIR (the registry's keys) and --upstream URL (the registry's URL)\n\n${USAGE}`);
  const json = v.json === true;
  const r = await approveIntoRegistry({
    metadataDir: join(resolve(v.registry!), 'tuf', 'metadata'),
    keysDir: resolve(v.keys),
    upstream: normalizeUpstream(v.upstream),
    lockfile: resolve(v.lockfile!),
    dryRun: v['dry-run'] === true,
    ...(v.tarballs === undefined ? {} : { tarballsDir: resolve(v.tarballs) }),
    npmCache: npmCacheDir(v, io),
    onProgress: (done, total) => {
      if (!json && (done === total || done % 50 === 0)) io.err(`approve: ${done}/${total} tarballs checked\n`);
    },
  });
  print(approveRegistryText(r), r);
  if (r.outcome === 'dry-run' && (r.new.length > 0 || r.unapprovable.length > 0)) {
    io.err(`TUF_NOT_APPROVED: ${r.new.length} package(s) not signed, ${r.unapprovable.length} cannot be approved\n`);
    return 1;
  }
  return 0;
}

async function run(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') throw new UsageError(USAGE);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(`${error.message}\n\n${USAGE}`);
    throw error;
  }
  const v = parsed.values;
  if (v.help === true) throw new UsageError(USAGE);
  const paths: OverlayPaths = overlayPaths(v.repo ?? '.', v.keys);
  const json = v.json === true;
  const print = (human: string, data: unknown): void => io.out(json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
  switch (command) {
    case 'init': {
      if (v.upstream === undefined) throw new UsageError(`init needs --upstream URL\n\n${USAGE}`);
      const reviewers: Key[] = [];
      for (const f of v.reviewer ?? []) reviewers.push(await readPublicKeyFile(resolve(f)));
      const threshold = v.threshold === undefined ? 1 : Number(v.threshold);
      const snapshot = v.snapshot ?? 'classic';
      if (snapshot !== 'classic' && snapshot !== 'merkle') throw new UsageError(`--snapshot must be classic or merkle\n\n${USAGE}`);
      const r = await initOverlay({ repoDir: paths.repoDir, keysDir: paths.keysDir, upstream: v.upstream, reviewers, threshold, snapshot });
      print(
        [
          `overlay repository over ${r.upstream} in ${paths.repoDir}`,
          `approvals need ${r.threshold} of ${r.reviewers.length} reviewer keys; ${r.snapshot} snapshot profile`,
          `publish ${paths.metadataDir} on a static host (docs/overlay.md); root sha256 ${r.rootSha256}`,
          `projects (docs/overlay.md):`,
          `  tufpm-npm init --registry ${r.upstream} --tufpm-metadata-url <metadata URL> --root-sha256 ${r.rootSha256}`,
          `  (Yarn: npmRegistryServer and tufMetadataUrl in .yarnrc.yml, then yarn tuf init --root-sha256 ${r.rootSha256})`,
          `move ${paths.keysDir}/offline off this machine; ${paths.keysDir}/online goes to the job that runs tufpm-overlay timestamp`,
        ].join('\n'),
        { ...r, paths },
      );
      return 0;
    }
    case 'approve': {
      if (v.lockfile === undefined) throw new UsageError(`approve needs --lockfile FILE\n\n${USAGE}`);
      if (v.registry !== undefined) return approveRegistry(v, io, print);
      const r = await approveLockfile({
        paths,
        lockfile: resolve(v.lockfile),
        signers: v['dry-run'] === true ? [] : await signers(v, io),
        dryRun: v['dry-run'] === true,
        ...(v.tarballs === undefined ? {} : { tarballsDir: resolve(v.tarballs) }),
        npmCache: npmCacheDir(v, io),
        onProgress: (done, total) => {
          if (!json && (done === total || done % 50 === 0)) io.err(`approve: ${done}/${total} tarballs checked\n`);
        },
      });
      print(approveText(r), r);
      if (r.outcome === 'dry-run' && (r.new.length > 0 || r.unapprovable.length > 0)) {
        io.err(`TUF_NOT_APPROVED: ${r.new.length} package(s) not approved, ${r.unapprovable.length} cannot be approved\n`);
        return 1;
      }
      return 0;
    }
    case 'cosign': {
      const r = await cosignStaged({ paths, signers: await signers(v, io), publish: v['stage-only'] !== true, ...(v.tarballs === undefined ? {} : { tarballsDir: resolve(v.tarballs) }) });
      print([...r.summary.added.map((s) => `  + ${s}`), ...r.summary.removed.map((s) => `  - ${s}`), submitLine(r.submit)].join('\n'), r);
      return 0;
    }
    case 'revoke': {
      const spec = parsed.positionals[0];
      const m = spec === undefined ? null : /^((?:@[^/@]+\/)?[^/@]+)@([^/@]+)$/.exec(spec);
      if (m === null) throw new UsageError(`revoke needs NAME@VERSION\n\n${USAGE}`);
      const r = await revokeApproval({ paths, name: m[1]!, version: m[2]!, signers: await signers(v, io) });
      print(`revoked ${spec}\n${submitLine(r.submit)}`, { revoked: spec, ...r });
      return 0;
    }
    case 'publish': {
      const staged = await readStaged(paths);
      if (staged === undefined) throw new OverlayError('TUF_APPROVAL_STAGED', `nothing is staged in ${paths.stagedFile}`);
      const published = await loadPublished(paths);
      const r = await submitApproval(paths, published, staged.role, staged.summary, [], { publish: true });
      print(submitLine(r), r);
      return r.outcome === 'published' ? 0 : 1;
    }
    case 'discard': {
      const had = await discardStaged(paths);
      print(had ? `discarded ${paths.stagedFile}` : 'nothing was staged', { discarded: had });
      return 0;
    }
    case 'status': {
      const config = await readOverlayConfig(paths);
      const p = await loadPublished(paths);
      const names = new Set<string>();
      let versions = 0;
      for (const path of p.role.signed.targets.keys()) if (path.endsWith('.tgz')) { versions++; names.add(path.slice(0, path.indexOf('/-/'))); }
      const staged = await readStaged(paths);
      const data = {
        upstream: config.upstream,
        snapshotProfile: p.repo.snapshotProfile(),
        approvalRole: { name: OVERLAY_APPROVAL_ROLE, version: p.role.signed.version, expires: p.role.signed.expires.toISOString(), threshold: p.delegation.role.threshold, reviewers: p.delegation.role.keyids },
        approved: { packages: names.size, versions },
        timestamp: { version: p.repo.timestamp.signed.version, expires: p.repo.timestamp.signed.expires.toISOString() },
        snapshot: { version: p.repo.snapshot.signed.version, expires: p.repo.snapshot.signed.expires.toISOString() },
        staged: staged === undefined ? null : { roleVersion: staged.role.signed.version, signatures: staged.role.signatures.size, ...staged.summary },
      };
      print(
        [
          `upstream ${data.upstream}`,
          `approval role v${data.approvalRole.version} (threshold ${data.approvalRole.threshold} of ${data.approvalRole.reviewers.length}), expires ${data.approvalRole.expires}`,
          `approved: ${versions} versions of ${names.size} packages`,
          data.snapshotProfile === 'merkle'
            ? `timestamp v${data.timestamp.version} expires ${data.timestamp.expires}; Merkle snapshot profile, epoch ${data.snapshot.version}`
            : `timestamp v${data.timestamp.version} expires ${data.timestamp.expires}; snapshot v${data.snapshot.version} expires ${data.snapshot.expires}`,
          staged === undefined ? 'nothing staged' : `staged: role v${staged.role.signed.version}, ${staged.role.signatures.size} signature(s), +${staged.summary.added.length} -${staged.summary.removed.length}`,
        ].join('\n'),
        data,
      );
      return 0;
    }
    case 'timestamp':
    case 'snapshot': {
      const repo = await NpmRepository.open({ dir: paths.metadataDir, keysDir: paths.keysDir });
      const r = await renewOnline(repo, command);
      print(`renewed: snapshot v${r.snapshot.version} (expires ${r.snapshot.expires}), timestamp v${r.timestamp.version} (expires ${r.timestamp.expires})`, r);
      return 0;
    }
    case 'serve': {
      const s = await serveMetadata(paths.metadataDir, { ...(v.port === undefined ? {} : { port: Number(v.port) }), ...(v.host === undefined ? {} : { host: v.host }) });
      io.out(`${s.url}\n`);
      await new Promise<void>(() => undefined);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${command}\n\n${USAGE}`);
  }
}

export async function main(argv: string[], io: Io): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n`);
      return 2;
    }
    if (error instanceof TufError) {
      io.err(`${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

const code = await main(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env });
process.exitCode = code;
