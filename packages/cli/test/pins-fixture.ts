import type { SideLockfile } from '@tufpm/verify';

/** A hex id made of one repeated character: distinct, valid-looking keyids and digests for hand-made pins. */
export const K = (c: string): string => c.repeat(64);

/**
 * Hand-made pins (format 2): root 1, timestamp and snapshot 5, targets 2, each under its own key; no
 * packages and no roles unless `fields` sets them. Fresh objects on every call (tests edit them).
 */
export function testPins(fields: Partial<SideLockfile> = {}): SideLockfile {
  return {
    lockfileVersion: 2,
    registry: 'http://127.0.0.1:4873/',
    root: { version: 1, sha256: K('0'), keyids: [K('1')], threshold: 1 },
    timestamp: { version: 5, keyids: [K('2')], threshold: 1 },
    snapshot: { version: 5, keyids: [K('3')], threshold: 1 },
    targets: { version: 2, keyids: [K('4')], threshold: 1 },
    packages: new Map(),
    roles: new Map(),
    ...fields,
  };
}
