// Fuzz targets for the TUF side (@tufpm/models): the strict JSON parser, canonical JSON, every metadata
// parser (root, timestamp, snapshot, targets with delegations and succinct roles) and the pieces they are
// made of (MetaFile, keys, target files, roles, the custom fields tufpm signs into targets).
import {
  DelegatedRole,
  Delegations,
  Key,
  Metadata,
  MetaFile,
  SuccinctRoles,
  TargetFile,
  canonicalize,
  parseEnvelopeStrict,
  parseJsonStrict,
  parseReleaseIndex,
  sortedJson,
  type Root,
  type TopLevelRole,
} from '@tufpm/models';
import { parseManifestFields, parseSignedDependencies } from '@tufpm/verify';
import { jsonInputs, structuralMutations } from './mutate.js';
import { metadataSeeds, type MetadataSeeds } from './seeds.js';
import { expect, isTyped, sameBytes, typed, type FuzzTarget } from './target.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
let seedCache: MetadataSeeds | undefined;
const seeds = (): MetadataSeeds => (seedCache ??= metadataSeeds());
const allMetadata = (): Uint8Array[] => {
  const s = seeds();
  return [s.root, s.timestamp, s.snapshot, s.targets, s.delegating, s.succinct, s.package];
};

/** Deep equality of parsed JSON in which -0 equals 0 (JSON has one zero; canonical JSON writes `-0` as `0`). */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.length !== kb.length) return false;
  return ka.every((k, i) => k === kb[i] && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** parse ∘ sortedJson is the identity and canonicalize agrees on both sides, whenever the strict parser accepts. */
async function jsonRoundTrip(value: unknown): Promise<void> {
  const written = await typed(() => sortedJson(value));
  if (isTyped(written)) return; // a lone surrogate: refused by the writer too
  const again = parseJsonStrict(written);
  expect(sameJson(again, value), 'parseJsonStrict(sortedJson(v)) differs from v');
  const c1 = await typed(() => canonicalize(value));
  const c2 = await typed(() => canonicalize(again));
  expect(isTyped(c1) === isTyped(c2), 'canonicalize accepts one of v and its round trip only');
  if (!isTyped(c1) && !isTyped(c2)) expect(sameBytes(c1, c2), 'canonicalize differs after a round trip');
}

const jsonStrict: FuzzTarget = {
  name: 'json-strict',
  reads: 'parseJsonStrict, parseEnvelopeStrict (every TUF file, tufpm-lock.json in overlay)',
  inputs: () => jsonInputs(allMetadata()),
  async check(input) {
    const floats = await typed(() => parseJsonStrict(input, 1 << 20, { allowFloats: true }));
    const value = parseJsonStrict(input, 1 << 20);
    // integers-only is a restriction of allowFloats: anything the strict mode takes, the float mode takes alike
    expect(!isTyped(floats) && sameJson(floats, value), 'allowFloats refuses or reads differently what the strict mode accepts');
    await jsonRoundTrip(value);
    const envelope = parseEnvelopeStrict(input, 1 << 20);
    if (envelope.canonicalSigned !== undefined) {
      // The fast path hands these bytes to signature verification: they must be exactly canonicalize(signed).
      const signedValue = (envelope.value as Record<string, unknown>)['signed'];
      expect(sameBytes(envelope.canonicalSigned, canonicalize(signedValue)), 'canonicalSigned is not canonicalize(signed)');
    }
  },
};

const canonicalJson: FuzzTarget = {
  name: 'canonical-json',
  reads: 'canonicalize, sortedJson (the signed bytes; values from any JSON.parse, floats included)',
  inputs: () => jsonInputs(allMetadata()),
  async check(input) {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(input).toString('utf8'));
    } catch (error) {
      if (error instanceof SyntaxError) return; // not a value: nothing to canonicalize
      throw error;
    }
    const canonical = await typed(() => canonicalize(value));
    const sorted = await typed(() => sortedJson(value));
    expect(isTyped(canonical) === isTyped(sorted), 'canonicalize and sortedJson disagree on whether a value can be written');
    if (isTyped(canonical)) throw canonical; // counted as a refusal
    if (isTyped(sorted)) throw sorted;
    // What the writer writes, the strict reader reads back, to the same canonical bytes.
    const back = await typed(() => parseJsonStrict(sorted));
    expect(!isTyped(back), `sortedJson wrote what parseJsonStrict refuses: ${isTyped(back) ? back.message : ''}`);
    expect(sameBytes(canonicalize(back), canonical), 'canonicalize(parse(sortedJson(v))) differs from canonicalize(v)');
  },
};

