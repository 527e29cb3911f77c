import { TufError } from './errors.js';

/**
 * The entry-path rules of an npm package tarball, shared by every reader (the registry and the repository
 * tooling at publish, the installers through @tufpm/verify). Pure: entry paths and types in, verdicts out.
 *
 * Why: a reader that splits `package/./package.json` on `/` sees a second file, while node-tar (npm,
 * pacote) and Yarn (node-tar's parser, then `ppath.normalize`) both write it onto `package.json`. The
 * registry then builds the packument and the signed `custom.npm` from one package.json while the
 * installers extract another. So every reader normalises an entry as the installers do, and refuses any
 * tarball on which two installers, or two platforms, could disagree:
 *
 * - both strip the first path component whatever it is (pacote `strip: 1`, Yarn `stripComponents: 1`), so
 *   an entry under a second top directory (`other/package.json`) lands in the package too: every entry
 *   must be below the tarball's one top directory (`package/` in every tarball `npm pack` writes; a few
 *   old packages use another name, which both installers strip alike), and nothing may sit beside it;
 * - node-tar strips *before* it resolves `.` and empty segments, Yarn normalises *before* it strips, so
 *   `./package/index.js` lands at `package/index.js` for npm and at `index.js` for Yarn (measured with
 *   tar 7.5 and @yarnpkg/core 4.9): a leading `.` or empty segment is refused, not stripped;
 * - below `package/`, empty and `.` segments are collapsed (all readers agree), `..` is refused (node-tar
 *   skips such an entry, treating `\` as a separator for that test on every platform);
 * - `\` is a separator for node-tar on Windows and a name character elsewhere, so the same signed tarball
 *   would extract differently by platform: refused;
 * - absolute paths (`/x`, `C:x`): node-tar strips the root and extracts them, Yarn skips them: refused;
 * - links (symlink, hardlink): pacote skips them and Yarn writes symlinks: refused, like any type other
 *   than a regular file or a directory (Yarn ignores the rest, node-tar extracts some of them);
 * - two entries landing on one path (also only on a case-insensitive or Unicode-normalising file system,
 *   keyed as node-tar's own path reservations key them, plus Windows' trailing dots and spaces), or a file
 *   where another entry needs a directory: refused, whichever of them an installer would keep; except
 *   two regular files with the same bytes and mode, which every reader extracts alike whichever it keeps
 *   (real packages ship them: agent-base 7.1.4 has `package/./dist/index.js` and `package/dist/index.js`,
 *   and with it http-proxy-agent, https-proxy-agent and socks-proxy-agent, which node-gyp depends on).
 *   Readers compare them with `recordContent` (a sha256 of each file's bytes) or, where they skip bodies,
 *   by a second walk of just those entries (@tufpm/verify).
 */

/**
 * The version of these rules. Whatever records "this tarball passed the rules" (an installer's sealed
 * per-machine record, @tufpm/verify checked-tarballs.ts) names it, so tightening a rule means raising it
 * and every tarball is walked again. (Accepting identical duplicate files loosened a rule: nothing that
 * passed before fails now, so the version stayed.) 2: the framing check (tar-framing.ts: compression inside
 * the gzip, chained meta headers, pax `size`/`type`). 3: global pax headers and pax record lines that are
 * not exactly `<length> <keyword>=<value>` refused (red-team round 3). 4: checksum fields that are not plain
 * octal, and names or long-name bodies with bytes after their NUL or control characters, refused (round 4).
 */
export const TARBALL_ENTRY_RULES_VERSION = 4;

/** Why a tarball entry was refused. */
export type TarballEntryProblem =
  | 'absolute'
  | 'parent-segment'
  | 'backslash'
  | 'outside-package'
  | 'link'
  | 'unsupported-type'
  | 'duplicate'
  /** an archive tar parsers frame differently (compression inside the gzip, chained or framing pax headers) */
  | 'framing';

