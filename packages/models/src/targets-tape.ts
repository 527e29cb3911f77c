// Targets metadata built straight from the strict tokenizer's tape (json-tape.ts), for the usual shape of
// a per-package role: `{"signatures":[{"keyid","sig"}...],"signed":{"_type":"targets","expires",
// "spec_version","targets":{path:{"custom"?,"hashes":{...},"length":n}...},"version"}}`, keys in that (canonical)
// order and nothing else. It skips the generic JSON values and the FieldReaders of the general path
// (Metadata.fromJSON), which allocate about half of what a role check allocates (issue 20: role checks
// beside the ceiling). Every strictness rule of the JSON itself (duplicate keys, floats, unsafe integers,
// lone surrogates, nesting, size) was applied by the tokenizer before; this reads the schema only.
// It never decides a refusal: anything else, valid or not, returns undefined and the general path reads the
// same tape, so both accept exactly the same documents and the general path words every error
// (compared over fuzzed inputs by the metadata-targets fuzz target and in test/targets-tape.test.ts).
import { expiresFast, defineField } from './fields.js';
import { tapeNext, tapeString, tapeStringIs, tapeValue } from './json-strict.js';
import { TOKEN_ARRAY, TOKEN_KIND, TOKEN_NUMBER, TOKEN_OBJECT, TOKEN_STRING, type JsonTape } from './json-tape.js';
import { MAX_SIGNATURES, MAX_TARGETS_PER_ROLE } from './limits.js';
import { SPEC_VERSION_1, Signature } from './signed.js';
import { TargetFile } from './target-file.js';
import { Targets } from './targets.js';

export interface TargetsFromTape {
  signed: Targets;
  signatures: Map<string, Signature>;
}

