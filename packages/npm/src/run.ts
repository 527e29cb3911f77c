import { createRequire } from 'node:module';
import { TufError } from '@tufpm/models';
import { parseCliArgs, USAGE } from './args.js';
import { loadConfig, unsafeSettings } from './config.js';
import { NpmUsageError, NpmVerifyError } from './errors.js';
import { workspaceNames } from './workspaces.js';
import { runInstall, VerificationFailures } from './install.js';
import { Progress } from './progress.js';
import { formatReport, toReport, type FailureReport, type Output } from './report.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface RunContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  out: Output;
  home?: string;
}

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('../../package.json') as { version: string }).version;
}

/** Arborist and pacote log through `process.emit('log', level, ...)`; show warnings the way npm does. */
function forwardArboristLogs(out: Output): () => void {
  const handler = (level: string, ...args: unknown[]): void => {
    if (level === 'warn' || level === 'error') out.stderr(`tufpm-npm ${level} ${args.map(String).join(' ')}\n`);
  };
  process.on('log', handler);
  return () => process.off('log', handler);
}

function failuresOf(error: TufError): TufError[] {
  return error instanceof VerificationFailures ? error.failures : [error];
}

/** A plain Error from Arborist/pacote (E404, ETARGET, network) as a report; EINTEGRITY keeps its meaning. */
function foreignReport(error: Error): FailureReport {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EINTEGRITY') {
    return toReport(new NpmVerifyError('TUF_TARBALL_MISMATCH', error.message, {
      attack: 'tampered tarball (bytes differ from the signed sha512)',
      recovery: 'nothing was installed; retry against the real registry, clear the npm cache if it is suspect',
    }));
  }
  // pacote unpacks while it hashes: bytes that do not gunzip or untar fail before the integrity check can
  // (an oversized tarball: the signed gzip stream, then more). The signed bytes unpack (the signer read them),
  // so these are other bytes: say so, not "none detected" (issue 19, network-faults).
  if (typeof code === 'string' && /^(Z_|TAR_)[A-Z_]+$/.test(code)) {
    return toReport(new NpmVerifyError('TUF_TARBALL_MISMATCH', `a tarball received does not unpack (${code}: ${error.message.split('\n')[0]!.slice(0, 200)}); the signed tarball does, so these are other bytes`, {
      attack: 'tampered tarball, or one corrupted or padded in transit (bytes other than the signed ones)',
      recovery: 'nothing was installed; retry against the real registry, and run `npm cache clean --force` if the local cache is suspect',
    }));
  }
  return {
    code: `TUF_NPM_${code ?? 'ERROR'}`.slice(0, 64),
    message: error.message.split('\n')[0]!.slice(0, 500),
    attack: 'none detected (npm could not build or install the tree)',
    recovery: 'fix the cause above; nothing was verified as tampered',
  };
}