const ROLE_OF: Record<string, TopLevelRole> = { root: 'root', timestamp: 'timestamp', snapshot: 'snapshot', targets: 'targets', delegating: 'targets', succinct: 'targets', package: 'targets' };

/**
 * What a reader makes of `input`: the metadata as sortedJson plus what toBytes does not show (the order of
 * the targets and signatures Maps, unrecognized fields) and the signed bytes; or the refusal, class and message.
 */
async function readingOf(read: () => { metadata: Metadata; signedBytes: Uint8Array }): Promise<string> {
  const r = await typed(read);
  if (isTyped(r)) return `refused: ${r.constructor.name}: ${r.message}`;
  const { metadata, signedBytes } = r;
  const t = metadata.signed as { targets?: Map<string, { unrecognized: unknown; custom?: unknown }> };
  const targets = t.targets === undefined ? [] : [...t.targets].map(([path, f]) => [path, f.unrecognized, f.custom === undefined]);
  return JSON.stringify([Buffer.from(metadata.toBytes()).toString('base64'), Buffer.from(signedBytes).toString('base64'),
    [...metadata.signatures.keys()], metadata.unrecognized, metadata.signed.unrecognized, targets]);
}
const PATHS = ['left-pad/-/left-pad-1.3.0.tgz', '@scope/pkg/-/pkg-1.0.0.tgz', 'left-pad/tufpm-releases.json', '', '../x', '\u0000'];

function metadataTarget(seed: keyof typeof ROLE_OF, reads: string): FuzzTarget {
  const role = ROLE_OF[seed]!;
  return {
    name: `metadata-${seed}`,
    reads,
    inputs: () => jsonInputs([seeds()[seed as 'root']]),
    async check(input) {
      const s = seeds();
      // Metadata.parse builds the usual per-package role straight from the tokenizer's tape (targets-tape.ts) and
      // everything else through the generic values: it must read every input exactly as the general path does
      // (Metadata.fromJSON of parseJsonStrict), refusals and their messages included.
      const fast = await readingOf(() => Metadata.parse(input, role, 1 << 20));
      const general = await readingOf(() => {
        const m = Metadata.fromJSON(parseJsonStrict(input, 1 << 20), role);
        return { metadata: m, signedBytes: m.signedBytes() };
      });
      expect(fast === general, `Metadata.parse reads differently from Metadata.fromJSON(parseJsonStrict): ${fast.slice(0, 300)} vs ${general.slice(0, 300)}`);
      const { metadata, signedBytes } = Metadata.parse(input, role, 1 << 20);
      // TUF 4.1: the bytes verification uses are the canonical JSON of what was parsed, fast path or not.
      expect(sameBytes(signedBytes, metadata.signedBytes()), 'Metadata.parse signedBytes differ from canonicalize(signed)');
      const again = Metadata.parse(metadata.toBytes(), role, 1 << 20);
      expect(sameBytes(again.signedBytes, signedBytes), 'Metadata round trip changes the signed bytes');
      const trusted = Metadata.fromBytes(s.root, 'root').signed as Root;
      const result = await typed(() => (role === 'root' ? (metadata.signed as Root).verifyDelegate('root', metadata, signedBytes) : trusted.verifyDelegate(role, metadata, signedBytes)));
      if (!isTyped(result)) expect(result.distinctKeys <= result.signedBy.length, 'more distinct keys than signing keyids');
      const delegations = (metadata.signed as { delegations?: Delegations }).delegations;
      if (delegations !== undefined) {
        for (const path of PATHS) for (const r of delegations.rolesForTarget(path)) expect(typeof r.name === 'string', 'a role without a name');
        if (delegations.succinctRoles !== undefined) {
          const bin = delegations.succinctRoles.getRoleForTarget(PATHS[0]!);
          expect(delegations.succinctRoles.isDelegatedRole(bin), `succinct bin ${bin} is not one of its own roles`);
        }
      }
    },
  };
}

