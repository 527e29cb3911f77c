// fast-check arbitraries that turn seed documents into hostile inputs (issue 19). Three kinds, mixed:
// byte mutations (flip, insert a nasty token, cut, duplicate, truncate: the scratch fuzzer of the `faults`
// branch, as shrinkable fast-check values), structural mutations (replace, drop or add one member anywhere
// in the parsed seed, so the input stays JSON and reaches the field checks), and inputs from nothing.
import fc from 'fast-check';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Tokens that broke or nearly broke JSON parsers somewhere: floats, unsafe integers, surrogates, nesting, BOM, duplicates. */
export const NASTY_TOKENS = [
  '1e400', '-0', '0.5', '1.0', '9007199254740993', '-9007199254740992', '"\\ud800"', '"\\udc00\\ud800"', '[[[[[[[[[[[[[[[[[[[[',
  '{"a":1,"a":2}', 'null', 'true', '"x"', '{}', '[]', '\uFEFF', '"\\u0000"', '1E5', '-1', '0x10', 'NaN', '"\u2028"',
  '"__proto__"', '{"__proto__":{"x":1}}', '"constructor"', '"../../etc/passwd"', '"\\\\"', '"é"', '"\ud83d\ude00"', '1e-7', '00', '+1',
];

/** Values that stress field checks once the document is JSON again. */
function nastyValues(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>(
      -1, 0, 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, Number.MAX_SAFE_INTEGER + 2, 1.5, -0, '', ' ', '0', '-1', 'x'.repeat(5000), '\u0000', '\ud800',
      '1970-01-01T00:00:00Z', '2100-01-01T00:00:00.000Z', '9999-12-31T23:59:59Z', '2100-02-30T00:00:00Z', 'ed25519', 'ecdsa-sha2-nistp256',
      'rsassa-pss-sha256', 'sha256', 'sha512', 'md5', '__proto__', 'constructor', 'toString', '../x', '/abs', 'a/../../b', 'package/../x',
      '@scope/name', '@SCOPE/Name', 'a'.repeat(215), 'ab'.repeat(32), '00'.repeat(64), 'Zz'.repeat(32), [], {}, [[]], null, true, false,
      ['root', 'root'], { sha256: 'ab'.repeat(32) }, { __proto__: null }, { constructor: 1 },
    ),
    fc.jsonValue({ maxDepth: 3 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.integer(),
    fc.constantFrom(2, 511, 512, 513, 20_000).map((depth) => `${NEST}${depth}`),
  );
}

// Deep nesting is written into the text after serialisation (JSON.stringify itself recurses and would blow
// the fuzzer's own stack): the value holds this marker and the depth.
const NEST = '\u0000nest:';
const NEST_MARK = /"\\u0000nest:(\d+)"/g;
function expandNesting(text: string): string {
  return text.replace(NEST_MARK, (_m, depth: string) => '['.repeat(Number(depth)) + '1' + ']'.repeat(Number(depth)));
}

type Op =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'insert'; at: number; token: string }
  | { kind: 'cut'; at: number; len: number }
  | { kind: 'dup'; at: number; len: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'value'; at: number; token: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.oneof(fc.constantFrom(...NASTY_TOKENS), fc.string({ unit: 'binary', maxLength: 6 })) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), len: fc.nat({ max: 40 }) }),
  fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), len: fc.nat({ max: 80 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('value' as const), at: fc.nat(), token: fc.constantFrom(...NASTY_TOKENS) }),
);

function applyOp(b: Buffer, op: Op): Buffer {
  const at = op.at % (b.length + 1);
  switch (op.kind) {
    case 'flip':
      if (b.length === 0) return b;
      b = Buffer.from(b);
      b[op.at % b.length] = op.byte;
      return b;
    case 'insert':
      return Buffer.concat([b.subarray(0, at), Buffer.from(op.token), b.subarray(at)]);
    case 'cut':
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + op.len))]);
    case 'dup': {
      const end = Math.min(b.length, at + op.len);
      return Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)]);
    }
    case 'truncate':
      return b.subarray(0, at);
    case 'value': {
      // replace the JSON value after the next colon with a token
      const s = b.toString('latin1');
      const colon = s.indexOf(':', at);
      if (colon < 0) return b;
      const end = s.slice(colon + 1).search(/[,}\]]/);
      if (end < 0) return b;
      return Buffer.concat([b.subarray(0, colon + 1), Buffer.from(op.token), b.subarray(colon + 1 + end)]);
    }
  }
}

