import { TAG_REGEXP, semverUtils, structUtils, type Descriptor } from '@yarnpkg/core';

// How a Yarn descriptor's range reads as a dependency edge: which package must serve it and which range or
// tag it asks for (edge-check.ts checks the served package against it).

/** What an edge's range asks for, in Yarn's reading. */
export type EdgeRequest =
  | { kind: 'range'; name: string; range: string }
  /** a dist-tag (`npm:latest`): which version it names is not checked here, see checkTagEdge */
  | { kind: 'tag'; name: string; tag: string }
  /** workspace:, git, file, link, http ...: no version to compare; the served package's name is still checked */
  | { kind: 'other'; name: string };

export const NPM = 'npm:';
const PATCH = 'patch:';
const MAX_RANGE_CHARS = 2048;

/** parseEdge's answers per descriptor object: the name check and the signed-range check read every edge. */
const parsedEdges = new WeakMap<Descriptor, EdgeRequest>();

/** Reads a descriptor's range, through virtual and `patch:` wrappers: `npm:bar@^1` asks for bar. */
export function parseEdge(descriptor: Descriptor): EdgeRequest {
  let request = parsedEdges.get(descriptor);
  if (request === undefined) {
    request = parseEdgeUncached(descriptor);
    parsedEdges.set(descriptor, request);
  }
  return request;
}

function parseEdgeUncached(descriptor: Descriptor): EdgeRequest {
  const plain = structUtils.isVirtualDescriptor(descriptor) ? structUtils.devirtualizeDescriptor(descriptor) : descriptor;
  const name = structUtils.stringifyIdent(plain);
  const range = plain.range;
  if (range.length > MAX_RANGE_CHARS) return { kind: 'other', name };
  if (range.startsWith(PATCH)) {
    const source = structUtils.parseRange(range).source;
    const inner = source === null ? null : structUtils.tryParseDescriptor(source, true);
    return inner === null ? { kind: 'other', name } : parseEdge(inner);
  }
  return parseNpmRange(name, range);
}

/** `npm:^1`, `npm:bar@^1`, `npm:latest`; anything without the npm protocol is 'other'. */
export function parseNpmRange(name: string, range: string): EdgeRequest {
  if (!range.startsWith(NPM)) return { kind: 'other', name };
  let selector = range.slice(NPM.length);
  let target = name;
  const at = selector.indexOf('@', selector.startsWith('@') ? 1 : 0);
  if (at > 0) {
    target = selector.slice(0, at);
    selector = selector.slice(at + 1);
  }
  if (semverUtils.validRange(selector) !== null) return { kind: 'range', name: target, range: selector };
  if (TAG_REGEXP.test(selector)) return { kind: 'tag', name: target, tag: selector };
  return { kind: 'other', name: target };
}