/** A tarball entry on which installers could disagree (code TUF_TARBALL_ENTRY, docs/errors.md). */
export class TarballEntryError extends TufError {
  readonly entryPath: string;
  readonly problem: TarballEntryProblem;

  constructor(problem: TarballEntryProblem, entryPath: string, message: string) {
    super('TUF_TARBALL_ENTRY', message);
    this.entryPath = entryPath;
    this.problem = problem;
  }
}

const MAX_ENTRY_PATH_LENGTH = 4096;

function shown(path: string): string {
  return JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}...` : path);
}

/** An entry path as node-tar and Yarn extract it: the top directory they strip, and the path below it. */
export interface TarballEntryPath {
  /** the first component, which both installers strip (`package` in every tarball `npm pack` writes) */
  top: string;
  /** the path below it with empty and `.` segments collapsed; `''` for the top directory itself */
  path: string;
}

/** An empty, `.` or `..` segment anywhere in a path. */
const ODD_SEGMENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/**
 * Splits an entry path the way node-tar and Yarn both extract it; throws TarballEntryError where they (or
 * two platforms) would not agree.
 */
export function normalizeTarballEntryPath(rawPath: string): TarballEntryPath {
  if (rawPath.length === 0 || rawPath.length > MAX_ENTRY_PATH_LENGTH) {
    throw new TarballEntryError('outside-package', rawPath, `tarball entry path of ${rawPath.length} characters`);
  }
  if (rawPath.includes('\\')) {
    throw new TarballEntryError('backslash', rawPath, `tarball entry ${shown(rawPath)} contains a backslash, a separator for node-tar on Windows only`);
  }
  if (rawPath.startsWith('/') || /^[A-Za-z]:/.test(rawPath)) {
    throw new TarballEntryError('absolute', rawPath, `tarball entry ${shown(rawPath)} is an absolute path`);
  }
  // The usual entry (`package/lib/x.js`: no empty, `.` or `..` segment anywhere) is its own normal form; the
  // walk of a cold install reads ~10,900 of them (ADR 0012, amended 2026-12-07). Anything else takes the
  // general rule below, which gives the same answer for these.
  const slash = rawPath.indexOf('/');
  if (slash > 0 && !ODD_SEGMENT.test(rawPath)) return { top: rawPath.slice(0, slash), path: rawPath.slice(slash + 1) };
  const segments = rawPath.split('/');
  if (segments.includes('..')) {
    throw new TarballEntryError('parent-segment', rawPath, `tarball entry ${shown(rawPath)} contains a '..' segment`);
  }
  const top = segments[0]!;
  if (top === '.') {
    throw new TarballEntryError('outside-package', rawPath, `tarball entry ${shown(rawPath)} is not below the package directory (npm and Yarn would place it differently, or not at all)`);
  }
  return {
    top,
    path: segments
      .slice(1)
      .filter((s) => s !== '' && s !== '.')
      .join('/'),
  };
}

/**
 * The key under which two paths land on the same file somewhere: node-tar's own reservation key (NFD,
 * case-folded), with each segment's trailing dots and spaces dropped as Windows does.
 */
function collisionKey(path: string): string {
  // Printable ASCII (nearly every path) folds the same without the Unicode work, which dominates the cost.
  const folded = /^[\x20-\x7e]*$/.test(path) ? path.toUpperCase() : path.normalize('NFD').toLocaleLowerCase('en').toLocaleUpperCase('en');
  // a segment ending in a dot or a space is rare: only then split and strip
  if (!/[. ](?:\/|$)/.test(folded)) return folded;
  return folded
    .split('/')
    .map((s) => s.replace(/[. ]+$/, ''))
    .join('/');
}

/** Entry types every installer extracts the same way. */
const FILE_TYPES = new Set(['File', 'OldFile']);
const DIRECTORY_TYPES = new Set(['Directory']);

/**
 * Collects the entries of one tarball in order and refuses the first one on which installers could
 * disagree. `add` returns the normalised path (relative to `package/`) for the caller's own use, e.g. to
 * find the one `package.json`.
 */
export class TarballEntryIndex {
  private top: string | undefined;
  private readonly files = new Set<string>();
  /** every directory some entry needs (explicit directories and the parents of every entry) */
  private readonly directories = new Set<string>();
  /** keys of regular files that more than one entry extracts onto: their bytes and modes must agree */
  private readonly duplicated = new Map<string, string>();
  /** per file key, `mode:sha256` of the first entry recorded by `recordContent` */
  private readonly contents = new Map<string, string>();

  /** Keys (see `keyOf`) of the regular files that several entries extract onto, compared by content. */
  get duplicatedFiles(): ReadonlySet<string> {
    return new Set(this.duplicated.keys());
  }

  /** The key under which entries collide, for a path `add` returned. */
  keyOf(path: string): string {
    return collisionKey(path);
  }

  /** Whether more than one regular file so far extracts onto `path` (a path `add` returned). */
  isDuplicated(path: string): boolean {
    return this.duplicated.has(collisionKey(path));
  }

  /**
   * Records the bytes (their sha256) and mode of a regular file `add` accepted; refuses a file whose key an
   * earlier entry with other bytes or another mode already holds, since installers keep different ones
   * (node-tar and Yarn the last, other readers the first).
   */
  recordContent(rawPath: string, path: string, mode: number | undefined, sha256: string): void {
    const key = collisionKey(path);
    const content = `${(mode ?? 0).toString(8)}:${sha256}`;
    const earlier = this.contents.get(key);
    if (earlier === undefined) {
      this.contents.set(key, content);
      return;
    }
    if (earlier !== content) {
      throw new TarballEntryError('duplicate', rawPath, `tarball entry ${shown(rawPath)} extracts onto ${shown(`${this.top}/${path}`)}, which another entry with other bytes or another mode also uses`);
    }
  }

  add(rawPath: string, type: string): string {
    if (type === 'SymbolicLink' || type === 'Link') {
      throw new TarballEntryError('link', rawPath, `tarball entry ${shown(rawPath)} is a ${type === 'Link' ? 'hard link' : 'symbolic link'}`);
    }
    const isFile = FILE_TYPES.has(type);
    if (!isFile && !DIRECTORY_TYPES.has(type)) {
      throw new TarballEntryError('unsupported-type', rawPath, `tarball entry ${shown(rawPath)} has type ${type}, neither a file nor a directory`);
    }
    const { top, path } = normalizeTarballEntryPath(rawPath);
    this.top ??= top;
    if (top !== this.top) {
      throw new TarballEntryError('outside-package', rawPath, `tarball entry ${shown(rawPath)} is outside the package directory ${shown(`${this.top}/`)}; npm and Yarn would extract it into the package too`);
    }
    if (path === '') {
      if (isFile) throw new TarballEntryError('outside-package', rawPath, `tarball entry ${shown(rawPath)} is a file in place of the package directory`);
      return path;
    }
    const key = collisionKey(path);
    const duplicate = (): never => {
      throw new TarballEntryError('duplicate', rawPath, `tarball entry ${shown(rawPath)} extracts onto ${shown(`${top}/${path}`)}, which another entry also uses`);
    };
    if (this.files.has(key)) {
      // A second regular file on the same path is accepted if its bytes and mode are the first one's
      // (recordContent, or the caller's second walk); a directory where a file was is refused.
      if (!isFile) duplicate();
      this.duplicated.set(key, rawPath);
      return path;
    }
    if (isFile) {
      if (this.directories.has(key)) duplicate();
      this.files.add(key);
    } else {
      this.directories.add(key);
    }
    // Each parent must be a directory: `package/a` as a file and `package/a/b` cannot both be extracted.
    for (let i = key.lastIndexOf('/'); i > 0; i = key.lastIndexOf('/', i - 1)) {
      const parent = key.slice(0, i);
      if (this.files.has(parent)) duplicate();
      if (this.directories.has(parent)) break;
      this.directories.add(parent);
    }
    return path;
  }
}
