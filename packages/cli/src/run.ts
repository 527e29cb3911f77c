import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { TufError } from '@tufpm/models';
import { failureReport, formatFailureReport, parseMetadataUrl, type FailureReport } from '@tufpm/verify';
import { verifyProject, type ProjectVerifyOptions } from './check.js';
import { VerifyUsageError } from './project-lockfiles.js';

export const USAGE = `Usage: tufpm-verify [options]      (also: tufpm verify [options])

The CI gate of a tufpm project: checks every registry package of yarn.lock and package-lock.json /
npm-shrinkwrap.json against the registry's signed TUF metadata and tufpm-lock.json, without Yarn or npm,
and exits non-zero on any package that is not verified. Installs and writes nothing in the project.

  --project <dir>            the project (default: the current directory)
  --lockfile <file>          check this lockfile only (repeatable; default: every one present)
  --registry <url>           default: the registry tufpm-lock.json pins
  --metadata-url <url>       TUF metadata, http(s) or file:/// (default: tufpm-metadata-url in <project>/.npmrc
                             or tufMetadataUrl in <project>/.yarnrc.yml,
                             else <registry>/-/tuf/metadata/)
  --root <file>              trusted root (default: <project>/tufpm-root.json)
  --state-dir <dir>          the machine's TUF state (default: $TUFPM_STATE_DIR, else ~/.local/state/tufpm)
  --require-maintainer-signed <name|@scope/*|*>   policy, as the installers' (repeatable)
  --minimum-threshold <n>    with the above: fewest maintainer signatures per package
  --unsafe-unverified <name|@scope/*>             do not look these packages up (repeatable)
  --unsafe-allow-non-registry <name|@scope/*>     let their git/file/remote sources through (repeatable)
  --json                     the result as JSON on stdout
  --[no-]progress            progress on stderr (default: when stderr is a terminal)

Exit codes: 0 every package verified, 1 verification failure (coded errors on stderr), 2 usage.
`;

export interface VerifyCliContext {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stderrIsTTY: boolean;
}

const OPTIONS = {
  project: { type: 'string' },
  lockfile: { type: 'string', multiple: true },
  registry: { type: 'string' },
  'metadata-url': { type: 'string' },
  root: { type: 'string' },
  'state-dir': { type: 'string' },
  'require-maintainer-signed': { type: 'string', multiple: true },
  'minimum-threshold': { type: 'string' },
  'unsafe-unverified': { type: 'string', multiple: true },
  'unsafe-allow-non-registry': { type: 'string', multiple: true },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function formatReport(report: FailureReport): string {
  return `${formatFailureReport(report, 'tufpm-verify')}\n`;
}

function parse(argv: string[], cwd: string): { options: ProjectVerifyOptions; json: boolean; progress: boolean | undefined; help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true, allowNegative: true });
  } catch (error) {
    if (error instanceof TypeError && String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) throw new VerifyUsageError(error.message);
    throw error;
  }
  const v = parsed.values;
  let minimumThreshold: number | undefined;
  if (v['minimum-threshold'] !== undefined) {
    minimumThreshold = Number(v['minimum-threshold']);
    if (!Number.isSafeInteger(minimumThreshold) || minimumThreshold < 1) throw new VerifyUsageError('--minimum-threshold takes an integer >= 1');
  }
  const projectDir = resolve(cwd, v.project ?? '.');
  return {
    options: {
      projectDir,
      ...(v.lockfile === undefined ? {} : { lockfiles: v.lockfile }),
      ...(v.registry === undefined ? {} : { registryUrl: v.registry }),
      ...(v['metadata-url'] === undefined ? {} : { metadataUrl: metadataUrlArg(v['metadata-url']) }),
      ...(v.root === undefined ? {} : { trustedRootPath: resolve(cwd, v.root) }),
      ...(v['state-dir'] === undefined ? {} : { stateDir: resolve(cwd, v['state-dir']) }),
      ...(v['require-maintainer-signed'] === undefined ? {} : { requireMaintainerSigned: v['require-maintainer-signed'] }),
      ...(minimumThreshold === undefined ? {} : { minimumThreshold }),
      ...(v['unsafe-unverified'] === undefined ? {} : { unsafeUnverifiedPackages: v['unsafe-unverified'] }),
      ...(v['unsafe-allow-non-registry'] === undefined ? {} : { unsafeAllowNonRegistry: v['unsafe-allow-non-registry'] }),
    },
    json: v.json === true,
    progress: v.progress,
    help: v.help === true,
  };
}