/** The usual per-package role from `tape`, or undefined for anything else (see above). */
export function targetsFromTape(tape: JsonTape): TargetsFromTape | undefined {
  const t = tape.tokens;
  if (kind(t, 0) !== TOKEN_OBJECT || members(t, 0) !== 2 || !tapeStringIs(tape, 1, 'signatures') || kind(t, 2) !== TOKEN_ARRAY) return undefined;

  // signatures: [{"keyid": string, "sig": string}, ...]; TUF 4.2: one signature per keyid (the general path refuses a repeat)
  const count = members(t, 2);
  if (count > MAX_SIGNATURES) return undefined;
  const signatures = new Map<string, Signature>();
  let i = 3;
  for (let m = 0; m < count; m++, i += 5) {
    if (t[3 * i] !== TOKEN_OBJECT || members(t, i) !== 2 || !tapeStringIs(tape, i + 1, 'keyid') || t[3 * (i + 2)] !== TOKEN_STRING ||
      !tapeStringIs(tape, i + 3, 'sig') || t[3 * (i + 4)] !== TOKEN_STRING) return undefined;
    const keyid = tapeString(tape, i + 2);
    if (signatures.has(keyid)) return undefined;
    signatures.set(keyid, new Signature(keyid, tapeString(tape, i + 4)));
  }

  // signed: _type, expires, spec_version, targets, version (TUF 4.3 common fields, checked as readCommonFields does)
  if (!tapeStringIs(tape, i, 'signed') || kind(t, i + 1) !== TOKEN_OBJECT || members(t, i + 1) !== 5) return undefined;
  i += 2;
  // TUF 4.2: _type names the role type (only targets here)
  if (!tapeStringIs(tape, i, '_type') || !tapeStringIs(tape, i + 1, 'targets')) return undefined;
  // TUF 4.2 date-time / 4.3 EXPIRES: exactly YYYY-MM-DDTHH:MM:SSZ, a real date (parseExpires' usual case)
  if (!tapeStringIs(tape, i + 2, 'expires') || t[3 * (i + 3)] !== TOKEN_STRING) return undefined;
  const expires = expiresFast(tapeString(tape, i + 3));
  if (expires === undefined) return undefined;
  // TUF 4.3 SPEC_VERSION: 1.x(.y) (the regex checkSpecVersion tries first; the rest of its rule is the general path's)
  if (!tapeStringIs(tape, i + 4, 'spec_version') || t[3 * (i + 5)] !== TOKEN_STRING) return undefined;
  const specVersion = tapeString(tape, i + 5);
  if (!SPEC_VERSION_1.test(specVersion)) return undefined;
  if (!tapeStringIs(tape, i + 6, 'targets') || kind(t, i + 7) !== TOKEN_OBJECT) return undefined;
  const targetsAt = i + 7;
  const n = members(t, targetsAt);
  if (n > MAX_TARGETS_PER_ROLE) return undefined;
  const targets = new Map<string, TargetFile>();
  i = targetsAt + 1;
  for (let m = 0; m < n; m++) {
    const path = tapeString(tape, i);
    // A path that starts with a digit could be an array index, which Object.keys (the general path's order
    // of targets) lists first: left to the general path, so the Map's order is the same either way.
    const c0 = path.charCodeAt(0);
    if (c0 >= 0x30 && c0 <= 0x39) return undefined;
    const entry = i + 1;
    // TUF 4.5 targets: {"custom": any JSON (optional), "hashes": {alg: string, ...} (at least one), "length": integer >= 0}.
    // tufpm signs custom.npm (dependencies, manifest facts) into every tarball target and a release index into one:
    // kept as the generic value, like the general path's r.raw('custom').
    if (kind(t, entry) !== TOKEN_OBJECT) return undefined;
    const fields = members(t, entry);
    let at = entry + 1;
    let custom: unknown;
    if (fields === 3 && tapeStringIs(tape, at, 'custom')) {
      custom = tapeValue(tape, at + 1);
      at = tapeNext(tape, at + 1);
    } else if (fields !== 2) {
      return undefined;
    }
    if (!tapeStringIs(tape, at, 'hashes') || kind(t, at + 1) !== TOKEN_OBJECT) return undefined;
    const algs = members(t, at + 1);
    if (algs === 0) return undefined;
    let h = at + 2;
    let hashes: Record<string, string>;
    if (algs === 2 && tapeStringIs(tape, h, 'sha256') && kind(t, h + 1) === TOKEN_STRING && tapeStringIs(tape, h + 2, 'sha512') && kind(t, h + 3) === TOKEN_STRING) {
      // what tufpm signs for every tarball: one literal, no key strings to allocate and internalize
      hashes = { sha256: tapeString(tape, h + 1), sha512: tapeString(tape, h + 3) };
      h += 4;
    } else {
      hashes = {};
      for (let a = 0; a < algs; a++, h += 2) {
        if (kind(t, h + 1) !== TOKEN_STRING) return undefined;
        defineField(hashes, tapeString(tape, h), tapeString(tape, h + 1));
      }
    }
    if (!tapeStringIs(tape, h, 'length') || t[3 * (h + 1)] !== TOKEN_NUMBER) return undefined;
    const length = tape.numbers[h + 1]!;
    if (!Number.isSafeInteger(length) || length < 0) return undefined;
    if (targets.has(path)) return undefined; // cannot happen (the tokenizer refuses duplicate keys); kept as a guard
    targets.set(path, new TargetFile(path, length, hashes, custom));
    i = h + 2;
  }
  if (i !== tapeNext(tape, targetsAt)) return undefined;
  // TUF 4.3 VERSION: an integer greater than 0 (the tokenizer refused floats and unsafe integers)
  if (!tapeStringIs(tape, i, 'version') || t[3 * (i + 1)] !== TOKEN_NUMBER) return undefined;
  const version = tape.numbers[i + 1]!;
  if (!Number.isSafeInteger(version) || version < 1) return undefined;
  if (i + 2 !== tape.count) return undefined;
  return { signed: new Targets({ specVersion, version, expires, targets }), signatures };
}

function kind(t: Int32Array, i: number): number {
  return t[3 * i]! & TOKEN_KIND;
}

function members(t: Int32Array, i: number): number {
  return t[3 * i + 1]!;
}
