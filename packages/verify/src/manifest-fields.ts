import { VerifyError } from './errors.js';

/**
 * The install-relevant package.json fields a package version's signers put in its target's `custom.npm`
 * (written by @tufpm/repo manifest-facts.ts; format in docs/adr/0010-signed-manifest-fields.md).
 */
export interface SignedManifestFields {
  bin?: Record<string, string>;
  os?: string | string[];
  cpu?: string | string[];
  libc?: string | string[];
  engines?: Record<string, string>;
  bundleDependencies?: string[] | true;
  optionalPeers?: string[];
  installScripts?: Partial<Record<'preinstall' | 'install' | 'postinstall', string>>;
  nodeGyp?: true;
}

/**
 * The fields an installer resolved for a package version, in npm's spelling (packument or lockfile entry).
 * `undefined`: this installer does not read the field (not compared); `null`: it resolved none.
 */
export interface DeclaredManifestFields {
  bin?: unknown;
  os?: unknown;
  cpu?: unknown;
  libc?: unknown;
  engines?: unknown;
  bundleDependencies?: unknown;
  bundledDependencies?: unknown;
  peerDependenciesMeta?: unknown;
  scripts?: unknown;
  hasInstallScript?: unknown;
  /** Yarn: its condition string (`os=linux & cpu=x64`) for the resolved package and for the signed fields. */
  yarnConditions?: { resolved: string | null; signed: string | null };
}

export type ParsedManifestFields = { kind: 'absent' } | { kind: 'signed'; value: SignedManifestFields } | { kind: 'malformed'; reason: string };

// The bounds the repository signs under (@tufpm/repo manifest-facts.ts).
const MAX_BINS = 256;
const MAX_NAME_CHARS = 214;
const MAX_PATH_CHARS = 1024;
const MAX_LIST_ENTRIES = 64;
const MAX_LIST_ENTRY_CHARS = 64;
const MAX_ENGINES = 16;
const MAX_ENGINE_RANGE_CHARS = 256;
const MAX_NAMES = 4096;
const MAX_SCRIPT_CHARS = 4096;
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'] as const;
/** How many differences one error names (the rest are counted). */
const MAX_LISTED = 10;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Record<string, unknown>, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const shortString = (max: number) => (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/**
 * Reads the manifest fields of `custom.npm` strictly. Absent: the target was signed by a repository that did
 * not record them (no `manifestFields` marker). A marker of another version or a value out of shape or
 * bounds is malformed: an installer cannot tell what such a signer meant. Other keys of custom.npm belong
 * to other facts (the dependency maps) and are left to their readers.
 */
export function parseManifestFields(custom: unknown): ParsedManifestFields {
  if (!isObject(custom) || !isObject(custom['npm']) || !own(custom['npm'], 'manifestFields')) return { kind: 'absent' };
  const npm = custom['npm'];
  const bad = (reason: string): ParsedManifestFields => ({ kind: 'malformed', reason });
  if (npm['manifestFields'] !== 1) return bad('custom.npm.manifestFields is not 1');
  const out: SignedManifestFields = {};
  if (own(npm, 'bin')) {
    const bin = npm['bin'];
    if (!isObject(bin) || Object.keys(bin).length > MAX_BINS) return bad('custom.npm.bin is not a bounded object');
    for (const [k, v] of Object.entries(bin)) {
      if (!shortString(MAX_NAME_CHARS)(k) || !shortString(MAX_PATH_CHARS)(v) || normalizeBinPath(v) !== v) return bad('custom.npm.bin has an invalid entry');
    }
    out.bin = { ...(bin as Record<string, string>) };
  }
  for (const field of ['os', 'cpu', 'libc'] as const) {
    if (!own(npm, field)) continue;
    const v = npm[field];
    const ok = shortString(MAX_LIST_ENTRY_CHARS);
    if (ok(v)) out[field] = v;
    else if (Array.isArray(v) && v.length > 0 && v.length <= MAX_LIST_ENTRIES && v.every(ok)) out[field] = [...v];
    else return bad(`custom.npm.${field} is not a bounded list of strings`);
  }
  if (own(npm, 'engines')) {
    const e = npm['engines'];
    if (!isObject(e) || Object.keys(e).length > MAX_ENGINES || !Object.entries(e).every(([k, v]) => shortString(MAX_LIST_ENTRY_CHARS)(k) && typeof v === 'string' && v.length <= MAX_ENGINE_RANGE_CHARS)) {
      return bad('custom.npm.engines is not a bounded map of ranges');
    }
    out.engines = { ...(e as Record<string, string>) };
  }
  if (own(npm, 'bundleDependencies')) {
    const b = npm['bundleDependencies'];
    if (b === true) out.bundleDependencies = true;
    else if (Array.isArray(b) && b.length > 0 && b.length <= MAX_NAMES && b.every(shortString(MAX_NAME_CHARS))) out.bundleDependencies = [...b];
    else return bad('custom.npm.bundleDependencies is neither true nor a list of names');
  }
  if (own(npm, 'optionalPeers')) {
    const p = npm['optionalPeers'];
    if (!Array.isArray(p) || p.length === 0 || p.length > MAX_NAMES || !p.every(shortString(MAX_NAME_CHARS))) return bad('custom.npm.optionalPeers is not a list of names');
    out.optionalPeers = [...p];
  }
  if (own(npm, 'installScripts')) {
    const s = npm['installScripts'];
    if (!isObject(s) || Object.keys(s).length === 0 || !Object.entries(s).every(([k, v]) => (INSTALL_SCRIPTS as readonly string[]).includes(k) && shortString(MAX_SCRIPT_CHARS)(v))) {
      return bad('custom.npm.installScripts is not a map of install scripts');
    }
    out.installScripts = { ...(s as Record<string, string>) };
  }
  if (own(npm, 'nodeGyp')) {
    if (npm['nodeGyp'] !== true) return bad('custom.npm.nodeGyp is not true');
    out.nodeGyp = true;
  }
  return { kind: 'signed', value: out };
}

/** A bin path inside the package, normalised; undefined when it leaves the package (same rule as the signer). */
export function normalizeBinPath(path: string): string | undefined {
  const slashed = path.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed)) return undefined;
  const segments: string[] = [];
  for (const segment of slashed.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return undefined;
      segments.pop();
    } else segments.push(segment);
  }
  if (segments.length === 0 || slashed.endsWith('/')) return undefined;
  return segments.join('/');
}

