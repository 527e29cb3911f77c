// Caps on entries, keys and signatures per metadata file (limits.ts): a file within its byte bound cannot
// be made of more of them than any real repository uses; the strict parse refuses it (TUF_PARSE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_DELEGATED_ROLES, MAX_KEYIDS_PER_ROLE, MAX_ROOT_KEYS, MAX_SIGNATURES, MAX_SNAPSHOT_ENTRIES, MAX_TARGETS_PER_ROLE,
  Metadata, MetadataParseError,
} from '../src/index.js';
import { dec, makeRepo, mutateSigned } from './helpers.js';

const repo = makeRepo();

/** The envelope as plain JSON (the caps are checked by fromJSON, after the byte-level strict parse). */
function envelope(md: { toBytes(): Uint8Array }): { signatures: unknown[]; signed: Record<string, unknown> } {
  return JSON.parse(dec(md.toBytes())) as { signatures: unknown[]; signed: Record<string, unknown> };
}

function mutated(md: { toBytes(): Uint8Array }, f: (signed: Record<string, unknown>) => void): unknown {
  const obj = envelope(md);
  f(obj.signed);
  return obj;
}

function refused(obj: unknown, what: RegExp): void {
  assert.throws(() => Metadata.fromJSON(obj), (err: unknown) => err instanceof MetadataParseError && what.test(err.message));
}

test('rejects more signatures than MAX_SIGNATURES', () => {
  const obj = envelope(repo.targets);
  obj.signatures = Array.from({ length: MAX_SIGNATURES + 1 }, (_, i) => ({ keyid: i.toString(16).padStart(64, '0'), sig: '00' }));
  refused(obj, /signatures, more than/);
});

test('rejects a role with more keyids than MAX_KEYIDS_PER_ROLE, and a root with more keys than MAX_ROOT_KEYS', () => {
  refused(mutated(repo.root, (s) => {
    (s['roles'] as Record<string, { keyids: string[] }>)['timestamp']!.keyids = Array.from({ length: MAX_KEYIDS_PER_ROLE + 1 }, (_, i) => i.toString(16).padStart(64, '0'));
  }), /keyids, more than/);
  refused(mutated(repo.root, (s) => {
    const keys = s['keys'] as Record<string, unknown>;
    const one = Object.values(keys)[0];
    for (let i = 0; i <= MAX_ROOT_KEYS; i++) keys[`e${i.toString(16).padStart(63, '0')}`] = one;
  }), /keys, more than/);
});

test('rejects a snapshot with more entries than MAX_SNAPSHOT_ENTRIES and a role with more targets than MAX_TARGETS_PER_ROLE', () => {
  refused(mutated(repo.snapshot, (s) => {
    const meta: Record<string, unknown> = {};
    for (let i = 0; i <= MAX_SNAPSHOT_ENTRIES; i++) meta[`r${i}.json`] = { version: 1 };
    s['meta'] = meta;
  }), /meta entries, more than/);
  refused(mutated(repo.targets, (s) => {
    const targets: Record<string, unknown> = {};
    for (let i = 0; i <= MAX_TARGETS_PER_ROLE; i++) targets[`p${i}`] = { length: 1, hashes: { sha256: '00' } };
    s['targets'] = targets;
  }), /targets, more than/);
});

test('rejects delegations with more roles than MAX_DELEGATED_ROLES', () => {
  refused(mutated(repo.targets, (s) => {
    const roles = Array.from({ length: MAX_DELEGATED_ROLES + 1 }, (_, i) => ({ name: `r${i}`, keyids: [], threshold: 1, terminating: true, paths: [`r${i}/*`] }));
    s['delegations'] = { keys: {}, roles };
  }), /roles, more than/);
});

test('metadata at the caps parses (the caps are bounds, not targets)', () => {
  const bytes = mutateSigned(repo.snapshot.toBytes(), (s) => {
    const meta: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) meta[`r${i}.json`] = { version: 1 };
    s['meta'] = meta;
  });
  assert.equal(Metadata.fromBytes(bytes).signed.type, 'snapshot');
});
