// Fuzz target for the signed manifest fields (issue 14, ADR 0010): verify's reader of a target's
// custom.npm manifest facts (parseManifestFields) and the install-time check of the fields an installer
// resolved against them (manifestFieldProblems, escapingBins: bin, directories.bin as resolved bins, os, cpu,
// libc, engines, bundleDependencies, peerDependenciesMeta, install scripts, hasInstallScript). Both read
// values a registry or a signer controls. One input is a JSON document {"signed": custom.npm, "declared":
// the packument version's fields}.
import { escapingBins, manifestFieldProblems, normalizeBinName, parseManifestFields, type DeclaredManifestFields, type SignedManifestFields } from '@tufpm/verify';
import { jsonInputs } from './mutate.js';
import { expect, type FuzzTarget } from './target.js';

/** A problem text quotes values bounded (`show`): far below this whatever the input's size. */
const MAX_PROBLEM_CHARS = 4096;

export function manifestFieldsSeed(): Uint8Array {
  const signed = {
    manifestFields: 1,
    bin: { 'left-pad': 'bin/cli.js', lp: 'bin/lp.js' },
    os: ['linux', 'darwin'],
    cpu: 'x64',
    libc: ['glibc'],
    engines: { node: '>=18' },
    bundleDependencies: ['dep-a'],
    optionalPeers: ['peer-b'],
    installScripts: { postinstall: 'node install.js' },
    nodeGyp: true,
  };
  const declared = {
    bin: { 'left-pad': './bin/cli.js', lp: 'bin/lp.js' },
    os: ['darwin', 'linux'],
    cpu: ['x64'],
    libc: 'glibc',
    engines: { node: '>=18' },
    bundleDependencies: ['dep-a'],
    peerDependenciesMeta: { 'peer-b': { optional: true }, 'peer-c': { optional: false } },
    scripts: { postinstall: 'node install.js', test: 'node test.js' },
    hasInstallScript: true,
  };
  return new TextEncoder().encode(JSON.stringify({ signed, declared }));
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The fields an installer would resolve for a package published exactly as signed: no problem may be found. */
function declaredFromSigned(s: SignedManifestFields): DeclaredManifestFields {
  return {
    bin: s.bin ?? null,
    os: s.os ?? null,
    cpu: s.cpu ?? null,
    libc: s.libc ?? null,
    engines: s.engines ?? null,
    bundleDependencies: s.bundleDependencies ?? null,
    peerDependenciesMeta: Object.fromEntries((s.optionalPeers ?? []).map((p) => [p, { optional: true }])),
    scripts: s.installScripts ?? {},
    hasInstallScript: s.installScripts !== undefined,
  };
}

/**
 * Values as tufpm-repo signs them (manifest-facts.ts): normalised command names, and the optional peers and
 * bundled names of a package.json once each. The reader accepts other shapes (`a/b` as a bin name, a name
 * listed twice); those match no resolved manifest and refuse the install: fails closed (found by this
 * target, recorded in docs/reliability.md), so the no-false-refusal property is asked of these shapes only.
 */
function signerShaped(s: SignedManifestFields): boolean {
  const once = (list: readonly string[] | true | undefined): boolean => !Array.isArray(list) || new Set(list).size === list.length;
  return Object.keys(s.bin ?? {}).every((k) => k !== '' && normalizeBinName(k) === k) && once(s.optionalPeers) && once(s.bundleDependencies);
}

function checkProblems(problems: unknown, what: string): void {
  expect(Array.isArray(problems) && problems.every((p) => typeof p === 'string' && p.length <= MAX_PROBLEM_CHARS), `${what} returned something other than bounded strings`);
}

const manifestFields: FuzzTarget = {
  name: 'manifest-fields',
  reads: 'signed manifest fields: verify parseManifestFields (custom.npm), manifestFieldProblems and escapingBins (the packument fields an installer resolved)',
  inputs: () => jsonInputs([manifestFieldsSeed()]),
  check(input) {
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(input).toString('utf8'));
    } catch (error) {
      if (error instanceof SyntaxError) return; // targets and packuments reach these checks parsed
      throw error;
    }
    const top = asRecord(doc) ?? {};
    const name = typeof top['name'] === 'string' ? top['name'] : 'left-pad';
    const parsed = parseManifestFields({ npm: top['signed'] });
    expect(parsed.kind === 'absent' || parsed.kind === 'signed' || parsed.kind === 'malformed', 'parseManifestFields answered no kind');
    const declaredRecord = asRecord(top['declared']);
    const declared = (declaredRecord ?? {}) as DeclaredManifestFields;
    checkProblems(escapingBins(name, declared), 'escapingBins');
    if (parsed.kind !== 'signed') return;
    checkProblems(manifestFieldProblems(name, parsed.value, declared), 'manifestFieldProblems');
    // A release whose packument says exactly what was signed passes the check (no false refusal).
    if (!signerShaped(parsed.value)) return;
    const same = manifestFieldProblems(name, parsed.value, declaredFromSigned(parsed.value));
    expect(same.length === 0, `the signed fields, resolved unchanged, were refused: ${same.join('; ').slice(0, 300)}`);
  },
};

export function manifestTargets(): FuzzTarget[] {
  return [manifestFields];
}