/** A command name as npm and Yarn link it (`@scope/cmd` and `dir/cmd` become `cmd`). */
export function normalizeBinName(key: string): string {
  const parts = key.replace(/\\|:/g, '/').split('/');
  return parts[parts.length - 1]!;
}

// The packument's values are the registry's (untrusted): JSON.stringify of one nested deeper than the stack
// throws a RangeError, which would end the install with an untyped crash instead of the coded refusal
// (found by reading for the class of defect the fuzzers found, issue 19).
const show = (v: unknown): string => {
  if (typeof v === 'string') return v.slice(0, 100);
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 100);
  } catch (error) {
    if (error instanceof RangeError) return '(a value nested too deep to show)';
    throw error;
  }
};

/** The declared bin map as [command, raw path] pairs (a string bin is the package's own command). */
function declaredBins(name: string, bin: unknown): Array<[string, unknown]> {
  if (bin === undefined || bin === null) return [];
  if (typeof bin === 'string') return [[name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name, bin]];
  if (!isObject(bin)) return [['(not an object)', bin]];
  return Object.entries(bin).map(([k, v]) => [normalizeBinName(k), v]);
}

/** Bins whose path leaves the package directory: refused for any target, signed facts or not. */
export function escapingBins(name: string, declared: DeclaredManifestFields): string[] {
  const problems: string[] = [];
  for (const [cmd, path] of declaredBins(name, declared.bin)) {
    if (typeof path !== 'string' || normalizeBinPath(path) === undefined) problems.push(`bin ${cmd} -> ${show(path)} leaves the package directory`);
  }
  return problems;
}

