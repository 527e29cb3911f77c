import { posix } from 'node:path';
import { TarballError } from './errors.js';

/**
 * The install-relevant fields of a tarball's own package.json, signed into its TUF target's `custom.npm`
 * next to the dependency maps (docs/adr/0010-signed-manifest-fields.md). Yarn and npm act on these as they
 * read them from the packument or a lockfile (which bins to link and where, which platforms a package is
 * for, what runs at install time, Yarn's implicit `node-gyp@latest`); installers compare what they resolved
 * with these, so a registry, a mirror or a lockfile edit cannot change them.
 *
 * Only present fields are written (every client downloads them with the role); `manifestFields: 1` says
 * that this target carries them, so that an absent field means "absent from package.json", not "signed by
 * an older repository".
 */
export interface SignedManifestFacts {
  manifestFields: 1;
  /** command -> path inside the package, both normalised as npm and Yarn link them */
  bin?: Record<string, string>;
  os?: string | string[];
  cpu?: string | string[];
  libc?: string | string[];
  engines?: Record<string, string>;
  bundleDependencies?: string[] | true;
  /** peers that package.json marks `peerDependenciesMeta[name].optional: true` */
  optionalPeers?: string[];
  /** preinstall/install/postinstall as npm runs them (with npm's implicit `node-gyp rebuild`) */
  installScripts?: Partial<Record<InstallScript, string>>;
  /** some script runs node-gyp (or prebuild-install), or binding.gyp builds implicitly: Yarn adds node-gyp@latest */
  nodeGyp?: true;
}

/** What the tarball holds besides package.json, as far as the facts need it. */
export interface TarballFiles {
  /** `binding.gyp` at the package root (npm then runs `node-gyp rebuild` at install) */
  hasBindingGyp: boolean;
  /** regular files, relative to the package root (to expand `directories.bin` as npm publish does) */
  files: readonly string[];
}

export type InstallScript = 'preinstall' | 'install' | 'postinstall';
const INSTALL_SCRIPTS: readonly InstallScript[] = ['preinstall', 'install', 'postinstall'];

// Bounds: these facts travel in the role every client downloads.
export const MAX_BINS = 256;
export const MAX_BIN_NAME_CHARS = 214;
export const MAX_PATH_CHARS = 1024;
export const MAX_LIST_ENTRIES = 64;
export const MAX_LIST_ENTRY_CHARS = 64;
export const MAX_ENGINES = 16;
export const MAX_ENGINE_RANGE_CHARS = 256;
export const MAX_BUNDLED = 4096;
export const MAX_SCRIPT_CHARS = 4096;

/** Yarn's own test (NpmSemverResolver): a script matching this makes it add `node-gyp@latest`. */
const NODE_GYP_SCRIPT = /\b(node-gyp|prebuild-install)\b/;
const NPM_GYP_DEFAULT = 'node-gyp rebuild';

const own = (o: Record<string, unknown>, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A bin path as the installers resolve it inside the package: slashes, `.` segments and a leading `./`
 * normalised. Undefined when it leaves the package (`..`, absolute, a drive letter) or is empty.
 */
export function normalizeBinPath(path: string): string | undefined {
  const slashed = path.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed)) return undefined;
  const normal = posix.normalize(slashed);
  if (normal === '.' || normal === '..' || normal.startsWith('../') || normal.endsWith('/')) return undefined;
  return normal.replace(/^\.\//, '');
}

/** A command name as npm (npm-normalize-package-bin) and Yarn (Manifest: the ident's name) link it. */
export function normalizeBinName(key: string): string {
  const parts = key.replace(/\\|:/g, '/').split('/');
  return parts[parts.length - 1]!;
}

function unscopedName(name: string): string {
  return name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
}

function binOf(manifest: Record<string, unknown>, files: TarballFiles): Record<string, string> | undefined {
  let raw: Record<string, unknown>;
  if (typeof manifest['bin'] === 'string') raw = { [unscopedName(String(manifest['name']))]: manifest['bin'] };
  else if (isObject(manifest['bin'])) raw = manifest['bin'];
  else if (own(manifest, 'bin') && manifest['bin'] !== null) throw new TarballError('package.json bin is neither a path nor an object');
  else {
    // npm publish expands directories.bin into `bin` (every file below it), and the packument carries that.
    const dir = isObject(manifest['directories']) ? manifest['directories']['bin'] : undefined;
    if (typeof dir !== 'string') return undefined;
    const base = normalizeBinPath(dir);
    if (base === undefined) throw new TarballError('package.json directories.bin leaves the package');
    raw = {};
    for (const file of files.files) if (file.startsWith(`${base}/`)) raw[posix.basename(file)] = file;
  }
  const entries = Object.entries(raw);
  if (entries.length > MAX_BINS) throw new TarballError(`package.json declares ${entries.length} bins, more than ${MAX_BINS}`);
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    const name = normalizeBinName(key);
    if (name.length === 0 || name === '.' || name === '..' || name.length > MAX_BIN_NAME_CHARS) throw new TarballError(`package.json bin name ${JSON.stringify(key.slice(0, 80))} is not a command name`);
    if (typeof value !== 'string' || value.length > MAX_PATH_CHARS) throw new TarballError(`package.json bin ${name} is not a path`);
    const path = normalizeBinPath(value);
    // Signing a bin that escapes would vouch for a link outside the package.
    if (path === undefined) throw new TarballError(`package.json bin ${name} (${value.slice(0, 80)}) leaves the package directory`);
    out[name] = path;
  }
  return entries.length === 0 ? undefined : out;
}