/** Sub-objects of the seed metadata, each parsed by its own fromJSON: { what, value }. */
function partSeeds(): Uint8Array[] {
  const s = seeds();
  const root = JSON.parse(Buffer.from(s.root).toString()).signed;
  const ts = JSON.parse(Buffer.from(s.timestamp).toString()).signed;
  const tg = JSON.parse(Buffer.from(s.targets).toString()).signed;
  const dl = JSON.parse(Buffer.from(s.delegating).toString()).signed;
  const sc = JSON.parse(Buffer.from(s.succinct).toString()).signed;
  const parts: [string, unknown][] = [
    ['metafile', ts.meta['snapshot.json']],
    ...Object.entries(root.keys).map(([id, k]) => ['key', { id, k }] as [string, unknown]),
    ...Object.entries(tg.targets).map(([path, t]) => ['target', { path, t }] as [string, unknown]),
    ['delegations', dl.delegations],
    ['delegations', sc.delegations],
    ['role', dl.delegations.roles[0]],
    ['succinct', sc.delegations.succinct_roles],
  ];
  return parts.map(([what, value]) => enc(JSON.stringify({ what, value })));
}

const parts: FuzzTarget = {
  name: 'metadata-parts',
  reads: 'MetaFile, Key (and key.verify), TargetFile, DelegatedRole, SuccinctRoles, Delegations fromJSON; the custom fields (release index, signed dependencies, manifest fields)',
  inputs: () => structuralMutations(partSeeds()),
  async check(input) {
    const doc = JSON.parse(Buffer.from(input).toString()) as { what?: unknown; value?: unknown } | null;
    if (typeof doc !== 'object' || doc === null) return; // an edit replaced the whole wrapper
    const what = doc.what;
    const v = (doc.value ?? null) as Record<string, unknown>;
    switch (what) {
      case 'metafile': {
        const mf = MetaFile.fromJSON(v);
        expect(sameBytes(canonicalize(MetaFile.fromJSON(mf.toJSON()).toJSON()), canonicalize(mf.toJSON())), 'MetaFile round trip');
        await typed(() => mf.verifyLengthAndHashes(enc('data')));
        break;
      }
      case 'key': {
        const key = Key.fromJSON(typeof v?.['id'] === 'string' ? v['id'] : 'x', v?.['k']);
        await typed(() => key.computeKeyid());
        await typed(() => key.verify(enc('data'), 'ab'.repeat(32)));
        break;
      }
      case 'target': {
        const t = TargetFile.fromJSON(typeof v?.['path'] === 'string' ? v['path'] : 'x', v?.['t']);
        await typed(() => t.verifyLengthAndHashes(enc('data')));
        for (const parse of [parseReleaseIndex, parseSignedDependencies, parseManifestFields]) {
          const parsed = parse(t.custom as unknown);
          expect(['absent', 'signed', 'malformed'].includes(parsed.kind), 'a custom-field parser answered neither signed nor malformed');
        }
        break;
      }
      case 'role':
        DelegatedRole.fromJSON(v);
        break;
      case 'succinct': {
        const r = SuccinctRoles.fromJSON(v);
        expect(r.isDelegatedRole(r.getRoleForTarget(PATHS[0]!)), 'succinct bin not its own role');
        break;
      }
      case 'delegations': {
        const d = Delegations.fromJSON(v);
        for (const path of PATHS) d.rolesForTarget(path);
        expect(sameBytes(canonicalize(Delegations.fromJSON(d.toJSON()).toJSON()), canonicalize(d.toJSON())), 'Delegations round trip');
        break;
      }
      default:
        break;
    }
  },
};

export function tufTargets(): FuzzTarget[] {
  return [
    jsonStrict,
    canonicalJson,
    metadataTarget('root', 'Metadata.parse(root) and root.verifyDelegate'),
    metadataTarget('timestamp', 'Metadata.parse(timestamp), MetaFile of snapshot.json, verification'),
    metadataTarget('snapshot', 'Metadata.parse(snapshot), its MetaFiles, verification'),
    metadataTarget('targets', 'Metadata.parse(targets), target files, verification'),
    metadataTarget('delegating', 'targets with delegated roles (paths, path_hash_prefixes), rolesForTarget'),
    metadataTarget('succinct', 'targets with succinct_roles (TAP 15), getRoleForTarget'),
    metadataTarget('package', 'a per-package role, built straight from the tokenizer tape (targets-tape.ts) and compared with the general path'),
    parts,
  ];
}