function listOf(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((e) => typeof e === 'string')) return [...(v as string[])].sort();
  return undefined;
}

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

function bundledOf(declared: DeclaredManifestFields): string[] | true | undefined | 'invalid' {
  const v = declared.bundleDependencies ?? declared.bundledDependencies;
  if (v === undefined || v === null || v === false) return undefined;
  if (v === true) return true;
  if (!Array.isArray(v) || !v.every((e) => typeof e === 'string')) return 'invalid';
  return v.length === 0 ? undefined : [...new Set(v as string[])].sort();
}

function optionalPeersOf(meta: unknown): string[] | undefined {
  if (meta === undefined || meta === null) return [];
  if (!isObject(meta)) return undefined;
  return Object.entries(meta).filter(([, m]) => isObject(m) && m['optional'] === true).map(([n]) => n).sort();
}

function installScriptsOf(scripts: unknown): Array<[string, unknown]> | undefined {
  if (scripts === undefined || scripts === null) return [];
  if (!isObject(scripts)) return undefined;
  return INSTALL_SCRIPTS.filter((s) => own(scripts, s) && scripts[s] !== '' && scripts[s] !== undefined).map((s) => [s, scripts[s]]);
}

/**
 * Every install-relevant field the installer resolved must be the signed one. A bin the installer does not
 * see is no attack (nothing is linked for it) and not reported; an added or redirected one is. Fields the
 * installer does not read (undefined) are skipped.
 */
export function manifestFieldProblems(name: string, signed: SignedManifestFields, declared: DeclaredManifestFields): string[] {
  const problems: string[] = [];
  if (declared.bin !== undefined) {
    const bins = signed.bin ?? {};
    for (const [cmd, path] of declaredBins(name, declared.bin)) {
      const normal = typeof path === 'string' ? normalizeBinPath(path) : undefined;
      if (!Object.prototype.hasOwnProperty.call(bins, cmd)) problems.push(`bin ${cmd} -> ${show(path)} is not a bin of the signed package`);
      else if (normal !== bins[cmd]) problems.push(`bin ${cmd} -> ${show(path)} differs from the signed ${bins[cmd]}`);
    }
  }
  for (const field of ['os', 'cpu', 'libc'] as const) {
    if (declared[field] === undefined) continue;
    const got = listOf(declared[field]);
    if (!sameList(got, listOf(signed[field]))) problems.push(`${field} ${show(declared[field])} differs from the signed ${show(signed[field] ?? null)}`);
  }
  if (declared.yarnConditions !== undefined && declared.yarnConditions.resolved !== declared.yarnConditions.signed) {
    problems.push(`conditions ${show(declared.yarnConditions.resolved)} differ from the signed ${show(declared.yarnConditions.signed)}`);
  }
  // No engines at all is what checkReleaseList leaves in a packument (dropUnsignedPreferences, ADR 0013):
  // the installer then enforces no engine range, which takes nothing from the signed package. Engines that
  // are present must be the signed ones.
  if (declared.engines !== undefined && declared.engines !== null) {
    const got = declared.engines === null || Array.isArray(declared.engines) ? {} : declared.engines;
    const want = signed.engines ?? {};
    const same = isObject(got) && Object.keys(got).length === Object.keys(want).length && Object.entries(got).every(([k, v]) => own(want, k) && want[k] === v);
    if (!same) problems.push(`engines ${show(declared.engines)} differ from the signed ${show(signed.engines ?? null)}`);
  }
  if (declared.bundleDependencies !== undefined || declared.bundledDependencies !== undefined) {
    const got = bundledOf(declared);
    const want = signed.bundleDependencies;
    const same = got === want || (Array.isArray(got) && Array.isArray(want) && sameList(got, [...want].sort()));
    if (!same) problems.push(`bundleDependencies ${show(declared.bundleDependencies ?? declared.bundledDependencies)} differ from the signed ${show(want ?? null)}`);
  }
  if (declared.peerDependenciesMeta !== undefined && !sameList(optionalPeersOf(declared.peerDependenciesMeta), [...(signed.optionalPeers ?? [])].sort())) {
    problems.push(`peerDependenciesMeta ${show(declared.peerDependenciesMeta)} marks other optional peers than the signed ${show(signed.optionalPeers ?? [])}`);
  }
  if (declared.scripts !== undefined) {
    const got = installScriptsOf(declared.scripts);
    if (got === undefined) problems.push(`scripts ${show(declared.scripts)} is not an object`);
    // A signed install script the installer does not see runs less, not more: only added or changed ones count.
    for (const [script, body] of got ?? []) {
      if (body !== signed.installScripts?.[script as 'install']) problems.push(`scripts.${script} ${show(body)} is not the signed ${show(signed.installScripts?.[script as 'install'] ?? null)}`);
    }
  }
  if (typeof declared.hasInstallScript === 'boolean' && declared.hasInstallScript !== (signed.installScripts !== undefined)) {
    problems.push(`hasInstallScript ${declared.hasInstallScript} differs from the signed package (${signed.installScripts === undefined ? 'no install scripts' : 'install scripts'})`);
  }
  return problems;
}

