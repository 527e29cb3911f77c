import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TufError } from '@tufpm/models';
import { DEFAULT_LOCKFILE_NAME, describeFailure } from '@tufpm/verify';
import { formatMarkdown, formatText } from './diff-format.js';
import { DiffError, baseCommit, headCommit, readPinsAtCommit, readPinsFile, type PinsSide } from './git-pins.js';
import { addLockfileChanges } from './lockfile-diff.js';
import { addAuditorsFileChange } from './auditors-file.js';
import { diffPins, hasChanges } from './pins-diff.js';

export const DIFF_USAGE = `Usage: tufpm-diff [BASE_REF] [options]       (also: tufpm diff)
       tufpm-diff --files OLD NEW [options]

What a change of tufpm-lock.json does, for review: packages added, removed, upgraded and downgraded;
signer changes (maintainer-signed <-> registry-signed); key and threshold changes of package roles; the
root, timestamp, snapshot and targets pins that moved. Hash bins the registry re-signed (role versions
moved, same tarballs) are counted, not listed. With git sides, the registry packages of package-lock.json,
npm-shrinkwrap.json and yarn.lock are compared too, and each change the pins do not record is marked
"not pinned" (a frozen install refuses it: TUF_PINS_STALE). Reads only; needs no network.

  BASE_REF            compare with this git revision's merge base with the head (as a pull request
                      shows); default: HEAD (your uncommitted changes)
  --head <ref>        the head side is this revision (default: the working tree)
  --no-merge-base     compare with BASE_REF itself, not its merge base
  --files             compare two files: OLD NEW
  --project <dir>     the project holding tufpm-lock.json (default: the current directory)
  --lockfile <name>   default: tufpm-lock.json
  --json              the summary as JSON on stdout
  --markdown          the summary as Markdown (a pull-request comment) on stdout

Exit codes: 0 summary printed, 1 a side could not be read (coded error on stderr), 2 usage.
`;

export interface DiffCliContext {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const OPTIONS = {
  head: { type: 'string' },
  'merge-base': { type: 'boolean' },
  files: { type: 'boolean' },
  project: { type: 'string' },
  lockfile: { type: 'string' },
  json: { type: 'boolean' },
  markdown: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const usage = (message: string): DiffError => new DiffError('TUF_DIFF_USAGE', message, 'see tufpm-diff --help');

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, allowNegative: true });
  } catch (error) {
    if (error instanceof TypeError && String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) throw usage(error.message);
    throw error;
  }
}

interface GitSides {
  project: string;
  base: { commit: string; label: string };
  head: { commit?: string; label: string };
}

async function sides(argv: string[], cwd: string): Promise<{ base: PinsSide; head: PinsSide; file: string; json: boolean; markdown: boolean; git?: GitSides } | 'help'> {
  const { values: v, positionals } = parse(argv);
  if (v.help === true) return 'help';
  if (v.json === true && v.markdown === true) throw usage('--json and --markdown exclude each other');
  const out = { json: v.json === true, markdown: v.markdown === true };
  if (v.files === true) {
    if (positionals.length !== 2) throw usage('--files takes two files: OLD NEW');
    if (v.head !== undefined || v['merge-base'] !== undefined || v.project !== undefined) throw usage('--files compares two files: --head, --[no-]merge-base and --project do not apply');
    const [oldFile, newFile] = positionals.map((p) => resolve(cwd, p)) as [string, string];
    return { ...out, file: relative(cwd, newFile) || newFile, base: await readPinsFile(oldFile, relative(cwd, oldFile) || oldFile), head: await readPinsFile(newFile, relative(cwd, newFile) || newFile) };
  }
  if (positionals.length > 1) throw usage(`one BASE_REF at most (got ${positionals.length}); to compare two files use --files OLD NEW`);
  const file = v.lockfile ?? DEFAULT_LOCKFILE_NAME;
  if (isAbsolute(file) || file.split(/[\\/]/).includes('..')) throw usage('--lockfile names a file in the project (use --project for another directory)');
  const project = resolve(cwd, v.project ?? '.');
  const ref = positionals[0];
  if (ref === undefined && v['merge-base'] === false) throw usage('--no-merge-base needs a BASE_REF');
  const headRef = v.head === undefined ? undefined : await headCommit(project, v.head);
  const base = v['merge-base'] === false
    ? { commit: await headCommit(project, ref!), label: `${ref!}` }
    : await baseCommit(project, ref, headRef);
  const headLabel = headRef === undefined ? 'working tree' : `${v.head!} (${headRef.slice(0, 7)})`;
  const head = headRef === undefined
    ? await readPinsFile(join(project, file), headLabel)
    : await readPinsAtCommit(project, headRef, file, headLabel);
  const git = { project, base, head: { ...(headRef === undefined ? {} : { commit: headRef }), label: headLabel } };
  return { ...out, file, base: await readPinsAtCommit(project, base.commit, file, base.label), head, git };
}

/** Runs `tufpm-diff`; returns the exit code (0 printed, 1 a side unreadable, 2 usage). Never calls process.exit. */
export async function runDiffCli(argv: string[], ctx: DiffCliContext): Promise<number> {
  const json = argv.includes('--json');
  try {
    const s = await sides(argv, ctx.cwd);
    if (s === 'help') {
      ctx.stdout(DIFF_USAGE);
      return 0;
    }
    const diff = diffPins(s.base.lock, s.head.lock);
    // The lockfiles decide what installs fetch: a change made only there must show too (git sides only).
    if (s.git !== undefined) await addLockfileChanges(diff, s.git.project, s.git.base, s.git.head, s.head.lock);
    // The project's auditors file turns the Merkle split-view check on: its removal or weakening must show (ADR 0022)
    if (s.git !== undefined) await addAuditorsFileChange(diff, s.git.project, s.git.base, s.git.head);
    const labels = { base: s.base.label, head: s.head.label, file: s.file };
    if (s.json) {
      const side = (p: PinsSide) => ({ label: p.label, ...(p.commit === undefined ? {} : { commit: p.commit }) });
      ctx.stdout(`${JSON.stringify({ ok: true, command: 'diff', file: s.file, changed: hasChanges(diff), ...diff, base: { ...side(s.base), ...diff.base }, head: { ...side(s.head), ...diff.head } }, null, 2)}\n`);
    } else ctx.stdout(s.markdown ? formatMarkdown(diff, labels) : formatText(diff, labels));
    return 0;
  } catch (error) {
    if (!(error instanceof TufError)) throw error;
    const recovery = error instanceof DiffError ? error.recovery : ((error as TufError & { recovery?: string }).recovery ?? describeFailure(error.code).recovery);
    ctx.stderr(`tufpm-diff ERR! ${error.code}: ${error.message}\ntufpm-diff ERR!   recover: ${recovery}\n`);
    if (error.code === 'TUF_DIFF_USAGE') ctx.stderr(`\n${DIFF_USAGE}`);
    if (json) ctx.stdout(`${JSON.stringify({ ok: false, command: 'diff', errors: [{ code: error.code, message: error.message, recovery }] }, null, 2)}\n`);
    return error.code === 'TUF_DIFF_USAGE' ? 2 : 1;
  }
}