/** `--metadata-url`: http(s) or a file:/// metadata directory, as the installers take it. */
function metadataUrlArg(value: string): string {
  const parsed = parseMetadataUrl(value);
  if ('problem' in parsed) throw new VerifyUsageError(`--metadata-url ${JSON.stringify(value.slice(0, 200))}: ${parsed.problem}`);
  return parsed.url;
}

/** Runs `tufpm-verify`; returns the exit code (0 verified, 1 failure, 2 usage). Never calls process.exit. */
export async function runVerifyCli(argv: string[], ctx: VerifyCliContext): Promise<number> {
  let json = argv.includes('--json');
  try {
    const args = parse(argv, ctx.cwd);
    json = args.json;
    if (args.help) {
      ctx.stdout(USAGE);
      return 0;
    }
    const progress = (args.progress ?? ctx.stderrIsTTY) && !json;
    const result = await verifyProject({
      ...args.options,
      ...(progress ? { onProgress: (done, total, name) => ctx.stderr(`\rtufpm-verify: ${done}/${total} ${name.slice(0, 60).padEnd(60)}${done === total ? '\n' : ''}`) } : {}),
    });
    const reports = result.failures.map(failureReport);
    for (const report of reports) ctx.stderr(formatReport(report));
    for (const name of result.exempt) ctx.stderr(`tufpm-verify WARN ${name} not verified (--unsafe-unverified)\n`);
    for (const name of result.unsafeAllowed) ctx.stderr(`tufpm-verify WARN ${name} let through unverified (--unsafe-allow-non-registry)\n`);
    const ok = reports.length === 0;
    if (json) {
      ctx.stdout(`${JSON.stringify({ ok, command: 'verify', lockfiles: result.lockfiles, packages: result.verified, notLookedUp: result.notLookedUp, exempt: result.exempt, unsafeAllowed: result.unsafeAllowed, errors: reports, summary: result.summary }, null, 2)}\n`);
    } else {
      // one line per name@version (npm lists a version at every place it sits; JSON keeps each entry)
      const unique = new Map(result.verified.map((p) => [`${p.name}@${p.version}`, p]));
      const maintainer = [...unique.values()].filter((p) => p.maintainerSigned).length;
      ctx.stderr(`tufpm-verify: ${ok ? 'OK' : 'FAILED'}: ${unique.size} package(s) verified (${maintainer} maintainer-signed)${ok ? '' : `, ${reports.length} refused`} in ${result.lockfiles.map((l) => l.slice(l.lastIndexOf('/') + 1)).join(', ')} at snapshot v${result.summary.snapshot.version}\n`);
    }
    return ok ? 0 : 1;
  } catch (error) {
    if (error instanceof VerifyUsageError) {
      ctx.stderr(`tufpm-verify: ${error.message}\n\n${USAGE}`);
      if (json) ctx.stdout(`${JSON.stringify({ ok: false, command: 'verify', errors: [failureReport(error)] })}\n`);
      return 2;
    }
    if (!(error instanceof TufError)) throw error;
    const report = failureReport(error);
    ctx.stderr(formatReport(report));
    if (json) ctx.stdout(`${JSON.stringify({ ok: false, command: 'verify', errors: [report] }, null, 2)}\n`);
    return 1;
  }
}