/**
 * For a target signed without manifest fields (an older repository): the fields the installer would act on
 * and that nothing signed can vouch for. Engines and deprecation only make an installer warn or refuse.
 */
export function uncheckableFields(name: string, declared: DeclaredManifestFields): string[] {
  const out: string[] = [];
  if (declaredBins(name, declared.bin).length > 0) out.push('bin');
  for (const field of ['os', 'cpu', 'libc'] as const) if ((listOf(declared[field]) ?? ['?']).length > 0) out.push(field);
  if (declared.yarnConditions?.resolved) out.push('conditions');
  const bundled = bundledOf(declared);
  if (bundled !== undefined) out.push('bundleDependencies');
  if ((optionalPeersOf(declared.peerDependenciesMeta) ?? ['?']).length > 0) out.push('peerDependenciesMeta');
  if ((installScriptsOf(declared.scripts) ?? ['?']).length > 0) out.push('scripts');
  if (declared.hasInstallScript === true) out.push('hasInstallScript');
  return out;
}

function listed(problems: string[]): string {
  const more = problems.length > MAX_LISTED ? `; and ${problems.length - MAX_LISTED} more` : '';
  return `${problems.slice(0, MAX_LISTED).join('; ')}${more}`;
}

export function manifestFieldError(name: string, version: string, role: string, problems: string[]): VerifyError {
  return new VerifyError('TUF_MANIFEST_FIELD', `${name}@${version}: the resolved manifest differs from the fields signed by role ${role}: ${listed(problems)}`, {
    packageName: name,
    version,
    role,
    attack: 'unsigned manifest fields (bins, platforms or install scripts the signed package does not declare)',
    recovery: 'nothing was installed; the registry, a mirror or an edited lockfile changed this version\'s manifest: restore the lockfile from version control, retry against the real registry, and report it',
  });
}

export function binEscapeError(name: string, version: string, role: string, problems: string[]): VerifyError {
  return new VerifyError('TUF_BIN_ESCAPE', `${name}@${version}: ${listed(problems)}`, {
    packageName: name,
    version,
    role,
    attack: 'bin link outside the package (a command pointing at a file the signed package does not hold)',
    recovery: 'nothing was installed; the registry, a mirror or an edited lockfile rewrote this version\'s bin map: restore the lockfile from version control and report it',
  });
}

export function unsignedFieldsError(name: string, version: string, role: string, fields: string[]): VerifyError {
  return new VerifyError('TUF_MANIFEST_UNSIGNED', `${name}@${version}: role ${role} signed this version without its manifest fields, so its ${fields.join(', ')} cannot be checked`, {
    packageName: name,
    version,
    role,
    attack: 'unsigned manifest fields (a target signed before tufpm signed them)',
    recovery: 'ask the registry operator (or the package\'s maintainers) to re-sign this version with a current tufpm, or list the package in the unsafe unverified-packages setting deliberately',
  });
}
