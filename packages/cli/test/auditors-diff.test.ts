import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEd25519KeyPair } from '@tufpm/models';
import { serializeLockfile, type SideLockfile } from '@tufpm/verify';
import { runDiffCli } from '../src/diff/diff-cli.js';
import { diffPins } from '../src/diff/pins-diff.js';
import { formatMarkdown, formatText } from '../src/diff/diff-format.js';
import { K, testPins } from './pins-fixture.js';

// A pull request that turns the Merkle profile's split-view check off (ADR 0022): it deletes
// tufpm-auditors.json, lowers its threshold or swaps its keys, or drops the requirement the pins record.
// tufpm-diff must warn like it warns SIGNER_DOWNGRADE, in text, Markdown and --json, on a real git repository.

const [a, b, c] = [generateEd25519KeyPair(), generateEd25519KeyPair(), generateEd25519KeyPair()];
const policy = (threshold: number, ...pairs: Array<typeof a>): string =>
  JSON.stringify({ threshold, keys: Object.fromEntries(pairs.map((p) => [p.key.keyid, p.key.toJSON()])) });

function lock(auditors?: { keyids: string[]; threshold: number }): SideLockfile {
  return testPins({ merkle: { root: K('a'), size: 10, ...(auditors === undefined ? {} : { auditors }) } });
}

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, {
  cwd, encoding: 'utf8',
  env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' },
});

async function diffAgainstHead(dir: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runDiffCli(['HEAD', ...args], { cwd: dir, stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

test('warns AUDITORS_REMOVED when a pull request deletes tufpm-auditors.json (text and --json, real git)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tufpm-auditors-diff-'));
  try {
    const recorded = { keyids: [a.key.keyid, b.key.keyid].sort(), threshold: 2 };
    await writeFile(join(dir, 'tufpm-lock.json'), serializeLockfile(lock(recorded)));
    await writeFile(join(dir, 'tufpm-auditors.json'), policy(2, a, b));
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'base');
    assert.doesNotMatch((await diffAgainstHead(dir)).out, /WARNING/, 'nothing changed yet');

    await rm(join(dir, 'tufpm-auditors.json'));
    const text = await diffAgainstHead(dir);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /WARNING AUDITORS_REMOVED: tufpm-auditors\.json is removed: installs no longer require 2 of 2 auditor cosignature/);
    assert.match(text.out, /tufpm-auditors\.json: 2-of-2 \[.*\] -> NONE/);
    const json = JSON.parse((await diffAgainstHead(dir, '--json')).out) as { changed: boolean; warnings: Array<{ code: string }>; auditors: Array<{ source: string; to: unknown }> };
    assert.equal(json.changed, true);
    assert.deepEqual(json.warnings.map((w) => w.code), ['AUDITORS_REMOVED']);
    assert.deepEqual(json.auditors.map((x) => [x.source, x.to]), [['file', null]]);

    // a threshold lowered and a key of the pull request's own brought in
    await writeFile(join(dir, 'tufpm-auditors.json'), policy(1, a, c));
    const swapped = JSON.parse((await diffAgainstHead(dir, '--json')).out) as { warnings: Array<{ code: string }> };
    assert.deepEqual(swapped.warnings.map((w) => w.code), ['AUDITORS_THRESHOLD_LOWERED', 'AUDITORS_KEYS_REPLACED']);
    // a malformed file is refused as installs refuse it, not read as "no auditors"
    await writeFile(join(dir, 'tufpm-auditors.json'), '{"threshold": 0, "keys": {}}');
    const bad = await diffAgainstHead(dir);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /TUF_AUDITORS_CONFIG/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('warns when the pins drop or weaken their recorded auditor requirement (merkle.auditors), and not when it grows', () => {
  const two = { keyids: [K('5'), K('6')], threshold: 2 };
  const dropped = diffPins(lock(two), lock());
  assert.deepEqual(dropped.warnings.map((w) => w.code), ['AUDITORS_REMOVED']);
  assert.match(formatText(dropped, { base: 'main', head: 'pr', file: 'tufpm-lock.json' }), /auditors pinned \(merkle\.auditors\): 2-of-2 .* -> NONE/);
  assert.match(formatMarkdown(dropped, { base: 'main', head: 'pr', file: 'tufpm-lock.json' }), /\*\*Warning AUDITORS_REMOVED\*\*/);
  assert.deepEqual(diffPins(lock(two), lock({ keyids: [K('5'), K('6')], threshold: 1 })).warnings.map((w) => w.code), ['AUDITORS_THRESHOLD_LOWERED']);
  assert.deepEqual(diffPins(lock(two), lock({ keyids: [K('7'), K('8')], threshold: 2 })).warnings.map((w) => w.code), ['AUDITORS_KEYS_REPLACED']);
  // stronger: a third auditor with the threshold raised to match, or the requirement recorded for the first time
  const grown = diffPins(lock(two), lock({ keyids: [K('5'), K('6'), K('7')], threshold: 3 }));
  assert.deepEqual(grown.warnings, []);
  assert.equal(grown.auditors?.length, 1, 'shown, not warned');
  assert.deepEqual(diffPins(lock(), lock(two)).warnings, []);
  // a deleted lockfile is LOCKFILE_DELETED alone
  assert.deepEqual(diffPins(lock(two), undefined).warnings.map((w) => w.code), ['LOCKFILE_DELETED']);
});