function listOf(manifest: Record<string, unknown>, field: 'os' | 'cpu' | 'libc'): string | string[] | undefined {
  if (!own(manifest, field) || manifest[field] === null) return undefined;
  const value = manifest[field];
  const ok = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && s.length <= MAX_LIST_ENTRY_CHARS;
  if (ok(value)) return value;
  if (!Array.isArray(value) || value.length > MAX_LIST_ENTRIES || !value.every(ok)) throw new TarballError(`package.json ${field} is not a list of at most ${MAX_LIST_ENTRIES} short strings`);
  return value.length === 0 ? undefined : [...value];
}

function enginesOf(manifest: Record<string, unknown>): Record<string, string> | undefined {
  if (!own(manifest, 'engines') || manifest['engines'] === null) return undefined;
  const engines = manifest['engines'];
  // npm reads an engines array (very old packages) as no engines; so does the signed fact.
  if (Array.isArray(engines)) return undefined;
  if (!isObject(engines)) throw new TarballError('package.json engines is not an object');
  const entries = Object.entries(engines);
  if (entries.length > MAX_ENGINES) throw new TarballError(`package.json engines lists more than ${MAX_ENGINES} engines`);
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > MAX_LIST_ENTRY_CHARS || typeof v !== 'string' || v.length > MAX_ENGINE_RANGE_CHARS) throw new TarballError('package.json engines has an invalid entry');
  }
  return entries.length === 0 ? undefined : Object.fromEntries(entries as Array<[string, string]>);
}

function bundledOf(manifest: Record<string, unknown>): string[] | true | undefined {
  // npm accepts both spellings; bundleDependencies wins, as in npm's normalisation.
  const field = own(manifest, 'bundleDependencies') ? 'bundleDependencies' : own(manifest, 'bundledDependencies') ? 'bundledDependencies' : undefined;
  if (field === undefined || manifest[field] === null || manifest[field] === false) return undefined;
  const value = manifest[field];
  if (value === true) return true;
  if (!Array.isArray(value) || value.length > MAX_BUNDLED || !value.every((n) => typeof n === 'string' && n.length > 0 && n.length <= MAX_BIN_NAME_CHARS)) {
    throw new TarballError(`package.json ${field} is not a list of package names`);
  }
  return value.length === 0 ? undefined : [...new Set(value as string[])].sort();
}

function optionalPeersOf(manifest: Record<string, unknown>): string[] | undefined {
  if (!own(manifest, 'peerDependenciesMeta') || manifest['peerDependenciesMeta'] === null) return undefined;
  const meta = manifest['peerDependenciesMeta'];
  if (!isObject(meta)) throw new TarballError('package.json peerDependenciesMeta is not an object');
  const entries = Object.entries(meta);
  if (entries.length > MAX_BUNDLED) throw new TarballError('package.json peerDependenciesMeta lists too many packages');
  const optional = entries.filter(([name, m]) => name.length > 0 && name.length <= MAX_BIN_NAME_CHARS && isObject(m) && m['optional'] === true).map(([name]) => name);
  return optional.length === 0 ? undefined : optional.sort();
}

function scriptsOf(manifest: Record<string, unknown>): Record<string, string> {
  if (!own(manifest, 'scripts') || manifest['scripts'] === null) return {};
  const scripts = manifest['scripts'];
  if (!isObject(scripts)) throw new TarballError('package.json scripts is not an object');
  // npm and Yarn skip a script that is not a string; so do the facts.
  return Object.fromEntries(Object.entries(scripts).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** The signed manifest facts of a tarball's package.json (refuses the tarball where a field is malformed or out of bounds). */
export function signedManifestFactsOf(manifest: Record<string, unknown>, files: TarballFiles): SignedManifestFacts {
  const out: SignedManifestFacts = { manifestFields: 1 };
  const bin = binOf(manifest, files);
  if (bin !== undefined) out.bin = bin;
  for (const field of ['os', 'cpu', 'libc'] as const) {
    const list = listOf(manifest, field);
    if (list !== undefined) out[field] = list;
  }
  const engines = enginesOf(manifest);
  if (engines !== undefined) out.engines = engines;
  const bundled = bundledOf(manifest);
  if (bundled !== undefined) out.bundleDependencies = bundled;
  const optionalPeers = optionalPeersOf(manifest);
  if (optionalPeers !== undefined) out.optionalPeers = optionalPeers;

  const scripts = scriptsOf(manifest);
  const install: Partial<Record<InstallScript, string>> = {};
  for (const name of INSTALL_SCRIPTS) if (own(scripts, name) && scripts[name] !== '') install[name] = scripts[name]!;
  // npm (publish and install) adds `install: node-gyp rebuild` for a binding.gyp without its own install step.
  const gypDefault = files.hasBindingGyp && manifest['gypfile'] !== false && install.install === undefined && install.preinstall === undefined;
  if (gypDefault) install.install = NPM_GYP_DEFAULT;
  for (const [name, script] of Object.entries(install)) {
    if (script.length > MAX_SCRIPT_CHARS) throw new TarballError(`package.json scripts.${name} is longer than ${MAX_SCRIPT_CHARS} characters`);
  }
  if (Object.keys(install).length > 0) out.installScripts = install;
  if (gypDefault || Object.values(scripts).some((s) => NODE_GYP_SCRIPT.test(s))) out.nodeGyp = true;
  return out;
}