/** Seed bytes with one to six byte-level mutations. */
export function byteMutations(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.nat({ max: seeds.length - 1 }), fc.array(opArb, { minLength: 1, maxLength: 6 }))
    .map(([i, ops]) => new Uint8Array(ops.reduce(applyOp, Buffer.from(seeds[i]!))));
}

type Path = (string | number)[];

function paths(v: unknown, prefix: Path, out: Path[], depth: number): Path[] {
  out.push(prefix);
  if (depth > 12 || typeof v !== 'object' || v === null) return out;
  for (const [k, child] of Array.isArray(v) ? v.map((c, i) => [i, c] as const) : Object.entries(v)) paths(child, [...prefix, k], out, depth + 1);
  return out;
}

type Edit = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'add'; key: string; value: unknown } | { kind: 'rename'; key: string };

const editArb: fc.Arbitrary<{ at: number; edit: Edit }> = fc.record({
  at: fc.nat(),
  edit: fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), value: nastyValues() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), key: fc.oneof(fc.constantFrom('__proto__', 'x-unknown', 'keyids', 'custom', 'length', 'hashes', ''), fc.string({ maxLength: 8 })), value: nastyValues() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('rename' as const), key: fc.oneof(fc.constantFrom('__proto__', 'Signed', 'SIGNED', '_type'), fc.string({ maxLength: 8 })) }) },
  ),
});

function applyEdit(root: unknown, at: number, edit: Edit): unknown {
  const all = paths(root, [], [], 0);
  const path = all[at % all.length]!;
  if (path.length === 0) return edit.kind === 'set' ? structuredClone(edit.value) : root;
  let parent = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const target = parent[last];
  switch (edit.kind) {
    case 'set':
      parent[last] = structuredClone(edit.value);
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
      break;
    case 'add':
      if (Array.isArray(target)) target.push(structuredClone(edit.value));
      else if (typeof target === 'object' && target !== null) Object.defineProperty(target, edit.key, { value: structuredClone(edit.value), enumerable: true, writable: true, configurable: true });
      break;
    case 'rename':
      if (!Array.isArray(parent)) {
        Object.defineProperty(parent, edit.key, { value: target, enumerable: true, writable: true, configurable: true });
        if (edit.key !== last) delete parent[last];
      }
      break;
  }
  return root;
}

/** A parsed seed with one to four members replaced, dropped, added or renamed, serialised again. */
export function structuralMutations(seeds: readonly Uint8Array[], serialize: (v: unknown) => string = (v) => JSON.stringify(v)): fc.Arbitrary<Uint8Array> {
  const texts = seeds.map((s) => new TextDecoder().decode(s));
  return fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(editArb, { minLength: 1, maxLength: 4 })).map(([i, edits]) => {
    let doc: unknown = JSON.parse(texts[i]!);
    for (const { at, edit } of edits) doc = applyEdit(doc, at, edit);
    return enc(expandNesting(serialize(doc)));
  });
}

/** Any JSON text, any bytes. */
export function fromNothing(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(fc.json({ maxDepth: 4 }).map(enc), fc.uint8Array({ maxLength: 256 }), fc.string({ unit: 'binary', maxLength: 100 }).map(enc));
}

/** The mix every JSON-reading target uses. */
export function jsonInputs(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 3, arbitrary: structuralMutations(seeds) },
    { weight: 3, arbitrary: byteMutations(seeds) },
    { weight: 1, arbitrary: fc.constantFrom(...seeds) },
    { weight: 1, arbitrary: fromNothing() },
  );
}
