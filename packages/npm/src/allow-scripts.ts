import { join } from 'node:path';
import npa from 'npm-package-arg';
import { isExactVersionDisjunction } from '@npmcli/arborist/lib/script-allowed.js';
import { readBoundedFile } from '@tufpm/merkle';
import { NpmUsageError } from './errors.js';

/**
 * npm 11's install-script policy from the project's package.json `allowScripts` (red team F4: tufpm-npm
 * ignored it and ran a postinstall npm 11.19 skips). npm reads the field from the root package.json of the
 * project (its prefix, so a workspace run reads the root's), drops entries it cannot use, and hands the rest
 * to Arborist as `allowScripts`; Arborist's own matcher (lib/script-allowed.js) then skips the lifecycle
 * scripts of every package a `false` entry matches (bins are still linked), runs those a `true` entry
 * matches, and runs unlisted ones too (npm only lists them after the install). tufpm-npm passes the same
 * object to the same Arborist code, so the matching is npm's. Only the reading differs: every entry npm
 * would drop with a warning, or keep but never match, is refused here (TUF_NPM_ALLOW_SCRIPTS, exit 2),
 * because such an entry written as a deny would silently deny nothing (ADR 0014 amendment).
 */
export type AllowScriptsPolicy = Record<string, boolean>;

/** package.json is the project's own file, but a bound keeps a stray multi-megabyte file from being parsed twice. */
const MAX_PACKAGE_JSON_BYTES = 16 * 1024 * 1024;

function refuse(path: string, what: string): never {
  throw new NpmUsageError(
    `${path}: allowScripts ${what}. tufpm-npm refuses what npm 11 would ignore (npm drops or never matches such an entry, so a deny written that way denies nothing); write a package name, name@exact-version (versions joined by "||"), or a git / remote-URL spec, each set to true or false`,
    { code: 'TUF_NPM_ALLOW_SCRIPTS' },
  );
}

/** Why npm would not act on this key, or undefined when it does (npm's validatePolicy plus Arborist's matcher). */
function unusableKey(key: string): string | undefined {
  let parsed: ReturnType<typeof npa>;
  try {
    parsed = npa(key);
  } catch (error) {
    if (error instanceof Error) return `cannot be parsed as a package spec (${error.message.split('\n')[0]})`;
    throw error;
  }
  switch (parsed.type) {
    case 'version':
      return undefined;
    case 'range': {
      if (!parsed.name) return 'names no package (npm keeps it but it never matches)';
      const nameOnly = parsed.fetchSpec === '*' || parsed.rawSpec === '' || parsed.rawSpec === '*';
      // npm (resolve-allow-scripts.js) drops semver ranges: they would cover versions nobody reviewed.
      return nameOnly || isExactVersionDisjunction(parsed.fetchSpec ?? '') ? undefined : 'is a semver range (npm drops it)';
    }
    case 'tag':
      return 'is a dist-tag (npm drops it: what a tag points at cannot be checked when the script runs)';
    case 'alias':
      return 'is an alias (npm keeps it but it never matches; name the real package)';
    case 'git':
    case 'remote':
      // Same matcher in npm 11.19's Arborist 9.9.1 and this 9.9.3; such dependencies are refused anyway
      // unless tufpm-unsafe-allow-git / -remote.
      return undefined;
    case 'file':
    case 'directory':
      // npm 11.19's Arborist resolves a relative path key against the working directory, Arborist 9.9.3
      // against the project root: the same key can match different packages, so it is not accepted.
      return 'is a file or directory spec, whose matching differs between npm 11.19 and the Arborist tufpm-npm drives (and file: dependencies are unverified)';
    default:
      return `is a ${String(parsed.type)} spec, which npm never matches`;
  }
}

/**
 * The policy npm 11.19 would pass to Arborist for the project at `prefix` (null: none, which is also what
 * npm passes for an empty object or a missing package.json), or TUF_NPM_ALLOW_SCRIPTS for an entry npm
 * would ignore, or for a package.json that exists but does not parse as a JSON object. `tufpm-npm exec` installs into a fresh directory whose package.json has no policy, as
 * npm exec skips the project's package.json.
 */
export async function projectAllowScripts(prefix: string): Promise<AllowScriptsPolicy | null> {
  const path = join(prefix, 'package.json');
  // bounded before reading (a pull request writes package.json); @tufpm/merkle's one bounded reader
  const read = await readBoundedFile(path, MAX_PACKAGE_JSON_BYTES);
  if (read.kind === 'missing') return null;
  if (read.kind === 'not-a-file') throw new NpmUsageError(`${path} is not a regular file`);
  if (read.kind === 'too-large') throw new NpmUsageError(`${path} is larger than ${MAX_PACKAGE_JSON_BYTES} bytes`);
  // Decoded as npm decodes it (@npmcli/package-json's read: fs readFile 'utf8', which keeps a BOM as U+FEFF).
  let text = Buffer.from(read.bytes.buffer, read.bytes.byteOffset, read.bytes.byteLength).toString('utf8');
  // npm's parser (json-parse-even-better-errors, under @npmcli/package-json) drops one leading U+FEFF and
  // then parses, so a package.json with a UTF-8 byte order mark carries a policy npm applies (red team
  // round 3: reading it as "no policy" ran a postinstall npm 11.19.1 denies). A second mark stays and fails.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    // Fail closed: a policy that cannot be read is not "no policy" (the file may deny scripts in a form
    // npm reads and JSON.parse does not); Arborist would refuse the file anyway.
    if (error instanceof SyntaxError) throw new NpmUsageError(`${path} is not valid JSON (${error.message}), so its allowScripts policy cannot be read; fix the file`, { code: 'TUF_NPM_ALLOW_SCRIPTS', cause: error });
    throw error;
  }
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    throw new NpmUsageError(`${path} is not a JSON object, so its allowScripts policy cannot be read`, { code: 'TUF_NPM_ALLOW_SCRIPTS' });
  }
  if (!('allowScripts' in manifest)) return null;
  const field = (manifest as { allowScripts: unknown }).allowScripts;
  if (field === null || typeof field !== 'object' || Array.isArray(field)) {
    refuse(path, `must be an object of package spec -> true | false, got ${Array.isArray(field) ? 'an array' : JSON.stringify(field)}`);
  }
  const entries = Object.entries(field as Record<string, unknown>);
  for (const [key, value] of entries) {
    // Arborist treats only the booleans as verdicts; anything else would leave the package unreviewed (runs).
    if (typeof value !== 'boolean') refuse(path, `entry ${JSON.stringify(key)} is ${JSON.stringify(value)}, not true or false`);
    const why = unusableKey(key);
    if (why !== undefined) refuse(path, `entry ${JSON.stringify(key)} ${why}`);
  }
  return entries.length === 0 ? null : Object.fromEntries(entries) as AllowScriptsPolicy;
}

/** npm's warning: a workspace's own allowScripts is ignored (the policy lives in the root package.json). */
export function workspacePolicyWarnings(nodes: Iterable<{ isWorkspace: boolean; isProjectRoot: boolean; name: string; path: string; package: Record<string, unknown> }>): string[] {
  const out: string[] = [];
  for (const node of nodes) {
    if (!node.isWorkspace || node.isProjectRoot || node.package['allowScripts'] === undefined) continue;
    out.push(`allowScripts in workspace ${node.name} (${node.path}) is ignored, as by npm; move it to the root package.json`);
  }
  return out;
}
