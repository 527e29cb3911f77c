import type { SideLockfile } from '../src/lockfile.js';

/**
 * Hand-made pins (format 2): root 2, timestamp 7, snapshot 5, targets 3, each under its own key; no packages
 * and no roles unless `fields` sets them. Fresh objects on every call (tests edit them).
 */
export function testPins(fields: Partial<SideLockfile> = {}): SideLockfile {
  return {
    lockfileVersion: 2,
    registry: 'http://127.0.0.1:4873/',
    root: { version: 2, sha256: 'a'.repeat(64), keyids: ['0'.repeat(64)], threshold: 1 },
    timestamp: { version: 7, keyids: ['1'.repeat(64)], threshold: 1 },
    snapshot: { version: 5, keyids: ['2'.repeat(64)], threshold: 1 },
    targets: { version: 3, keyids: ['3'.repeat(64)], threshold: 1 },
    packages: new Map(),
    roles: new Map(),
    ...fields,
  };
}
