/**
 * TUF delegation path patterns, matched the way python-tuf does (the reference the conformance suite
 * follows): the pattern and the target path are split on "/", must have the same number of segments,
 * and each segment is matched with Python's `fnmatch` (`*` any run, `?` one character, `[seq]`,
 * `[!seq]`; no escape character). So `*` never crosses a "/": `lodash/-/*` matches
 * `lodash/-/lodash-1.0.0.tgz` but not `lodash/-/a/b.tgz`.
 */
/** A segment of only `*`: matches every segment (fnmatch's `*` also matches ""), no RegExp needed. */
const ANY_SEGMENT: unique symbol = Symbol('any segment');
type SegmentMatcher = string | RegExp | typeof ANY_SEGMENT;

export interface CompiledPathPattern {
  readonly pattern: string;
  readonly segmentCount: number;
  /** The segments before the first one that contains a wildcard (used as an index key). */
  readonly literalPrefix: readonly string[];
  /** Matches an already split target path. */
  matchSegments(target: readonly string[]): boolean;
}

export function compilePathPattern(pattern: string): CompiledPathPattern {
  const matchers: SegmentMatcher[] = pattern.split('/').map(compileSegment);
  const literalPrefix: string[] = [];
  for (const m of matchers) {
    if (typeof m !== 'string') break;
    literalPrefix.push(m);
  }
  const segmentCount = matchers.length;
  return {
    pattern,
    segmentCount,
    literalPrefix,
    matchSegments(target: readonly string[]): boolean {
      if (target.length !== segmentCount) return false;
      for (let i = 0; i < segmentCount; i++) {
        const m = matchers[i]!;
        const t = target[i]!;
        if (m === ANY_SEGMENT) continue;
        if (typeof m === 'string' ? m !== t : !m.test(t)) return false;
      }
      return true;
    },
  };
}

/** True when `targetPath` matches `pattern` (convenience; compile once for repeated use). */
export function matchPathPattern(pattern: string, targetPath: string): boolean {
  return compilePathPattern(pattern).matchSegments(targetPath.split('/'));
}

function esc(cp: string): string {
  return `\\u{${cp.codePointAt(0)!.toString(16)}}`;
}

/** fnmatch.translate for one segment; returns the segment itself when it has no wildcard. */
function compileSegment(seg: string): SegmentMatcher {
  // The npm profile's delegations (`<name>/-/*`) end in a bare `*`: one per role, compiled on every install.
  if (/^\*+$/.test(seg)) return ANY_SEGMENT;
  const cps = Array.from(seg); // Python indexes code points, not UTF-16 units
  const n = cps.length;
  let re = '';
  let wildcard = false;
  let i = 0;
  while (i < n) {
    const c = cps[i++]!;
    if (c === '*') {
      wildcard = true;
      re += '.*';
    } else if (c === '?') {
      wildcard = true;
      re += '.';
    } else if (c === '[') {
      let j = i;
      if (j < n && cps[j] === '!') j++;
      if (j < n && cps[j] === ']') j++;
      while (j < n && cps[j] !== ']') j++;
      if (j >= n) {
        re += esc('['); // no closing bracket: a literal "["
        continue;
      }
      wildcard = true;
      let body = cps.slice(i, j);
      i = j + 1;
      const negate = body[0] === '!';
      if (negate) body = body.slice(1);
      re += charClass(body, negate);
    } else {
      re += esc(c);
    }
  }
  return wildcard ? new RegExp(`^(?:${re})$`, 'su') : seg;
}

function charClass(body: string[], negate: boolean): string {
  let items = '';
  let k = 0;
  while (k < body.length) {
    const c = body[k]!;
    if (body[k + 1] === '-' && k + 2 < body.length) {
      const d = body[k + 2]!;
      // Python drops reversed ranges ("empty ranges -- invalid in RE"); they match nothing.
      if (c.codePointAt(0)! <= d.codePointAt(0)!) items += `${esc(c)}-${esc(d)}`;
      k += 3;
    } else {
      items += esc(c);
      k++;
    }
  }
  if (items === '') return negate ? '.' : '(?!)';
  return `[${negate ? '^' : ''}${items}]`;
}