/** Runs one tufpm-npm command; returns the exit code. Never calls process.exit (testable in-process). */
export async function runCli(argv: string[], ctx: RunContext): Promise<number> {
  const { out } = ctx;
  let json = false;
  const stopLogs = forwardArboristLogs(out);
  try {
    const args = parseCliArgs(argv);
    json = args.json;
    if (args.command === 'help') {
      out.stdout(USAGE);
      return EXIT_OK;
    }
    if (args.command === 'version') {
      out.stdout(`${packageVersion()}\n`);
      return EXIT_OK;
    }
    const command = args.command;
    const config = await loadConfig({ cwd: ctx.cwd, env: ctx.env, argv: args.argv, ...(ctx.home ? { home: ctx.home } : {}) }, args.command);
    for (const setting of unsafeSettings(config)) out.stderr(`tufpm-npm WARN unsafe setting in effect: ${setting}\n`);
    if (config.retiredTufpmCache) out.stderr(`tufpm-npm WARN tufpm-cache is no longer read; trusted state is kept in ${config.tufpmStateDir} (tufpm-state-dir)\n`);
    const progress = new Progress(out, args.progress && !json);

    switch (command) {
      case 'install':
      case 'ci':
      case 'uninstall':
      case 'update':
      case 'dedupe':
      case 'prune': {
        const workspaces = await workspaceNames(config, ctx.cwd);
        const result = await runInstall(config, { command, packages: args.packages, ...(workspaces ? { workspaces } : {}) }, progress);
        for (const warning of result.warnings) out.stderr(`tufpm-npm WARN ${warning}\n`);
        for (const r of result.integrityReplaced) {
          if (r.before?.includes('sha512-')) out.stderr(`tufpm-npm WARN ${r.pkg}: integrity from the registry differed from the signed sha512; the signed one is enforced\n`);
        }
        if (json) {
          out.stdout(`${JSON.stringify({ ok: true, command: result.command, dryRun: config.dryRun, pinsMoved: result.pinsMoved, ...(workspaces ? { workspaces } : {}), packages: result.verified, exempt: result.exempt, unsafeAllowed: result.unsafeAllowed, integrityReplaced: result.integrityReplaced, summary: result.summary }, null, 2)}\n`);
        } else {
          const maintainer = result.verified.filter((t) => t.maintainerSigned).length;
          const dry = config.dryRun ? ' (dry run: nothing was written)' : '';
          const reused = result.checksFromRecords > 0 ? ` (the dependency, manifest and edge checks of ${result.checksFromRecords} taken from this machine's sealed records)` : '';
          out.stderr(`tufpm-npm: ${result.verified.length} package(s) verified against TUF (${maintainer} maintainer-signed, ${result.verified.length - maintainer} registry-signed) at snapshot v${result.summary.snapshot.version}, timestamp v${result.summary.timestamp.version}${dry}${reused}\n`);
        }
        return EXIT_OK;
      }
      // The other commands' modules load only when they run: every install paid ~40 ms of CPU to load them
      // (init's bootstrap and guard, ls, outdated, status, verify; bench/results/npm-speed-2026-12-07.md).
      case 'exec': {
        const { runExec } = await import('./exec.js');
        return await runExec(config, args.packages, { out, cwd: ctx.cwd, env: ctx.env, json }, progress);
      }
      case 'ls': {
        const { runLs } = await import('./ls.js');
        return await runLs(config, args.packages, { out, json }, progress);
      }
      case 'outdated': {
        const { runOutdated } = await import('./outdated.js');
        return await runOutdated(config, args.packages, { out, json }, progress);
      }
      case 'verify': {
        const { runVerifyLock } = await import('./verify-lock.js');
        const result = await runVerifyLock(config, progress);
        const reports = result.failures.map(toReport);
        if (json) {
          out.stdout(`${JSON.stringify({ ok: reports.length === 0, command: 'verify', packages: result.verified, exempt: result.exempt, unsafeAllowed: result.unsafeAllowed, unbound: result.unbound, errors: reports, summary: result.summary }, null, 2)}\n`);
        }
        for (const report of reports) out.stderr(`${formatReport(report)}\n`);
        for (const pkg of result.unbound) out.stderr(`tufpm-npm WARN ${pkg}: package-lock.json does not carry the signed sha512 (run tufpm-npm install to bind it)\n`);
        if (!json && reports.length === 0) out.stderr(`tufpm-npm: package-lock.json verified, ${result.verified.length} package(s) signed\n`);
        return reports.length === 0 ? EXIT_OK : EXIT_FAILURE;
      }
      case 'init': {
        const [{ runInit }, { guardLines }] = await Promise.all([import('./init.js'), import('./guard.js')]);
        const { root, floors, npmrc, guard } = await runInit(config, args.init, progress);
        if (json) out.stdout(`${JSON.stringify({ ok: true, command: 'init', ...(root ?? {}), rootWritten: root !== undefined, floors, npmrc, guard }, null, 2)}\n`);
        if (npmrc.status === 'written') out.stderr(`tufpm-npm: added to ${npmrc.path}: ${npmrc.add.join(', ')}; commit it\n`);
        for (const c of npmrc.conflicts) {
          out.stderr(`tufpm-npm WARN ${npmrc.path} sets ${c.key}=${c.found}, not this project's ${c.wanted}; left unchanged. Change that line to: ${c.key}=${c.wanted}\n`);
        }
        if (root !== undefined) {
          out.stderr(`tufpm-npm: wrote ${root.path} (root v${root.version}, sha256 ${root.sha256}); commit it\n`);
          if (root.trustOnFirstUse && args.init.rootFile === undefined) {
            out.stderr('tufpm-npm WARN trusted on first use: compare the sha256 above with the one your registry operator publishes, or rerun with --root-sha256\n');
          }
        } else {
          out.stderr(`tufpm-npm: kept the project's trusted root ${config.tufpmRoot}\n`);
        }
        for (const line of guardLines(guard)) out.stderr(`tufpm-npm${line.startsWith('WARN') ? ' ' : ': '}${line}\n`);
        const claimed = floors.claims.map((c) => c.name).join(', ');
        out.stderr(`tufpm-npm: wrote ${floors.lockfilePath}: floors root v${floors.root}, timestamp v${floors.timestamp}, snapshot v${floors.snapshot}, targets v${floors.targets}; ${floors.claims.length} claimed package(s) recorded${claimed ? ` (${claimed.slice(0, 300)})` : ''}; commit it\n`);
        return EXIT_OK;
      }
      case 'status': {
        const { formatStatus, runStatus } = await import('./status.js');
        const status = await runStatus(config, progress);
        if (json) out.stdout(`${JSON.stringify({ ok: status.error === null, command: 'status', ...status }, null, 2)}\n`);
        else out.stdout(formatStatus(status));
        if (status.error) out.stderr(`${formatReport(status.error)}\n`);
        return status.error ? EXIT_FAILURE : EXIT_OK;
      }
    }
  } catch (error) {
    if (error instanceof NpmUsageError) {
      // The code first: scripts and tests match it; the full usage only for a malformed command line.
      out.stderr(`tufpm-npm ERR! ${error.code}: ${error.message}\n${error.code === 'TUF_NPM_USAGE' ? `\n${USAGE}` : ''}`);
      if (json) out.stdout(`${JSON.stringify({ ok: false, error: { code: error.code, message: error.message } })}\n`);
      return EXIT_USAGE;
    }
    let reports: FailureReport[];
    if (error instanceof TufError) reports = failuresOf(error).map(toReport);
    else if (error instanceof Error) reports = [foreignReport(error)];
    else throw error;
    for (const report of reports) out.stderr(`${formatReport(report)}\n`);
    if (json) out.stdout(`${JSON.stringify({ ok: false, errors: reports }, null, 2)}\n`);
    return EXIT_FAILURE;
  } finally {
    stopLogs();
  }
}
